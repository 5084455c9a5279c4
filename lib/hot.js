'use strict'
// The hot methods (readInto, read, asBuffer, updateRegion, the atomics, RingBuffer push/pop) as JS
// methods that pass the receiver's handle to plain native functions (src/hot/): an 8-byte readInto
// costs ~120 ns this way instead of ~500 ns through napi-rs's method glue.

const { Buffer } = require('node:buffer')

const ATOMICS = [
  'atomicLoadU32',
  'atomicStoreU32',
  'atomicAddU32',
  'atomicCompareExchangeU32',
  'atomicLoadU64',
  'atomicStoreU64',
  'atomicAddU64',
  'atomicCompareExchangeU64',
]

function define(target, key, value) {
  Object.defineProperty(target, key, { value, writable: true, configurable: true, enumerable: false })
}

/** Defines each method of `methods` on `prototype` (non-enumerable, as class methods are). */
function defineMethods(prototype, methods) {
  for (const key of Reflect.ownKeys(methods)) define(prototype, key, methods[key])
}

/** readInto/read/asBuffer/updateRegion on a file or segment prototype. */
function installSpanMethods(prototype, hot, handleOf) {
  const { readInto, read, asBuffer, updateRegion } = hot
  defineMethods(prototype, {
    readInto(offset, target) {
      return readInto(handleOf(this), offset, target)
    },
    read(offset, length) {
      return read(handleOf(this), offset, length)
    },
    asBuffer(offset, length) {
      return asBuffer(handleOf(this), offset, length)
    },
    updateRegion(offset, data) {
      return updateRegion(handleOf(this), offset, data)
    },
  })
}

function installAtomics(prototype, hot, handleOf) {
  for (const name of ATOMICS) {
    const call = hot[name]
    define(
      prototype,
      name,
      {
        [name](offset, a, b) {
          return call(handleOf(this), offset, a, b)
        },
      }[name],
    )
  }
}

/**
 * RingBuffer push/pop. Each popped message gets a Buffer of its own (so transferring one moves no
 * other message): the message is popped into a reused scratch Buffer, then copied out.
 */
function installRingMethods(prototype, hot, handleOf) {
  const { ringPush, ringPopInto } = hot
  let scratch = Buffer.allocUnsafeSlow(64 * 1024)
  defineMethods(prototype, {
    push(message) {
      return ringPush(handleOf(this), message)
    },
    pop() {
      const handle = handleOf(this)
      for (;;) {
        const length = ringPopInto(handle, scratch)
        if (length === -1) return null
        if (length >= 0) {
          const message = Buffer.allocUnsafeSlow(length)
          scratch.copy(message, 0, 0, length)
          return message
        }
        // Larger than the scratch buffer: grow it and pop again (the message stayed in the ring).
        scratch = Buffer.allocUnsafeSlow(-2 - length)
      }
    },
  })
}

module.exports = { defineMethods, installSpanMethods, installAtomics, installRingMethods }
