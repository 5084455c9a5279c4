'use strict'
// The iteration protocols of the native iterators (ChunkIterator, LineIterator, MatchIterator):
// iterable, async-iterable, and an `Iterator` (so `map`, `filter`, `take`, `toArray` work) where the
// runtime has `Iterator`.
const { nodeError } = require('./errors.js')

/** The AbortSignal whose abort ends an iterator's async form (set by `matches(p, { signal })`). */
const signals = new WeakMap()

function abortError(signal) {
  const error = nodeError(Error, 'ABORT_ERR', 'The operation was aborted')
  error.name = 'AbortError'
  try {
    error.cause = signal.reason
  } catch {
    // a reason getter that throws leaves no cause
  }
  return error
}

function define(target, key, value) {
  Object.defineProperty(target, key, { value, writable: true, configurable: true, enumerable: false })
}

/** Makes `prototype` (whose `next()`/`return()` are native) a full iterator. */
function installIteratorProtocol(prototype) {
  if (typeof globalThis.Iterator === 'function' && globalThis.Iterator.prototype) {
    Object.setPrototypeOf(prototype, globalThis.Iterator.prototype)
  }
  define(prototype, Symbol.iterator, function iterator() {
    return this
  })
  define(prototype, Symbol.asyncIterator, function asyncIterator() {
    const iterator = this
    const signal = signals.get(iterator)
    return {
      next() {
        if (signal?.aborted) {
          iterator.return()
          return Promise.reject(abortError(signal))
        }
        try {
          return Promise.resolve(iterator.next())
        } catch (error) {
          return Promise.reject(error)
        }
      },
      return() {
        try {
          return Promise.resolve(iterator.return())
        } catch (error) {
          return Promise.reject(error)
        }
      },
      [Symbol.asyncIterator]() {
        return this
      },
    }
  })
}

module.exports = { installIteratorProtocol, signals }
