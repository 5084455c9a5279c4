// Failures a hostile tester found in this landing, kept as specs (crashing kinds in children).
import test from 'ava'
import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'

import { MemoryMappedFile, RingBuffer } from '../index.js'
import { rejectsLike, tempDir, tempFile, throwsLike } from './helpers.mjs'

const INDEX = new URL('../index.js', import.meta.url).pathname
const unixOnly = process.platform === 'win32' ? test.skip : test
const linuxOnly = process.platform === 'linux' ? test : test.skip

/** RssAnon of this process, in KiB (Linux). */
function rssAnonKiB(): number {
  const status = spawnSync('cat', [`/proc/${process.pid}/status`], { encoding: 'utf8' }).stdout
  return Number(/RssAnon:\s+(\d+)/.exec(status)?.[1] ?? 0)
}

linuxOnly('populate on a private mapping reads the pages in without copying them', (t) => {
  const path = join(tempDir(t), 'big.bin')
  writeFileSync(path, Buffer.alloc(64 << 20, 1))
  for (const mode of ['readOnly', 'copyOnWrite'] as const) {
    const before = rssAnonKiB()
    const file = MemoryMappedFile.open(path, { mode, populate: true })
    const grown = rssAnonKiB() - before
    t.true(grown < 16 << 10, `${mode}: anonymous memory grew by ${grown} KiB (the file is 64 MiB)`)
    t.is(file.read(0, 1)[0], 1)
    file.close()
  }
})

unixOnly('a SIGBUS sent by kill() is not swallowed once a file is mapped', (t) => {
  const path = tempFile(t, Buffer.alloc(8192))
  const child = spawnSync(
    process.execPath,
    [
      '-e',
      `const { MemoryMappedFile } = require(${JSON.stringify(INDEX)})
       MemoryMappedFile.openRo(${JSON.stringify(path)})
       process.kill(process.pid, 'SIGBUS')
       setTimeout(() => console.log('ALIVE'), 500)`,
    ],
    { encoding: 'utf8', timeout: 90_000 },
  )
  t.is(child.signal, 'SIGBUS', `the process ended by ${child.signal ?? `exit ${child.status}`}: ${child.stdout}`)
})

test('splitRanges refuses more parts than it may return (ERR_OUT_OF_RANGE), never exhausts the heap', (t) => {
  const file = MemoryMappedFile.openRo(tempFile(t, 'a\nb\n'))
  throwsLike(t, () => file.splitRanges(2 ** 31), { code: 'ERR_OUT_OF_RANGE', class: RangeError })
  t.deepEqual(file.splitRanges(2 ** 24).length, 2)
  file.close()
})

test('async methods reject (never throw) for a wrong receiver', async (t) => {
  const proto = MemoryMappedFile.prototype as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>
  for (const name of ['countAsync', 'countLinesAsync', 'flushAsync', 'lockAsync']) {
    let promise: Promise<unknown> | undefined
    t.notThrows(() => {
      promise = proto[name]!.call({}, 'x')
    }, name)
    await rejectsLike(t, promise!, { code: 'ERR_INVALID_THIS', class: TypeError }, name)
  }
})

test('a transferred line buffer gives a typed error, not a raw TypeError', (t) => {
  if (typeof (ArrayBuffer.prototype as { transfer?: unknown }).transfer !== 'function') {
    t.pass('this runtime cannot transfer ArrayBuffers')
    return
  }
  const lines = MemoryMappedFile.openRo(tempFile(t, 'a\nb\nc\n')).lines()
  const first = lines.next().value!
  if (first.buffer instanceof SharedArrayBuffer) {
    t.pass('views are SharedArrayBuffers here: they cannot be transferred')
    return
  }
  ;(first.buffer as ArrayBuffer & { transfer(): ArrayBuffer }).transfer()
  throwsLike(t, () => lines.next(), { code: 'ERR_INVALID_STATE', class: TypeError })
  t.deepEqual(lines.next(), { value: undefined, done: true })
})

test('a RingBuffer handle kept across create() of the same path with another capacity is ERR_MMAP_CORRUPT', (t) => {
  const path = join(tempDir(t), 'q.ring')
  const old = RingBuffer.create(path, 1 << 20)
  old.push('a'.repeat(100))
  const fresh = RingBuffer.create(path, 64)
  fresh.push('12345678')
  throwsLike(t, () => old.push('B'.repeat(50)), { code: 'ERR_MMAP_CORRUPT' })
  throwsLike(t, () => old.pop(), { code: 'ERR_MMAP_CORRUPT' })
  t.is(fresh.pop()?.toString(), '12345678', 'the new ring is intact')
  old.close()
  fresh.close()
})
