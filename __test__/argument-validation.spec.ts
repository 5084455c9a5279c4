// Argument validation is written once, in the JS layer (lib/validate.js, table lib/signatures.js):
// every native method gets only values its typed napi-rs signature can convert, so no napi-rs
// conversion error ("Failed to convert ...", code 'InvalidArg') ever reaches a caller; the messages
// are Node's own forms (compared with node:fs's messages for the same values); async methods reject
// instead of throwing; and the hot calls, which accept or refuse in Rust, word their refusals
// through the same validators, on the main thread and in workers.
import { openSync, closeSync, createReadStream } from 'node:fs'
import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'

import test from 'ava'

import { MemoryMappedFile, RingBuffer, loadMmap } from '../index.js'
import { tempDir, tempFile, throwsLike } from './helpers.mjs'

const require = createRequire(import.meta.url)
const signatures = require('../lib/signatures.js')

/** Values no validator accepts where a number, string, bytes, enum or options object is expected. */
const HOSTILE: unknown[] = [Symbol('bad'), 10n, () => 0, true]

function isNodeError(error: unknown) {
  const code = (error as { code?: unknown })?.code
  return typeof code === 'string' && /^(ERR_[A-Z_]+|E[A-Z]+)$/.test(code)
}

function assertNodeError(t: import('ava').ExecutionContext, error: unknown, label: string) {
  t.true(isNodeError(error), `${label}: ${String((error as Error)?.message ?? error)}`)
  t.notRegex(String((error as Error)?.message), /Failed to convert|Expect value to be|napi/i, label)
}

/** Calls `receiver[name](...args)` (or a static), returning what it threw or rejected with. */
async function failure(call: () => unknown): Promise<unknown> {
  try {
    const result = call()
    if (result instanceof Promise) await result
  } catch (error) {
    return error
  }
  return undefined
}

test('every listed method refuses hostile values at every position with a Node error, never a napi-rs one', async (t) => {
  const path = tempFile(t, Buffer.alloc(4096, 0x61))
  const file = MemoryMappedFile.openRw(path)
  const segment = file.segment(0, 1024)
  const ring = RingBuffer.create(`${tempDir(t)}/r.ring`, 4096)
  const targets: [string, object, Record<string, unknown[]>][] = [
    ['MemoryMappedFile', file, signatures.FILE_METHODS],
    ['Segment', segment, signatures.SPAN_METHODS],
    ['RingBuffer', ring, signatures.RING_METHODS],
    ['MemoryMappedFile (static)', MemoryMappedFile, signatures.FILE_STATICS],
    ['RingBuffer (static)', RingBuffer, signatures.RING_STATICS],
  ]
  let calls = 0
  for (const [className, receiver, table] of targets) {
    for (const [name, validators] of Object.entries(table)) {
      const method = (receiver as Record<string, (...args: unknown[]) => unknown>)[name]
      t.is(typeof method, 'function', `${className}.${name} is listed but does not exist`)
      for (let position = 0; position < validators.length; position++) {
        for (const value of HOSTILE) {
          const args = Array.from({ length: validators.length }, () => undefined as unknown)
          args[position] = value
          const error = await failure(() => Reflect.apply(method, receiver, args))
          // A value may be refused at an earlier position (undefined where an argument is required).
          assertNodeError(t, error, `${className}.${name} with ${String(value)} at ${position}`)
          calls++
        }
      }
    }
  }
  t.true(calls > 300)
  ring.close()
  file.close()
})

test('async methods reject, never throw, for bad arguments', async (t) => {
  const file = MemoryMappedFile.openRw(tempFile(t, Buffer.alloc(4096)))
  const ring = RingBuffer.create(`${tempDir(t)}/a.ring`, 4096)
  const calls: [string, () => Promise<unknown>][] = [
    ['openAsync', () => MemoryMappedFile.openAsync(Symbol('x') as never)],
    ['openAsync options', () => MemoryMappedFile.openAsync(file.path!, { mode: 'rw' as never })],
    ['flushAsync', () => file.flushAsync({ signal: 1 as never })],
    ['flushRangeAsync', () => file.flushRangeAsync(-1, 0)],
    ['lockAsync', () => file.lockAsync('both' as never)],
    ['countAsync', () => file.countAsync('')],
    ['findAllAsync', () => file.findAllAsync('a', { onProgress: 1 as never })],
    ['countLinesAsync', () => file.countLinesAsync({ threads: 0 })],
    ['popAsync', () => ring.popAsync({ timeoutMs: -1 })],
  ]
  for (const [label, call] of calls) {
    let promise: Promise<unknown> | undefined
    t.notThrows(() => {
      promise = call()
    }, label)
    const error = await t.throwsAsync(promise!, undefined, label)
    assertNodeError(t, error, label)
  }
  ring.close()
  file.close()
})

