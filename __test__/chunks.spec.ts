// Chunk iteration, streams, page-cache control and watching.
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { appendFileSync, chmodSync, createReadStream, readFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { setTimeout as sleep } from 'node:timers/promises'

import test from 'ava'

import { MemoryMappedFile, pageSize } from '../index.js'
import { readableCopy, tempFile, throwsLike } from './helpers.mjs'

// RLIMIT_MEMLOCK and `ulimit -l` are Linux's.
const linuxOnly = process.platform === 'linux' ? test : test.skip

const MiB = 1 << 20

function fsChunks(data: Buffer, size: number): Buffer[] {
  const out: Buffer[] = []
  for (let at = 0; at < data.length; at += size) out.push(data.subarray(at, at + size))
  return out
}

test('chunks equal fs reads for sizes 1, 4095, 4096, 4097, 1 MiB and larger than the file', (t) => {
  const small = tempFile(t, randomBytes(10_001), 'small.bin')
  const large = tempFile(t, randomBytes(2 * MiB + 12_345), 'large.bin')
  for (const [path, sizes] of [
    [small, [1, 4095, 4096, 4097, MiB]],
    [large, [4095, 4096, 4097, MiB, 3 * MiB]],
  ] as const) {
    const expected = readFileSync(path)
    const file = MemoryMappedFile.openRo(path)
    for (const size of sizes) {
      const chunks = [...file.chunks(size)]
      t.deepEqual(
        chunks.map((c) => c.length),
        fsChunks(expected, size).map((c) => c.length),
        `size ${size}`,
      )
      t.true(Buffer.concat(chunks).equals(expected), `size ${size}`)
    }
    t.deepEqual(
      [...file.pages()].map((page) => page.length),
      fsChunks(expected, pageSize()).map((c) => c.length),
    )
    file.close()
  }
})

test('chunks are async-iterable and work with iterator helpers where the runtime has them', async (t) => {
  const path = tempFile(t, randomBytes(50_000))
  const expected = readFileSync(path)
  const file = MemoryMappedFile.openRo(path)
  const collected: Buffer[] = []
  for await (const chunk of file.chunks(7000)) collected.push(chunk)
  t.true(Buffer.concat(collected).equals(expected))
  let count = 0
  for (const chunk of file.chunks(10_000)) {
    count++
    if (chunk.length) break // `break` calls return(): the iterator is done afterwards
  }
  t.is(count, 1)
  const iterator = file.chunks(10_000)
  t.is(iterator[Symbol.iterator](), iterator)
  iterator.return()
  t.deepEqual(iterator.next(), { done: true, value: undefined })
  const helpers = iterator as unknown as { map?: unknown }
  if (typeof (globalThis as { Iterator?: unknown }).Iterator === 'function' && helpers.map) {
    const lengths = (file.chunks(20_000) as unknown as { map(f: (b: Buffer) => number): { toArray(): number[] } })
      .map((b) => b.length)
      .toArray()
    t.deepEqual(lengths, [20_000, 20_000, 10_000])
  } else {
    t.log(`no iterator helpers on Node ${process.version}`)
  }
  throwsLike(t, () => file.chunks(0), { class: RangeError, code: 'ERR_OUT_OF_RANGE' })
  throwsLike(t, () => file.chunks(1.5), { class: RangeError, code: 'ERR_OUT_OF_RANGE' })
  file.close()
})

test('chunks of a readWrite mapping are writable views of the file', (t) => {
  const path = tempFile(t, Buffer.alloc(3 * pageSize()))
  const file = MemoryMappedFile.openRw(path)
  for (const page of file.pages()) page.fill(7)
  file.flush()
  t.true(readFileSync(path).every((byte) => byte === 7))
  file.close()
})

test('closing the file ends an iteration with ERR_MMAP_CLOSED; its chunks read zeros', (t) => {
  const path = tempFile(t, randomBytes(10_000))
  const file = MemoryMappedFile.openRo(path)
  const iterator = file.chunks(1000)
  const first = iterator.next().value as Buffer
  t.is(first.length, 1000)
  file.close()
  t.is(first.byteLength, 1000)
  t.true(first.every((byte) => byte === 0))
  throwsLike(t, () => iterator.next(), { class: Error, code: 'ERR_MMAP_CLOSED' })
  t.deepEqual(iterator.next(), { done: true, value: undefined })
})

test('createReadStream output is byte-equal to fs.createReadStream', async (t) => {
  const path = tempFile(t, randomBytes(300_000))
  const file = MemoryMappedFile.openRo(path)
  const cases = [
    {},
    { highWaterMark: 1 },
    { start: 5, end: 5 },
    { start: 1000, end: 250_000, highWaterMark: 4097 },
    { start: 299_000 },
    { end: 10 },
    { start: 400_000 },
  ]
  for (const options of cases) {
    const mine: Buffer[] = []
    const theirs: Buffer[] = []
    const limit = options.highWaterMark === 1 ? { ...options, end: 3000 } : options
    for await (const chunk of file.createReadStream(limit)) mine.push(chunk)
    for await (const chunk of createReadStream(path, limit)) theirs.push(chunk as Buffer)
    t.true(Buffer.concat(mine).equals(Buffer.concat(theirs)), JSON.stringify(limit))
  }
  file.close()
})

test('createReadStream works in stream.pipeline with backpressure', async (t) => {
  const path = tempFile(t, randomBytes(MiB))
  const file = MemoryMappedFile.openRo(path)
  const stream = file.createReadStream({ highWaterMark: 16 * 1024 })
  await sleep(20)
  t.true(stream.readableLength <= 16 * 1024, `buffered ${stream.readableLength} bytes while nobody reads`)
  let received = 0
  await pipeline(
    stream,
    new Writable({
      highWaterMark: 1,
      write(chunk: Buffer, _encoding, done) {
        received += chunk.length
        setImmediate(done)
      },
    }),
  )
  t.is(received, MiB)
  throwsLike(t, () => file.createReadStream({ start: -1 }), { class: RangeError, code: 'ERR_OUT_OF_RANGE' })
  throwsLike(t, () => file.createReadStream({ start: 5, end: 4 }), { class: RangeError, code: 'ERR_OUT_OF_RANGE' })
  throwsLike(t, () => file.createReadStream({ highWaterMark: 0 }), { class: RangeError, code: 'ERR_OUT_OF_RANGE' })
  throwsLike(t, () => file.createReadStream({ end: '5' as unknown as number }), {
    class: TypeError,
    code: 'ERR_INVALID_ARG_TYPE',
  })
  const interrupted = file.createReadStream({ highWaterMark: 1024 })
  file.close()
  const error = await t.throwsAsync(async () => {
    for await (const chunk of interrupted) t.truthy(chunk)
  })
  t.is((error as { code?: string }).code, 'ERR_MMAP_CLOSED')
})

test('advise, touchPages and prefetch accept unaligned ranges', (t) => {
  const path = tempFile(t, randomBytes(10 * pageSize() + 3))
  const expected = readFileSync(path)
  const file = MemoryMappedFile.openRo(path)
  for (const [offset, length] of [
    [1, 1],
    [pageSize() - 1, 2],
    [123, 5 * pageSize() + 7],
    [0, expected.length],
    [expected.length, 0],
  ]) {
    file.advise('willNeed', offset, length)
    file.advise('dontNeed', offset, length)
    file.touchPages(offset, length)
    file.prefetch(offset, length)
    file.lockMemory(offset, length)
    file.unlockMemory(offset, length)
  }
  file.touchPages()
  file.prefetch()
  t.true(file.asBuffer().equals(expected))
  throwsLike(t, () => file.touchPages(0, expected.length + 1), { class: RangeError, code: 'ERR_OUT_OF_RANGE' })
  file.close()
})

linuxOnly('lockMemory over RLIMIT_MEMLOCK is a Node-style OS error', (t) => {
  const path = tempFile(t, Buffer.alloc(4 * MiB))
  chmodSync(dirname(path), 0o755) // readable by the unprivileged child
  // The child runs as nobody: it loads a world-readable copy of the package.
  const { binding } = readableCopy(t)
  const script = `
    const { MemoryMappedFile } = require(${JSON.stringify(binding)})
    const file = MemoryMappedFile.openRo(${JSON.stringify(path)})
    try { file.lockMemory(); console.log(JSON.stringify('locked')) }
    catch (e) { console.log(JSON.stringify([e.constructor.name, e.code, e.syscall, e.path, typeof e.errno, e.message])) }`
  // Root bypasses RLIMIT_MEMLOCK (CAP_IPC_LOCK), so the child runs as nobody with a 64 KiB limit.
  const asRoot = process.getuid?.() === 0
  const child = spawnSync('sh', ['-c', 'ulimit -l 64 && exec "$0" -e "$1"', process.execPath, script], {
    encoding: 'utf8',
    ...(asRoot ? { uid: 65534, gid: 65534 } : {}),
  })
  t.is(child.status, 0, child.stderr)
  const [name, code, syscall, errorPath, errnoType, message] = JSON.parse(child.stdout)
  t.is(name, 'Error')
  t.true(['ENOMEM', 'EPERM', 'EAGAIN'].includes(code), code)
  t.is(syscall, 'mlock')
  t.is(errorPath, path)
  t.is(errnoType, 'number')
  t.regex(message, new RegExp(`^${code}: .+, mlock '`))
})

test('watch calls the listener when the file changes, and closes with the mapping', async (t) => {
  const path = tempFile(t, 'watched\n')
  const file = MemoryMappedFile.openRo(path)
  const events: string[] = []
  const watcher = file.watch((event) => events.push(event))
  appendFileSync(path, 'more\n')
  // Judged by arrival, not by a tight deadline: a busy machine may deliver the event late.
  for (let i = 0; i < 3000 && events.length === 0; i++) await sleep(10)
  t.true(events.includes('change'), JSON.stringify(events))
  watcher.close()
  const second: string[] = []
  file.watch((event) => second.push(event))
  file.close()
  appendFileSync(path, 'after close\n')
  await sleep(100)
  t.deepEqual(second, [], 'closing the file closed its watchers')
  throwsLike(t, () => file.watch(() => {}), { class: Error, code: 'ERR_MMAP_CLOSED' })
  throwsLike(t, () => MemoryMappedFile.anonymous(1).watch(() => {}), { class: Error, code: 'ERR_MMAP_INVALID_MODE' })
  throwsLike(t, () => MemoryMappedFile.openRo(path).watch('x' as never), {
    class: TypeError,
    code: 'ERR_INVALID_ARG_TYPE',
  })
})
