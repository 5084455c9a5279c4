'use strict'
// LineIterator.next and MatchIterator.next in JavaScript, over batches made by one native call each
// (`nextBatch`): one native call and one view per batch of lines instead of one per line. Each line
// is a Buffer over the batch's zero-copy view.
//
// The per-line path is the whole cost of lines() once the native batch is made, so it reads its
// state from one private field of the iterator (no WeakMap lookup per line; user code can neither
// read nor fake the field), and checks only what it must: that the mapping was not closed or
// resized since the batch (ERR_MMAP_CLOSED) and that no line's ArrayBuffer was transferred
// (ERR_INVALID_STATE).
const { Buffer } = require('node:buffer')
const { closedError, nodeError } = require('./errors.js')
const { stateOf } = require('./lifecycle.js')

const DONE = Object.freeze({ value: undefined, done: true })
/** The mapping state of an iterator made outside `lines()`/`matches()` (none is): never retired. */
const UNTRACKED = Object.freeze({ generation: 0 })

/**
 * The Buffers lines() yields: a Uint8Array subclass whose prototype chain goes through
 * Buffer.prototype (Buffer.isBuffer is true, every Buffer method works; subarray() and slice() make
 * plain Buffers), as Node's internal FastBuffer is. Cheaper to construct than Buffer#subarray,
 * which looks the species constructor up on every call.
 */
class LineBuffer extends Uint8Array {}
Object.setPrototypeOf(LineBuffer.prototype, Buffer.prototype)
Object.defineProperty(LineBuffer.prototype, 'constructor', { value: Buffer, writable: true, configurable: true })

/** Records per native call of LineIterator.nextBatch (each batch spans at most 64 KiB: src/line_iterator.rs). */
const LINE_BATCH = 1024
/** Offsets per native call of MatchIterator.nextBatch at most (batches start at 1 and double). */
const MATCH_BATCH = 1024

/** Returns its argument from `super()`, so that a subclass stamps a private field on any object. */
class Stamp {
  constructor(object) {
    return object
  }
}

/** A line iterator's batch: the records' bounds in the batch's view, and where iteration is. */
class LineBatch extends Stamp {
  #batch
  constructor(iterator, owner) {
    super(iterator)
    this.#batch = {
      owner, // the mapping's { generation } (lib/lifecycle.js)
      generation: 0, // the owner's generation when this batch was made
      bounds: null, // Float64Array: [count, start0, end0, start1, end1, ...], made on first use
      arrayBuffer: null,
      bufferLength: 0,
      byteOffset: 0,
      count: 0,
      index: 0,
      done: false,
    }
  }

  /** The batch of `value`, or undefined if it is not an iterator made by lines(). */
  static of(value) {
    return typeof value === 'object' && value !== null && #batch in value ? value.#batch : undefined
  }
}

/** A match iterator's batch of offsets. */
class MatchBatch extends Stamp {
  #batch
  constructor(iterator, owner) {
    super(iterator)
    this.#batch = { owner, generation: 0, offsets: null, size: 1, count: 0, index: 0, done: false }
  }

  static of(value) {
    return typeof value === 'object' && value !== null && #batch in value ? value.#batch : undefined
  }
}

/**
 * Wraps `prototype[name]` (lines or matches) so that each iterator it makes gets its batch state,
 * which remembers the mapping state of its file (`fileOf(receiver)`) for the staleness check.
 */
function trackIterators(prototype, name, fileOf) {
  const native = prototype[name]
  const Batch = name === 'lines' ? LineBatch : MatchBatch
  Object.defineProperty(prototype, name, {
    value: {
      [name](...args) {
        const iterator = Reflect.apply(native, this, args)
        new Batch(iterator, stateOf(fileOf(this))) // oxlint-disable-line no-new
        return iterator
      },
    }[name],
    writable: true,
    configurable: true,
  })
}

/** Ends the iteration (the batch and the native iterator). */
function finish(iterator, batch, nativeReturn) {
  batch.count = 0
  batch.index = 0
  batch.done = true
  Reflect.apply(nativeReturn, iterator, [])
}