test('path messages are node:fs messages for the same values', (t) => {
  class Thing {}
  const values: unknown[] = [
    42,
    true,
    null,
    undefined,
    10n,
    Symbol('s'),
    function named() {},
    () => 0,
    {},
    [1],
    new Thing(),
  ]
  for (const value of values) {
    const ours = t.throws(() => loadMmap(value as never))
    const node = t.throws(() => closeSync(openSync(value as never, 'r')))
    t.is(ours?.message, node?.message, String(value))
    t.is((ours as NodeJS.ErrnoException)?.code, (node as NodeJS.ErrnoException)?.code)
    t.is(ours?.constructor, node?.constructor)
  }
  const nul = 'a\0b'
  t.is(t.throws(() => loadMmap(nul))?.message, t.throws(() => openSync(nul, 'r'))?.message)
})

test('integer messages are Node validateInteger messages (compared with fs.createReadStream start)', (t) => {
  const path = tempFile(t, Buffer.alloc(16))
  const file = MemoryMappedFile.openRo(path)
  const values: unknown[] = [
    -1,
    1.5,
    NaN,
    Infinity,
    2 ** 53,
    -(2 ** 40),
    '5',
    'a long string that goes on and on and on',
    null,
  ]
  for (const value of values) {
    const node = t.throws(() => createReadStream(path, { start: value as number }))
    const ours = t.throws(() => file.segment(value as number, 0))
    t.is(ours?.message, node?.message?.replace('"start"', '"offset"'), String(value))
    t.is((ours as NodeJS.ErrnoException)?.code, (node as NodeJS.ErrnoException)?.code)
  }
  file.close()
})

test('a hot call refusing an argument words it through the JS validators, in a worker too', async (t) => {
  const path = tempFile(t, Buffer.alloc(64))
  const probe = `
    const { MemoryMappedFile } = require(${JSON.stringify(require.resolve('../index.js'))})
    const file = MemoryMappedFile.openRw(${JSON.stringify(path)})
    const messages = []
    for (const call of [
      () => file.readInto(function foo() {}, new Uint8Array(1)),
      () => file.readInto(0, new Int16Array(1)),
      () => file.updateRegion(2 ** 53, 'x'),
      () => file.atomicAddU32(0, 2 ** 32),
      () => file.atomicStoreU64(0, -1n),
    ]) {
      try { call(); messages.push('no error') } catch (error) { messages.push(error.code + ': ' + error.message) }
    }
    file.close()
    return messages
  `
  const expected = [
    'ERR_INVALID_ARG_TYPE: The "offset" argument must be of type number. Received function foo',
    'ERR_INVALID_ARG_TYPE: The "target" argument must be an instance of Uint8Array. Received an instance of Int16Array',
    'ERR_OUT_OF_RANGE: The value of "offset" is out of range. It must be >= 0 && <= 9007199254740991. Received 9_007_199_254_740_992',
    'ERR_OUT_OF_RANGE: The value of "delta" is out of range. It must be >= -4294967295 && <= 4294967295. Received 4294967296',
    'ERR_OUT_OF_RANGE: The value of "value" is out of range. It must be between 0n and 2n ** 64n - 1n. Received a bigint outside that range',
  ]
  t.deepEqual(new Function('require', probe)(require), expected)
  const worker = new Worker(
    `const { parentPort } = require('node:worker_threads'); parentPort.postMessage((() => {${probe}})())`,
    {
      eval: true,
    },
  )
  const fromWorker = await new Promise((resolve, reject) => {
    worker.once('message', resolve)
    worker.once('error', reject)
  })
  await worker.terminate()
  t.deepEqual(fromWorker, expected)
})

test('a count below 1 (threads, parts), zero or negative, is refused with the count range', (t) => {
  const file = MemoryMappedFile.anonymous(4096)
  for (const value of [0, -1, -(2 ** 40)]) {
    throwsLike(t, () => file.count('a', { threads: value }), {
      code: 'ERR_OUT_OF_RANGE',
      message: /It must be >= 1 && <= \d+\. Received -?[\d_]+$/,
    })
    throwsLike(t, () => file.splitRanges(value), { code: 'ERR_OUT_OF_RANGE', message: /It must be >= 1 && <= / })
  }
  file.close()
})
