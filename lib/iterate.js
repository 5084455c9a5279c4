'use strict'
// The iteration protocols of the native iterators (ChunkIterator): iterable, async-iterable, and an
// `Iterator` (so `map`, `filter`, `take`, `toArray` work) where the runtime has `Iterator`.

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
    return {
      next() {
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

module.exports = { installIteratorProtocol }
