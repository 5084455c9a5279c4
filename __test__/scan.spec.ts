// Native scans against a JS reference: random data, edge cases, thread split points, async twins.
import { randomBytes } from 'node:crypto'
import { truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

import test from 'ava'

import { MemoryMappedFile } from '../index.js'
import { rejectsLike, tempDir, tempFile, throwsLike } from './helpers.mjs'

// Windows has no POSIX permissions or uid switching, and NTFS files are not sparse by default.
const posixOnly = process.platform === 'win32' ? test.skip : test

const MiB = 1 << 20

/** Greedy, non-overlapping, left to right: the semantics of count/findAll. */
function findAllRef(data: Buffer, pattern: Buffer | string, limit = Infinity): number[] {
  const needle = Buffer.from(pattern)
  const out: number[] = []
  for (let at = data.indexOf(needle); at !== -1 && out.length < limit; at = data.indexOf(needle, at + needle.length)) {
    out.push(at)
  }
  return out
}

function countByteRef(data: Buffer, byte: number): number {
  let n = 0
  for (const b of data) if (b === byte) n++
  return n
}

/** Bytes from a small alphabet, so that patterns match often and overlap. */
function denseData(length: number): Buffer {
  const alphabet = Buffer.from('ab\n')
  const random = randomBytes(length)
  for (let i = 0; i < length; i++) random[i] = alphabet[random[i] % 3]
  return random
}

test('every scan equals the JS reference on random data, on 1 to 4 threads', (t) => {
  const data = denseData(2 * MiB + 4321)
  const path = tempFile(t, data)
  const file = MemoryMappedFile.openRo(path)
  const lines = countByteRef(data, 10)
  t.is(file.countLines(), lines)
  t.is(file.countByte(97), countByteRef(data, 97))
  t.is(file.countLines(1000, 5000), countByteRef(data.subarray(1000, 6000), 10))
  const patterns = ['a', 'ab', 'aaa', 'b\na', '\n\n', 'abababab']
  const references = new Map(patterns.map((pattern) => [pattern, findAllRef(data, pattern)]))
  for (const threads of [1, 2, 3, 4]) {
    for (const pattern of patterns) {
      const expected = references.get(pattern)!
      t.is(file.count(pattern, { threads }), expected.length, `${JSON.stringify(pattern)} on ${threads}`)
      if (expected.length < 100_000) t.deepEqual(file.findAll(pattern, { threads }), expected)
      t.deepEqual(file.findAll(pattern, { threads, limit: 5 }), expected.slice(0, 5))
      t.is(file.indexOf(pattern), data.indexOf(pattern))
      t.is(file.indexOf(pattern, MiB + 3), data.indexOf(pattern, MiB + 3))
    }
  }
  const windowed = findAllRef(data.subarray(MiB, 2 * MiB), 'aab').map((at) => at + MiB)
  t.deepEqual(file.findAll('aab', { offset: MiB, length: MiB }), windowed)
  t.is(file.count('aab', { offset: MiB, length: MiB }), windowed.length)
  file.close()
})

test('matches straddling every thread split point are found exactly once', (t) => {
  const length = 4 * MiB
  const needle = 'NEEDLE123'
  for (const threads of [2, 3, 4]) {
    const data = Buffer.alloc(length, '.')
    const part = Math.ceil(length / threads)
    const planted: number[] = []
    for (let i = 1; i < threads; i++) {
      for (const shift of [-8, -4, -1]) {
        const at = i * part + shift * 3 - 30 * (shift + 8)
        data.write(needle, at)
        planted.push(at)
      }
      data.write(needle, i * part - 4)
      planted.push(i * part - 4)
    }
    planted.sort((a, b) => a - b)
    const path = tempFile(t, data)
    const file = MemoryMappedFile.openRo(path)
    t.deepEqual(file.findAll(needle, { threads }), findAllRef(data, needle), `${threads} threads`)
    t.is(file.count(needle, { threads }), findAllRef(data, needle).length)
    file.close()
  }
  // Overlapping candidates everywhere: every split point falls inside a run of 'a'.
  const runs = Buffer.alloc(3 * MiB + 1, 'a')
  const path = tempFile(t, runs)
  const file = MemoryMappedFile.openRo(path)
  for (const threads of [1, 2, 3, 4]) {
    for (const pattern of ['aa', 'aaa', 'aaaaaaa']) {
      t.is(file.count(pattern, { threads }), findAllRef(runs, pattern).length, `${pattern} on ${threads}`)
    }
  }
  file.close()
})

test('edge cases: empty file, long pattern, match at the end, 1-byte patterns, overlaps, limit', (t) => {
  const empty = MemoryMappedFile.openRo(tempFile(t, '', 'empty.bin'))
  t.is(empty.countLines(), 0)
  t.is(empty.count('a'), 0)
  t.deepEqual(empty.findAll('a'), [])
  t.is(empty.indexOf('a'), -1)
  throwsLike(t, () => empty.indexOf(''), { code: 'ERR_INVALID_ARG_VALUE', class: TypeError }, 'an empty pattern')
  empty.close()

  const file = MemoryMappedFile.openRo(tempFile(t, 'aaaaa\nxyz'))
  t.is(file.count('aaaaa\nxyz!'), 0, 'pattern longer than the file')
  t.deepEqual(file.findAll('xyz'), [6], 'match at the very end')
  t.is(file.indexOf('z'), 8)
  t.is(file.count('a'), 5)
  t.is(file.count(Buffer.from([0x0a])), 1)
  t.is(file.count('aaa'), 1, "'aaa' occurs once in 'aaaaa' (non-overlapping)")
  t.deepEqual(file.findAll('aa'), [0, 2])
  t.deepEqual(file.findAll('a', { limit: 2 }), [0, 1])
  t.deepEqual(file.findAll('a', { limit: 0 }), [])
  throwsLike(t, () => file.indexOf('', 3), { code: 'ERR_INVALID_ARG_VALUE', class: TypeError }, 'an empty pattern')
  t.is(file.indexOf('a', 5), -1)
  t.is(file.countByte(0x78), 1)
  throwsLike(t, () => file.count(''), { class: TypeError, code: 'ERR_INVALID_ARG_VALUE' })
  throwsLike(t, () => file.findAll(''), { class: TypeError, code: 'ERR_INVALID_ARG_VALUE' })
  throwsLike(t, () => file.count(5 as never), { class: TypeError, code: 'ERR_INVALID_ARG_TYPE' })
  throwsLike(t, () => file.countByte(256), { class: RangeError, code: 'ERR_OUT_OF_RANGE' })
  throwsLike(t, () => file.count('a', { threads: 0 }), { class: RangeError, code: 'ERR_OUT_OF_RANGE' })
  throwsLike(t, () => file.count('a', { offset: 10 }), { class: RangeError, code: 'ERR_OUT_OF_RANGE' })
  throwsLike(t, () => file.indexOf('a', 10), { class: RangeError, code: 'ERR_OUT_OF_RANGE' })
  throwsLike(t, () => file.count('a', 'x' as never), { class: TypeError, code: 'ERR_INVALID_ARG_TYPE' })
  file.close()
  throwsLike(t, () => file.countLines(), { class: Error, code: 'ERR_MMAP_CLOSED' })
})

test('segments scan their own range and report offsets relative to the segment', (t) => {
  const data = Buffer.from('xx needle yy needle zz needle')
  const file = MemoryMappedFile.openRo(tempFile(t, data))
  const segment = file.segment(5, 20)
  const expected = findAllRef(data.subarray(5, 25), 'e')
  t.deepEqual(segment.findAll('e'), expected)
  t.is(segment.count('needle'), 1)
  t.is(segment.indexOf('needle'), 8)
  t.is(segment.countByte(0x65), expected.length)
  t.is(segment.countLines(), 0)
  file.close()
})

test('the async twins return what the sync methods return', async (t) => {
  const data = denseData(2 * MiB)
  const file = MemoryMappedFile.openRo(tempFile(t, data))
  t.is(await file.countLinesAsync(), file.countLines())
  t.is(await file.countLinesAsync({ offset: 100, length: 1000, threads: 1 }), file.countLines(100, 1000))
  t.is(await file.countAsync('aba'), file.count('aba'))
  t.deepEqual(await file.findAllAsync('abba', { limit: 10 }), file.findAll('abba', { limit: 10 }))
  const segment = file.segment(10, 1000)
  t.deepEqual(await segment.findAllAsync('ab'), segment.findAll('ab'))
  await rejectsLike(t, file.countAsync(''), { class: TypeError, code: 'ERR_INVALID_ARG_VALUE' })
  await rejectsLike(t, file.countLinesAsync({ onProgress: 5 as never }), {
    class: TypeError,
    code: 'ERR_INVALID_ARG_TYPE',
  })
  await rejectsLike(t, file.countLinesAsync({ length: 3 * MiB }), { class: RangeError, code: 'ERR_OUT_OF_RANGE' })
  file.close()
  await rejectsLike(t, file.countLinesAsync(), { class: Error, code: 'ERR_MMAP_CLOSED' })
})

/** A sparse file: scanning it is page faults on zero pages, slow enough to watch. */
function sparse(t: import('ava').ExecutionContext, size: number) {
  const path = join(tempDir(t), 'sparse.bin')
  writeFileSync(path, '')
  truncateSync(path, size)
  return path
}

posixOnly('countLinesAsync leaves the JS thread free and reports progress', async (t) => {
  const file = MemoryMappedFile.openRo(sparse(t, 512 * MiB))
  let ticks = 0
  const interval = setInterval(() => ticks++, 1)
  const progress: [number, number][] = []
  const started = process.hrtime.bigint()
  const lines = await file.countLinesAsync({ threads: 1, onProgress: (done, total) => progress.push([done, total]) })
  const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6
  clearInterval(interval)
  t.is(lines, 0)
  t.log(`512 MiB sparse scan: ${elapsedMs.toFixed(0)} ms, ${ticks} interval ticks, ${progress.length} progress calls`)
  t.true(ticks >= 5, `the event loop ran during the scan (${ticks} ticks in ${elapsedMs.toFixed(0)} ms)`)
  t.true(progress.length >= 1, 'onProgress was called')
  for (let i = 1; i < progress.length; i++) t.true(progress[i][0] >= progress[i - 1][0])
  t.true(progress.every(([done, total]) => total === 512 * MiB && done <= total))
  file.close()
})

posixOnly('aborting a long scan rejects promptly with ABORT_ERR', async (t) => {
  const file = MemoryMappedFile.openRo(sparse(t, 8 * 1024 * MiB))
  const controller = new AbortController()
  const scanning = file.countAsync('needle', { threads: 1, signal: controller.signal })
  setTimeout(() => controller.abort(), 30)
  const started = process.hrtime.bigint()
  const error = await rejectsLike(t, scanning, { class: Error, name: 'AbortError', code: 'ABORT_ERR' })
  const waitedMs = Number(process.hrtime.bigint() - started) / 1e6
  t.truthy(error)
  t.true(waitedMs < 1000, `rejected ${waitedMs.toFixed(0)} ms after the call`)
  const pre = new AbortController()
  pre.abort()
  await rejectsLike(t, file.countLinesAsync({ signal: pre.signal }), {
    class: Error,
    name: 'AbortError',
    code: 'ABORT_ERR',
  })
  file.close()
})
