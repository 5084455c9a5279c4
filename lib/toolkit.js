// The JavaScript half of the big-file toolkit: the iteration protocol of LineIterator and
// MatchIterator (what lines() and matches() return) and the `signal` of matches()'s async form.
// index.js calls installToolkit(exports) once, after loading the native binding.
'use strict'

/**
 * Node's AbortError, as fs/promises rejects with it.
 * @param {AbortSignal} signal
 */
function abortError(signal) {
  return Object.assign(new Error('The operation was aborted', { cause: signal.reason }), {
    name: 'AbortError',
    code: 'ABORT_ERR',
  })
}

/**
 * @param {object} target
 * @param {PropertyKey} key
 * @param {unknown} value
 */
function define(target, key, value) {
  Object.defineProperty(target, key, { value, writable: true, configurable: true, enumerable: false })
}

/** @param {unknown} value */
function describe(value) {
  if (value === null || value === undefined) return String(value)
  if (typeof value === 'function') return `function ${value.name}`
  if (typeof value === 'object')
    return value.constructor?.name ? `an instance of ${value.constructor.name}` : `${value}`
  const shown = typeof value === 'string' ? `'${value.slice(0, 25)}'` : String(value)
  return `type ${typeof value} (${shown})`
}

/**
 * The AbortSignal each MatchIterator's async form watches, if matches() was given one.
 * @type {WeakMap<object, AbortSignal>}
 */
const signals = new WeakMap()

/**
 * Makes `prototype` (a native iterator class with next() and return()) an iterator: iterable,
 * async-iterable, and an Iterator (helpers such as map/take) where the runtime has Iterator.
 * @param {{ next(): IteratorResult<unknown>, return(): IteratorResult<unknown> }} prototype
 */
function makeIterable(prototype) {
  const Iterator = /** @type {{ Iterator?: Function }} */ (/** @type {unknown} */ (globalThis)).Iterator
  if (typeof Iterator === 'function' && Iterator.prototype) {
    Object.setPrototypeOf(prototype, Iterator.prototype)
  }
  define(
    prototype,
    Symbol.iterator,
    /** @this {unknown} */ function iterator() {
      return this
    },
  )
  define(
    prototype,
    Symbol.asyncIterator,
    /** @this {typeof prototype} */ function asyncIterator() {
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
    },
  )
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
    /**
     * @this {unknown}
     * @param {unknown} pattern
     * @param {{ signal?: unknown } | undefined} options
     */
    const matches = function matches(pattern, options) {
      const iterator = native.call(this, pattern, options)
      const signal = options?.signal
      if (signal !== undefined) {
        if (!(signal instanceof AbortSignal)) {
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
