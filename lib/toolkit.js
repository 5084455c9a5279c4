// The JavaScript half of the big-file toolkit: the iteration protocol of LineIterator and
// MatchIterator (what lines() and matches() return) and the `signal` of matches()'s async form.
// index.js calls installToolkit(exports) once, after loading the native binding.
'use strict'

/** Node's AbortError, as fs/promises rejects with it. */
function abortError(signal) {
  const error = new Error('The operation was aborted', { cause: signal.reason })
  error.name = 'AbortError'
  error.code = 'ABORT_ERR'
  return error
}

function define(target, key, value) {
  Object.defineProperty(target, key, { value, writable: true, configurable: true, enumerable: false })
}

function describe(value) {
  if (value === null || value === undefined) return String(value)
  if (typeof value === 'function') return `function ${value.name}`
  if (typeof value === 'object')
    return value.constructor?.name ? `an instance of ${value.constructor.name}` : `${value}`
  const shown = typeof value === 'string' ? `'${value.slice(0, 25)}'` : String(value)
  return `type ${typeof value} (${shown})`
}

/** The AbortSignal each MatchIterator's async form watches, if matches() was given one. */
const signals = new WeakMap()

/**
 * Makes `prototype` (a native iterator class with next() and return()) an iterator: iterable,
 * async-iterable, and an Iterator (helpers such as map/take) where the runtime has Iterator.
 */
function makeIterable(prototype) {
  if (typeof globalThis.Iterator === 'function' && globalThis.Iterator.prototype) {
    Object.setPrototypeOf(prototype, globalThis.Iterator.prototype)
  }
  define(prototype, Symbol.iterator, function iterator() {
    return this
  })
  define(prototype, Symbol.asyncIterator, function asyncIterator() {
    const source = this
    const signal = signals.get(source)
    return {
      next() {
        if (signal?.aborted) {
          source.return()
          return Promise.reject(abortError(signal))
        }
        try {
          return Promise.resolve(source.next())
        } catch (error) {
          return Promise.reject(error)
        }
      },
      return() {
        return Promise.resolve(source.return())
      },
      [Symbol.asyncIterator]() {
        return this
      },
    }
  })
}

/**
 * Installs the toolkit's JavaScript parts on the module's exports (the native binding).
 * @param {Record<string, any>} exports
 */
function installToolkit(exports) {
  const { LineIterator, MatchIterator, MemoryMappedFile, Segment } = exports
  makeIterable(LineIterator.prototype)
  makeIterable(MatchIterator.prototype)
  for (const Class of [MemoryMappedFile, Segment]) {
    const native = Class.prototype.matches
    if (native.mmapkitToolkit) continue
    const matches = function matches(pattern, options) {
      const iterator = native.call(this, pattern, options)
      const signal = options?.signal
      if (signal !== undefined) {
        if (signal === null || typeof signal !== 'object' || typeof signal.aborted !== 'boolean') {
          throw Object.assign(
            new TypeError(
              `The "options.signal" property must be an instance of AbortSignal. Received ${describe(signal)}`,
            ),
            { code: 'ERR_INVALID_ARG_TYPE' },
          )
        }
        signals.set(iterator, signal)
      }
      return iterator
    }
    define(matches, 'mmapkitToolkit', true)
    define(Class.prototype, 'matches', matches)
  }
  return exports
}

module.exports = { installToolkit }
