// RingBuffer: a message queue in a mapped file between processes.
import { spawn } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import test from 'ava'

import { RingBuffer } from '../index.js'
import { tempDir, throwsLike } from './helpers.mjs'

const binding = fileURLToPath(new URL('../index.js', import.meta.url))
const MESSAGES = Number(process.env.MMAPKIT_RING_MESSAGES ?? 1_000_000)

/**
 * Message n: [u32 n][u32 checksum][payload of (n * 7919) % 4096 + 1 - 8 bytes, at least 0]; the
 * checksum is FNV-1a over the payload. Shared by the producer child and the checks.
 */
const MESSAGE_CODE = `
  function fnv(bytes, from) {
    let h = 0x811c9dc5
    for (let i = from; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193)
    return h >>> 0
  }
  function makeMessage(n, scratch) {
    const size = Math.max(8, ((n * 7919) % 4096) + 1)
    const message = scratch.subarray(0, size)
    message.writeUInt32LE(n, 0)
    for (let i = 8; i < size; i++) message[i] = (n + i * 31) & 255
    message.writeUInt32LE(fnv(message, 8), 4)
    return message
  }`
// eslint-disable-next-line no-new-func
const { fnv } = new Function(`${MESSAGE_CODE}; return { fnv, makeMessage }`)() as {
  fnv: (bytes: Uint8Array, from: number) => number
}

function checkMessage(message: Buffer, expected: number): string | null {
  if (message.length < 8) return `message ${expected}: only ${message.length} bytes`
  const n = message.readUInt32LE(0)
  if (n !== expected) return `expected message ${expected}, got ${n}`
  const size = Math.max(8, ((n * 7919) % 4096) + 1)
  if (message.length !== size) return `message ${n}: ${message.length} bytes, expected ${size}`
  if (fnv(message, 8) !== message.readUInt32LE(4)) return `message ${n}: bad checksum`
  return null
}

/** Starts a producer process pushing messages `0..count-1`, waiting (briefly sleeping) when full. */
function producer(path: string, count: number) {
  const script = `
    const { RingBuffer } = require(${JSON.stringify(binding)})
    ${MESSAGE_CODE}
    const ring = RingBuffer.open(process.argv[1])
    const scratch = Buffer.alloc(4096)
    const nap = new Int32Array(new SharedArrayBuffer(4))
    const count = Number(process.argv[2])
    for (let n = 0; n < count; n++) {
      const message = makeMessage(n, scratch)
      while (!ring.push(message)) Atomics.wait(nap, 0, 0, 0.05)
    }
    ring.close()`
  const child = spawn(process.execPath, ['-e', script, path, String(count)], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d) => (stderr += d))
  const exited = new Promise<{ code: number | null; signal: string | null; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stderr })),
  )
  return { child, exited }
}