/** The batch of `iterator`, checking the receiver (ERR_INVALID_THIS) when it has none yet. */
function batchOf(iterator, Batch, handleOf) {
  const batch = Batch.of(iterator)
  if (batch !== undefined) return batch
  handleOf(iterator) // throws for anything but an instance of the class
  new Batch(iterator, UNTRACKED) // oxlint-disable-line no-new
  return Batch.of(iterator)
}

function installLineBatches(prototype, handleOf) {
  const { nextBatch, return: nativeReturn } = prototype

  /** Makes the next batch current; false at the end. */
  function refill(iterator, batch) {
    if (batch.done) return false
    batch.bounds ??= new Float64Array(1 + 2 * LINE_BATCH)
    batch.generation = batch.owner.generation
    const region = Reflect.apply(nextBatch, iterator, [batch.bounds])
    if (region === undefined) {
      batch.done = true
      return false
    }
    batch.arrayBuffer = region.buffer
    batch.bufferLength = region.buffer.byteLength
    batch.byteOffset = region.byteOffset
    batch.count = batch.bounds[0]
    batch.index = 0
    return true
  }

  /** Throws the error for a stale batch, after ending the iteration. */
  function stale(iterator, batch) {
    const closed = batch.owner.generation !== batch.generation
    finish(iterator, batch, nativeReturn)
    if (closed) throw closedError()
    // The caller transferred (detached) a line's ArrayBuffer, which the lines of this batch
    // share: they cannot be read any more. Say so, with a code, rather than skip them.
    throw nodeError(
      TypeError,
      'ERR_INVALID_STATE',
      "Invalid state: a line's ArrayBuffer was transferred, and the lines read with it are gone; " +
        'copy a line (Buffer.from(line)) before transferring it',
    )
  }

  Object.defineProperty(prototype, 'next', {
    value: function next() {
      const batch = LineBatch.of(this) ?? batchOf(this, LineBatch, handleOf)
      if (batch.index >= batch.count && !refill(this, batch)) return DONE
      const { arrayBuffer } = batch
      if (batch.owner.generation !== batch.generation || arrayBuffer.byteLength !== batch.bufferLength) {
        stale(this, batch)
      }
      const i = 2 * batch.index++
      const { bounds } = batch
      const start = bounds[i + 1]
      return { value: new LineBuffer(arrayBuffer, batch.byteOffset + start, bounds[i + 2] - start), done: false }
    },
    writable: true,
    configurable: true,
  })
  defineReturn(prototype, nativeReturn, LineBatch)
}

function installMatchBatches(prototype, handleOf) {
  const { nextBatch, return: nativeReturn } = prototype

  function refill(iterator, batch) {
    if (batch.done) return false
    batch.offsets ??= new Float64Array(MATCH_BATCH)
    batch.generation = batch.owner.generation
    const count = Reflect.apply(nextBatch, iterator, [batch.offsets.subarray(0, batch.size)])
    batch.size = Math.min(MATCH_BATCH, batch.size * 2)
    batch.count = count
    batch.index = 0
    if (count === 0) {
      batch.done = true
      return false
    }
    return true
  }

  Object.defineProperty(prototype, 'next', {
    value: function next() {
      const batch = MatchBatch.of(this) ?? batchOf(this, MatchBatch, handleOf)
      if (batch.index >= batch.count && !refill(this, batch)) return DONE
      if (batch.owner.generation !== batch.generation) {
        finish(this, batch, nativeReturn)
        throw closedError()
      }
      return { value: batch.offsets[batch.index++], done: false }
    },
    writable: true,
    configurable: true,
  })
  defineReturn(prototype, nativeReturn, MatchBatch)
}

function defineReturn(prototype, nativeReturn, Batch) {
  Object.defineProperty(prototype, 'return', {
    value: function return_(value) {
      const batch = Batch.of(this)
      if (batch !== undefined) {
        batch.count = 0
        batch.index = 0
        batch.done = true
      }
      return Reflect.apply(nativeReturn, this, [value])
    },
    writable: true,
    configurable: true,
  })
  Object.defineProperty(prototype.return, 'name', { value: 'return' })
}

module.exports = { trackIterators, installLineBatches, installMatchBatches }
