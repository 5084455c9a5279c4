// One rule for every scan, on files and segments: an empty pattern is ERR_INVALID_ARG_VALUE;
// findAll past its documented maximum (2**24 offsets) is a catchable RangeError pointing to
// options.limit, never a fatal "invalid size" error; every async scan calls onProgress at least
// once, last with bytesDone === bytesTotal.
import { spawnSync } from 'node:child_process'
import { truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import test from 'ava'

import { MemoryMappedFile } from '../index.js'
import { rejectsLike, tempDir, tempFile, throwsLike, type ErrorShape } from './helpers.mjs'

const VALUE: ErrorShape = { class: TypeError, code: 'ERR_INVALID_ARG_VALUE', message: /'pattern' must not be empty/ }
const TOO_MANY: ErrorShape = {
  class: RangeError,
  code: 'ERR_OUT_OF_RANGE',
  message: /"options\.limit".*at most 16777216 offsets.*matches\(\)/,
}
const MAX_RESULTS = 2 ** 24
const INDEX = fileURLToPath(new URL('../index.js', import.meta.url))

type Scanner = Pick<
  MemoryMappedFile,
  'indexOf' | 'count' | 'findAll' | 'countAsync' | 'findAllAsync' | 'countLinesAsync'
>

function targets(t: import('ava').ExecutionContext, contents: Buffer): [string, Scanner][] {
  const file = MemoryMappedFile.openRo(tempFile(t, contents))
  t.teardown(() => file.close())
  return [
    ['file', file],
    ['segment', file.segment(1, contents.length - 2)],
  ]
}

test('an empty pattern is ERR_INVALID_ARG_VALUE for every scan, indexOf included', async (t) => {
  for (const [where, scanner] of targets(t, Buffer.from('hello\nworld\n'))) {
    for (const empty of ['', Buffer.alloc(0), new Uint8Array(0)]) {
      const label = `${where} ${typeof empty === 'string' ? "''" : empty.constructor.name}`
      throwsLike(t, () => scanner.indexOf(empty), VALUE, `${label} indexOf`)
      throwsLike(t, () => scanner.indexOf(empty, 9), VALUE, `${label} indexOf from 9`)
      throwsLike(t, () => scanner.count(empty), VALUE, `${label} count`)
      throwsLike(t, () => scanner.findAll(empty), VALUE, `${label} findAll`)
      await rejectsLike(t, scanner.countAsync(empty), VALUE, `${label} countAsync`)
      await rejectsLike(t, scanner.findAllAsync(empty), VALUE, `${label} findAllAsync`)
    }
    t.is(scanner.indexOf('o'), where === 'file' ? 4 : 3, 'non-empty patterns still work')
  }
})

test('findAll past its maximum throws a catchable RangeError that points to limit', async (t) => {
  const path = join(tempDir(t), 'zeros.bin')
  writeFileSync(path, '')
  truncateSync(path, MAX_RESULTS + 4096) // sparse: zeros without disk use
  const file = MemoryMappedFile.openRo(path)
  t.teardown(() => file.close())
  const error = throwsLike(t, () => file.findAll('\0'), TOO_MANY, 'findAll')
  t.regex(String(error?.message), new RegExp(`found ${MAX_RESULTS + 4096} matches.*Received undefined$`))
  throwsLike(t, () => file.findAll(Buffer.from([0]), { limit: MAX_RESULTS + 1 }), TOO_MANY, 'limit above the maximum')
  await rejectsLike(t, file.findAllAsync('\0'), TOO_MANY, 'findAllAsync')
  throwsLike(t, () => file.segment(0, MAX_RESULTS + 2).findAll('\0'), TOO_MANY, 'segment findAll')
  // Below the maximum, limit works as before; so does count.
  t.deepEqual(file.findAll('\0', { limit: 3 }), [0, 1, 2])
  t.deepEqual(await file.findAllAsync('\0', { limit: 2, offset: 10 }), [10, 11])
  t.is(file.count('\0'), MAX_RESULTS + 4096)
  t.is(file.findAll('\0', { offset: MAX_RESULTS }).length, 4096, 'a range with fewer matches than the maximum')
})

test('findAll on a 160 MiB file of zeros: a RangeError, not a dead process, and memory stays bounded', (t) => {
  const path = join(tempDir(t), 'zeros-160.bin')
  writeFileSync(path, '')
  truncateSync(path, 160 * 2 ** 20)
  const script = `
    const { MemoryMappedFile } = require(${JSON.stringify(INDEX)})
    const file = MemoryMappedFile.openRo(${JSON.stringify(path)})
    let caught
    try { file.findAll('\\0') } catch (e) { caught = e }
    const rss = process.memoryUsage().rss
    process.stdout.write(JSON.stringify({ name: caught && caught.name, code: caught && caught.code, rss }))
  `
  const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 300_000 })
  t.is(child.signal, null, child.stderr)
  t.is(child.status, 0, `the process died: ${child.stderr}`)
  const result = JSON.parse(child.stdout) as { name: string; code: string; rss: number }
  t.is(result.name, 'RangeError')
  t.is(result.code, 'ERR_OUT_OF_RANGE')
  // 2**24 offsets are 128 MiB however they are held; the 1.3 GiB that 167M offsets would take is
  // what must not happen.
  t.true(result.rss < 768 * 2 ** 20, `rss ${result.rss >> 20} MiB`)
})