test.serial(
  `two processes exchange ${MESSAGES.toLocaleString()} messages of 1..4096 bytes: in order, none lost or duplicated`,
  async (t) => {
    const path = join(tempDir(t), 'exchange.ring')
    const ring = RingBuffer.create(path, 1 << 20)
    const started = process.hrtime.bigint()
    const { exited } = producer(path, MESSAGES)
    let bytes = 0
    for (let expected = 0; expected < MESSAGES; expected++) {
      const message = ring.pop() ?? (await ring.popAsync({ timeoutMs: 10_000 }))
      if (!message) return t.fail(`timed out waiting for message ${expected}`)
      const problem = checkMessage(message, expected)
      if (problem) return t.fail(problem)
      bytes += message.length
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9
    const result = await exited
    t.is(result.code, 0, result.stderr)
    t.is(ring.length, 0)
    t.is(ring.pop(), null, 'nothing extra')
    t.log(`${MESSAGES.toLocaleString()} messages, ${(bytes / 2 ** 20).toFixed(0)} MiB in ${seconds.toFixed(1)} s`)
    ring.close()
  },
)

test.serial(
  'a producer SIGKILLed at random points never leaves a torn message; the queue survives restarts',
  async (t) => {
    const path = join(tempDir(t), 'killed.ring')
    RingBuffer.create(path, 64 * 1024).close()
    let next = 0
    for (let round = 0; round < 20; round++) {
      // The consumer side restarts every round too: a fresh open of the same file.
      const ring = RingBuffer.open(path)
      const script = `
      const { RingBuffer } = require(${JSON.stringify(binding)})
      ${MESSAGE_CODE}
      const ring = RingBuffer.open(process.argv[1])
      const scratch = Buffer.alloc(4096)
      const nap = new Int32Array(new SharedArrayBuffer(4))
      for (let n = Number(process.argv[2]); ; n++) {
        const message = makeMessage(n, scratch)
        while (!ring.push(message)) Atomics.wait(nap, 0, 0, 0.05)
      }`
      const child = spawn(process.execPath, ['-e', script, path, String(next)], { stdio: 'ignore' })
      let running = true
      const exited = new Promise((resolve) =>
        child.on('exit', (code, signal) => {
          running = false
          resolve(code ?? signal)
        }),
      )
      // Consume while it produces, and kill it at a random moment after it has delivered work (a
      // busy machine may take long to start it: the clock starts at its first message).
      const first = next
      let killAt = Infinity
      while (running && Date.now() < killAt) {
        const message = ring.pop() ?? (await ring.popAsync({ timeoutMs: 5 }))
        if (message) {
          const problem = checkMessage(message, next)
          if (problem) return t.fail(`round ${round}: ${problem}`)
          if (next++ === first) killAt = Date.now() + Math.random() * 150
        }
      }
      if (!running) return t.fail(`round ${round}: the producer exited by itself (${await exited})`)
      child.kill('SIGKILL')
      await exited
      for (let message = ring.pop(); message; message = ring.pop()) {
        const problem = checkMessage(message, next)
        if (problem) return t.fail(`round ${round}, after the kill: ${problem}`)
        next++
      }
      ring.close()
    }
    t.log(`${next} messages delivered intact across 20 killed producers`)
    t.true(next > 20)
  },
)

test.serial('several consumer processes share one queue: every message exactly once', async (t) => {
  const path = join(tempDir(t), 'shared.ring')
  const ring = RingBuffer.create(path, 256 * 1024)
  const count = 30_000
  const consumerScript = `
    const { RingBuffer } = require(${JSON.stringify(binding)})
    const ring = RingBuffer.open(process.argv[1])
    const seen = []
    ;(async () => {
      for (;;) {
        const message = ring.pop() ?? (await ring.popAsync({ timeoutMs: 500 }))
        if (!message) break
        const n = message.readUInt32LE(0)
        if (n === 0xffffffff) break
        seen.push(n)
      }
      process.stdout.write(JSON.stringify(seen))
    })()`
  const consumers = [0, 1, 2].map(() => {
    const child = spawn(process.execPath, ['-e', consumerScript, path], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    return new Promise<number[]>((resolve) => child.on('close', () => resolve(JSON.parse(out || '[]'))))
  })
  const message = Buffer.alloc(64)
  for (let n = 0; n < count; n++) {
    message.writeUInt32LE(n, 0)
    while (!ring.push(message)) await new Promise((resolve) => setImmediate(resolve))
  }
  message.writeUInt32LE(0xffffffff, 0)
  for (let i = 0; i < 3; i++) while (!ring.push(message)) await new Promise((resolve) => setImmediate(resolve))
  const seen = (await Promise.all(consumers)).flat().sort((a, b) => a - b)
  t.is(seen.length, count)
  t.true(
    seen.every((n, i) => n === i),
    'each message once',
  )
  ring.close()
})

test('full and empty edges, FIFO order, peek, strings, and the size limit', (t) => {
  const ring = RingBuffer.create(join(tempDir(t), 'edges.ring'), 64)
  t.is(ring.capacity, 64)
  t.false(ring.overwrite)
  t.is(ring.pop(), null)
  t.is(ring.peek(), null)
  t.true(ring.push('first'))
  t.true(ring.push(new Uint8Array([1, 2, 3])))
  t.true(ring.push(''))
  t.is(ring.length, 3)
  t.is(ring.peek()!.toString(), 'first')
  t.is(ring.length, 3)
  t.is(ring.pop()!.toString(), 'first')
  t.deepEqual([...ring.pop()!], [1, 2, 3])
  t.is(ring.pop()!.length, 0)
  t.true(ring.push(Buffer.alloc(60, 1)), 'the largest message: capacity - 4')
  t.false(ring.push('x'), 'full: push returns false')
  throwsLike(t, () => ring.push(Buffer.alloc(61)), { class: RangeError, code: 'ERR_OUT_OF_RANGE' })
  throwsLike(t, () => ring.push(5 as never), { class: TypeError, code: 'ERR_INVALID_ARG_TYPE' })
  t.true(ring.pop()!.equals(Buffer.alloc(60, 1)))
  for (let i = 0; i < 100; i++) {
    t.true(ring.push(`message ${i}`))
    t.is(ring.pop()!.toString(), `message ${i}`, 'wrapping around')
  }
  ring[Symbol.dispose]()
  t.true(ring.closed)
  throwsLike(t, () => ring.pop(), { class: Error, code: 'ERR_MMAP_CLOSED' })
})

test('overwrite mode drops the oldest messages instead of refusing', (t) => {
  const ring = RingBuffer.create(join(tempDir(t), 'overwrite.ring'), 64, { overwrite: true })
  t.true(ring.overwrite)
  for (let i = 0; i < 100; i++) t.true(ring.push(`m${String(i).padStart(3, '0')}`))
  // 64 bytes hold 8 records of 8 bytes (4-byte prefix + 4-byte message).
  t.is(ring.length, 8)
  const left: string[] = []
  for (let message = ring.pop(); message; message = ring.pop()) left.push(message.toString())
  t.deepEqual(left, ['m092', 'm093', 'm094', 'm095', 'm096', 'm097', 'm098', 'm099'])
  ring.close()
})

test('corrupt or foreign files are ERR_MMAP_CORRUPT, never a crash', (t) => {
  const dir = tempDir(t)
  const good = join(dir, 'good.ring')
  const ring = RingBuffer.create(good, 256)
  ring.push('valid')
  ring.close()
  const original = readFileSync(good)
  const u32 = (n: number) => Buffer.from(new Uint32Array([n]).buffer)
  const u64 = (n: bigint) => Buffer.from(new BigUint64Array([n]).buffer)
  const damage: [string, number, Buffer][] = [
    ['magic', 0, Buffer.from('NOTARING')],
    ['version', 8, u32(2)],
    ['flags', 12, u32(0x80)],
    ['capacity larger than the file', 16, u64(1n << 40n)],
    ['capacity not a multiple of 8', 16, u64(250n)],
    ['data offset', 24, u64(0n)],
    ['head past tail', 64, u64(1024n)],
    ['tail beyond capacity', 128, u64(1n << 20n)],
    ['misaligned tail', 128, u64(3n)],
    ['popped past pushed', 72, u64(99n)],
  ]
  for (const [label, offset, bytes] of damage) {
    const path = join(dir, `${label.replace(/ /g, '-')}.ring`)
    const copy = Buffer.from(original)
    bytes.copy(copy, offset)
    writeFileSync(path, copy)
    throwsLike(t, () => RingBuffer.open(path), { class: Error, code: 'ERR_MMAP_CORRUPT' }, label)
  }
  const recordLength = join(dir, 'record.ring')
  const copy = Buffer.from(original)
  u32(200).copy(copy, 4096)
  writeFileSync(recordLength, copy)
  const damaged = RingBuffer.open(recordLength)
  throwsLike(t, () => damaged.pop(), { class: Error, code: 'ERR_MMAP_CORRUPT' }, 'record length past the data')
  damaged.close()
  for (const [label, contents] of [
    ['empty', Buffer.alloc(0)],
    ['random', Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 131) & 255))],
    ['truncated', original.subarray(0, 4100)],
  ] as const) {
    const path = join(dir, `${label}.bin`)
    writeFileSync(path, contents)
    throwsLike(t, () => RingBuffer.open(path), { class: Error, code: 'ERR_MMAP_CORRUPT' }, label)
  }
  throwsLike(t, () => RingBuffer.open(join(dir, 'missing.ring')), { class: Error, code: 'ENOENT' })
})

test('popAsync waits without spinning, times out with null, and aborts', async (t) => {
  const ring = RingBuffer.create(join(tempDir(t), 'async.ring'), 1024)
  // Progress, not wall time: the push comes from the event loop's 10th tick while the wait is
  // pending, so a wait that blocked the JS thread would never be woken (and time out with null).
  let ticks = 0
  const waiting = ring.popAsync({ timeoutMs: 60_000 })
  const interval = setInterval(() => {
    if (++ticks === 10) ring.push('wake')
  }, 1)
  t.is((await waiting)?.toString(), 'wake')
  clearInterval(interval)
  t.true(ticks >= 10, `${ticks} ticks while waiting`)
  t.is(await ring.popAsync({ timeoutMs: 20 }), null)
  const controller = new AbortController()
  const aborted = ring.popAsync({ signal: controller.signal })
  setTimeout(() => controller.abort(), 20)
  await t.throwsAsync(aborted, { code: 'ABORT_ERR', name: 'AbortError' })
  await t.throwsAsync(ring.popAsync({ timeoutMs: -1 }), { code: 'ERR_OUT_OF_RANGE' })
  ring.close()
})
