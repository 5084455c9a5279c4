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

/** Per-iterator batch state, under a symbol on the native iterator object. */
const kBatch = Symbol('mmapkit.batch')
const DONE = Object.freeze({ value: undefined, done: true })

/**
 * The Buffers lines() yields: Node's own FastBuffer is internal, so this is the same thing (a
 * Uint8Array subclass whose prototype chain goes through Buffer.prototype: Buffer.isBuffer is true,
 * every Buffer method works, subarray() and slice() make plain Buffers). Constructing one is cheaper
 * than Buffer.prototype.subarray, which looks the species constructor up on every call.
 */
class LineBuffer extends Uint8Array {
  /**
   * @param {ArrayBufferLike} arrayBuffer
   * @param {number} byteOffset
   * @param {number} length
   */
  constructor(arrayBuffer, byteOffset, length) {
    super(arrayBuffer, byteOffset, length)
  }
}
Object.setPrototypeOf(LineBuffer.prototype, Buffer.prototype)
Object.defineProperty(LineBuffer.prototype, 'constructor', { value: Buffer, writable: true, configurable: true })

/** Records per native call of LineIterator.nextBatch (each batch spans at most 64 KiB). */
const LINE_BATCH = 1024
/** Largest number of offsets per native call of MatchIterator.nextBatch (batches start at 1 and double). */
const MATCH_BATCH = 256

/**
 * LineIterator.next in JavaScript: one native call finds up to LINE_BATCH records and returns one
 * zero-copy view spanning them; each line is a subarray of it (a view of the same mapping, detached
 * by close() like every view). Much cheaper than one native call and one view per line.
 * @param {any} prototype
 */
function batchLines(prototype) {
  const nativeReturn = prototype.return
  define(
    prototype,
    'next',
    /** @this {any} */ function next() {
      let batch = this[kBatch]
      if (batch === undefined) {
        batch = {
          bounds: new Float64Array(1 + 2 * LINE_BATCH),
          region: Buffer.alloc(0),
          arrayBuffer: new ArrayBuffer(0),
          byteOffset: 0,
          length: 0,
          count: 0,
          index: 0,
          done: false,
        }
        Object.defineProperty(this, kBatch, { value: batch })
      }
      if (batch.index >= batch.count) {
        if (batch.done) return DONE
        const region = this.nextBatch(batch.bounds)
        if (region === undefined) {
          batch.done = true
          return DONE
        }
        batch.region = region
        batch.length = region.length
        batch.arrayBuffer = region.buffer
        batch.byteOffset = region.byteOffset
        batch.count = batch.bounds[0]
        batch.index = 0
      }
      const region = batch.region
      if (region.length !== batch.length) {
        // The batch's view was detached: the file was closed (or resized) under the iterator.
        batch.count = 0
        batch.done = true
        nativeReturn.call(this)
        throw Object.assign(new Error('The memory-mapped file is closed'), { code: 'ERR_MMAP_CLOSED' })
      }
      const i = 1 + 2 * batch.index++
      const start = batch.bounds[i]
      return {
        value: new LineBuffer(batch.arrayBuffer, batch.byteOffset + start, batch.bounds[i + 1] - start),
        done: false,
      }
    },
  )
  define(
    prototype,
    'return',
    /** @this {any} */ function (/** @type {unknown} */ value) {
      const batch = this[kBatch]
      if (batch !== undefined) {
        batch.count = 0
        batch.done = true
      }
      return nativeReturn.call(this, value)
    },
  )
}

/**
 * MatchIterator.next in JavaScript, over batches of offsets found by one native call each. The
 * batches start at one offset and double up to MATCH_BATCH, so the first match comes as soon as it
 * is found and the search runs little ahead of the consumer; memory stays bounded.
 * @param {any} prototype
 */
function batchMatches(prototype) {
  const nativeReturn = prototype.return
  define(
    prototype,
    'next',
    /** @this {any} */ function next() {
      let batch = this[kBatch]
      if (batch === undefined) {
        batch = { offsets: new Float64Array(MATCH_BATCH), size: 1, count: 0, index: 0, done: false }
        Object.defineProperty(this, kBatch, { value: batch })
      }
      if (batch.index >= batch.count) {
        if (batch.done) return DONE
        const count = this.nextBatch(batch.offsets.subarray(0, batch.size))
        batch.size = Math.min(MATCH_BATCH, batch.size * 2)
        batch.count = count
        batch.index = 0
        if (count === 0) {
          batch.done = true
          return DONE
        }
      }
      return { value: batch.offsets[batch.index++], done: false }
    },
  )
  define(
    prototype,
    'return',
    /** @this {any} */ function (/** @type {unknown} */ value) {
      const batch = this[kBatch]
      if (batch !== undefined) {
        batch.count = 0
        batch.done = true
      }
      return nativeReturn.call(this, value)
    },
  )
}

/**
 * Installs the toolkit's JavaScript parts on the module's exports (the native binding).
 * @param {Record<string, any>} exports
 */
function installToolkit(exports) {
  const { LineIterator, MatchIterator, MemoryMappedFile, Segment } = exports
  if (!Object.prototype.hasOwnProperty.call(LineIterator.prototype, kBatch)) {
    Object.defineProperty(LineIterator.prototype, kBatch, { value: undefined, writable: false })
    batchLines(LineIterator.prototype)
    batchMatches(MatchIterator.prototype)
  }
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