test('every async scan calls onProgress at least once, last with bytesDone === bytesTotal', async (t) => {
  const small = Buffer.from('a\nb\nc\nabc\n')
  const large = Buffer.alloc(24 * 2 ** 20, 'ab\n')
  for (const [size, contents] of [
    ['small', small],
    ['large', large],
  ] as const) {
    for (const [where, scanner] of targets(t, contents)) {
      const runs: [string, (onProgress: (done: number, total: number) => void) => Promise<unknown>][] = [
        ['countLinesAsync', (onProgress) => scanner.countLinesAsync({ onProgress })],
        ['countAsync', (onProgress) => scanner.countAsync('ab', { onProgress })],
        ['findAllAsync', (onProgress) => scanner.findAllAsync('c', { onProgress })],
        ['findAllAsync with a limit', (onProgress) => scanner.findAllAsync('b', { onProgress, limit: 1 })],
        [
          'countAsync of a pattern longer than the data',
          (onProgress) => scanner.countAsync('x'.repeat(64), { onProgress }),
        ],
        ['countAsync of nothing', (onProgress) => scanner.countAsync('\n', { onProgress, offset: 0, length: 0 })],
      ]
      for (const [name, run] of runs) {
        const label = `${size} ${where} ${name}`
        const calls: [number, number][] = []
        await run((done, total) => calls.push([done, total]))
        t.true(calls.length >= 1, `${label}: onProgress was never called`)
        const [lastDone, lastTotal] = calls[calls.length - 1]
        t.is(lastDone, lastTotal, `${label}: last call ${JSON.stringify(calls.at(-1))}`)
        t.true(
          calls.every(
            ([done, total], i) => total === lastTotal && done <= total && (i === 0 || done >= calls[i - 1][0]),
          ),
          `${label}: progress is monotonic within one total: ${JSON.stringify(calls)}`,
        )
      }
    }
  }
})

test('an onProgress that throws rejects the scan with what it threw, never an uncaughtException', (t) => {
  const path = tempFile(t, 'a\nb\n')
  const script = `
    const { MemoryMappedFile } = require(${JSON.stringify(INDEX)})
    const seen = []
    process.on('uncaughtException', (e) => seen.push(e.message))
    MemoryMappedFile.openRo(${JSON.stringify(path)})
      .countLinesAsync({ onProgress: () => { throw new Error('boom') } })
      .then((n) => ({ n }), (e) => ({ rejected: e.message }))
      .then((r) => setTimeout(() => process.stdout.write(JSON.stringify({ ...r, seen })), 50))
  `
  const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000 })
  t.is(child.status, 0, child.stderr)
  t.deepEqual(JSON.parse(child.stdout), { rejected: 'boom', seen: [] })
})
