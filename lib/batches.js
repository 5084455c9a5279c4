'use strict'
// LineIterator.next and MatchIterator.next in JavaScript, over batches made by one native call each
// (`nextBatch`): one native call and one view per 1024 lines instead of one per line (~0.3 us
// instead of ~4.7 us a line). Each line is a Buffer over the batch's zero-copy view.
const { Buffer } = require('node:buffer')
const { closedError, nodeError } = require('./errors.js')
const { stateOf } = require('./lifecycle.js')

/** Per-iterator batch state, and the mapping state (lib/lifecycle.js) the iterator's views belong to. */
const batches = new WeakMap()
const owners = new WeakMap()
const DONE = Object.freeze({ value: undefined, done: true })

/**
 * The Buffers lines() yields: a Uint8Array subclass whose prototype chain goes through
 * Buffer.prototype (Buffer.isBuffer is true, every Buffer method works; subarray() and slice() make
 * plain Buffers), as Node's internal FastBuffer is. Cheaper to construct than Buffer#subarray,
 * which looks the species constructor up on every call.
 */
class LineBuffer extends Uint8Array {}
Object.setPrototypeOf(LineBuffer.prototype, Buffer.prototype)
Object.defineProperty(LineBuffer.prototype, 'constructor', { value: Buffer, writable: true, configurable: true })

/** Records per native call of LineIterator.nextBatch (each batch spans at most 64 KiB). */
const LINE_BATCH = 1024
/** Offsets per native call of MatchIterator.nextBatch at most (batches start at 1 and double). */
const MATCH_BATCH = 256

/**
 * Wraps `prototype[name]` (lines or matches) so that each iterator it makes remembers the mapping
 * state of its file (`fileOf(receiver)`), for the staleness check.
 */
function trackIterators(prototype, name, fileOf) {
  const native = prototype[name]
  Object.defineProperty(prototype, name, {
    value: {
      [name](...args) {
        const iterator = Reflect.apply(native, this, args)
        owners.set(iterator, stateOf(fileOf(this)))
        return iterator
      },
    }[name],
    writable: true,
    configurable: true,
  })
}

/** Throws ERR_MMAP_CLOSED (after ending the iteration) if the file was closed or resized since `batch`. */
function checkFresh(iterator, batch, nativeReturn) {
  const state = owners.get(iterator)
  if (state !== undefined && state.generation !== batch.generation) {
    batch.count = 0
    batch.done = true
    Reflect.apply(nativeReturn, iterator, [])
    throw closedError()
  }
}

function installLineBatches(prototype) {
  const { nextBatch, return: nativeReturn } = prototype
  Object.defineProperty(prototype, 'next', {
    value: function next() {
      let batch = batches.get(this)
      if (batch === undefined) {
        batch = { bounds: new Float64Array(1 + 2 * LINE_BATCH), arrayBuffer: null, bufferLength: 0, byteOffset: 0 }
        Object.assign(batch, { count: 0, index: 0, done: false, generation: 0 })
        batches.set(this, batch)
      }
      if (batch.index >= batch.count) {
        if (batch.done) return DONE
        batch.generation = owners.get(this)?.generation ?? 0
        const region = Reflect.apply(nextBatch, this, [batch.bounds])
        if (region === undefined) {
          batch.done = true
          return DONE
        }
        batch.arrayBuffer = region.buffer
        batch.bufferLength = region.buffer.byteLength
        batch.byteOffset = region.byteOffset
        batch.count = batch.bounds[0]
        batch.index = 0
      }
      checkFresh(this, batch, nativeReturn)
      if (batch.arrayBuffer.byteLength !== batch.bufferLength) {
        // The caller transferred (detached) a line's ArrayBuffer, which the lines of this batch
        // share: they cannot be read any more. Say so, with a code, rather than skip them.
        batch.count = 0
        batch.done = true
        Reflect.apply(nativeReturn, this, [])
        throw nodeError(
          TypeError,
          'ERR_INVALID_STATE',
          "Invalid state: a line's ArrayBuffer was transferred, and the lines read with it are gone; " +
            'copy a line (Buffer.from(line)) before transferring it',
        )
      }
      const i = 1 + 2 * batch.index++
      const start = batch.bounds[i]
      const line = new LineBuffer(batch.arrayBuffer, batch.byteOffset + start, batch.bounds[i + 1] - start)
      return { value: line, done: false }
    },
    writable: true,
    configurable: true,
  })
  defineReturn(prototype, nativeReturn)
}

function installMatchBatches(prototype) {
  const { nextBatch, return: nativeReturn } = prototype
  Object.defineProperty(prototype, 'next', {
    value: function next() {
      let batch = batches.get(this)
      if (batch === undefined) {
        batch = { offsets: new Float64Array(MATCH_BATCH), size: 1, count: 0, index: 0, done: false, generation: 0 }
        batches.set(this, batch)
      }
      if (batch.index >= batch.count) {
        if (batch.done) return DONE
        batch.generation = owners.get(this)?.generation ?? 0
        const count = Reflect.apply(nextBatch, this, [batch.offsets.subarray(0, batch.size)])
        batch.size = Math.min(MATCH_BATCH, batch.size * 2)
        batch.count = count
        batch.index = 0
        if (count === 0) {
          batch.done = true
          return DONE
        }
      }
      checkFresh(this, batch, nativeReturn)
      return { value: batch.offsets[batch.index++], done: false }
    },
    writable: true,
    configurable: true,
  })
  defineReturn(prototype, nativeReturn)
}

function defineReturn(prototype, nativeReturn) {
  Object.defineProperty(prototype, 'return', {
    value: function return_(value) {
      const batch = batches.get(this)
      if (batch !== undefined) {
        batch.count = 0
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
