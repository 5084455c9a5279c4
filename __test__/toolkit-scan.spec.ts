// splitRanges(), matches() and lastIndexOf(): covering and boundary properties, equality with
// naive scans, streaming, arguments.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'

import test from 'ava'
import fc from 'fast-check'

import { MemoryMappedFile } from '../index.js'
import { rejectsLike, tempDir, tempFile, throwsLike } from './helpers.mjs'

/** Greedy left-to-right occurrences (or every start, when overlapping), one byte at a time. */
function naive(data: Buffer, pattern: Buffer, overlapping = false, from = 0, to = data.length): number[] {
  const out: number[] = []
  for (let i = from; i + pattern.length <= to;) {
    if (data.subarray(i, i + pattern.length).equals(pattern)) {
      out.push(i)
      i += overlapping ? 1 : pattern.length
    } else {
      i++
    }
  }
  return out
}

const alphabet = (letters: number[]) =>
  fc.uint8Array({ maxLength: 400 }).map((bytes) => Buffer.from(bytes.map((b) => letters[b % letters.length])))

test('splitRanges covers the file exactly and never splits a record (fast-check, windows opened per range)', (t) => {
  const path = join(tempDir(t), 'random.txt')
  fc.assert(
    fc.property(
      alphabet([10, 97, 98]),
      fc.constantFrom('\n', 'a', 'ab', 'aa', 'aba'),
      fc.integer({ min: 1, max: 40 }),
      (data, delimiterText, parts) => {
        writeFileSync(path, data)
        const delimiter = Buffer.from(delimiterText)
        const file = MemoryMappedFile.openRo(path)
        try {
          const ranges = file.splitRanges(parts, { delimiter: delimiterText })
          if (ranges.length > parts) return false
          if (data.length === 0) return ranges.length === 0
          let at = 0
          for (const [i, range] of ranges.entries()) {
            if (range.offset !== at || range.length <= 0) return false
            at += range.length
            // Every range but the last ends just after a delimiter occurrence of the scan.
            if (i < ranges.length - 1 && !naive(data, delimiter).includes(at - delimiter.length)) return false
          }
          if (at !== data.length) return false
          // Each worker's records, from its own window, concatenate to the whole file's records.
          const whole = [...file.lines({ delimiter: delimiterText })].map((b) => b.toString('hex'))
          const pieces = ranges.flatMap((range) => {
            const window = MemoryMappedFile.openRo(path, range)
            try {
              return [...window.lines({ delimiter: delimiterText })].map((b) => b.toString('hex'))
            } finally {
              window.close()
            }
          })
          return JSON.stringify(pieces) === JSON.stringify(whole)
        } finally {
          file.close()
        }
      },
    ),
    { numRuns: 120 },
  )
  t.pass()
})

test('splitRanges gives near-equal parts, merges around long records, and honours offset/length', (t) => {
  const line = '0123456789abcdef\n'
  const data = line.repeat(4096)
  const file = MemoryMappedFile.openRo(tempFile(t, data))
  const ranges = file.splitRanges(4)
  t.is(ranges.length, 4)
  for (const range of ranges) t.true(Math.abs(range.length - data.length / 4) <= line.length, JSON.stringify(range))
  t.deepEqual(file.splitRanges(1), [{ offset: 0, length: data.length }])
  t.is(file.splitRanges(2 ** 24).length, 4096, 'more parts than records: one range per record')
  const windowed = file.splitRanges(2, { offset: 5, length: 100 })
  t.deepEqual(windowed, [
    { offset: 5, length: 63 },
    { offset: 68, length: 37 },
  ])
  const segment = file.segment(17, 34)
  t.deepEqual(segment.splitRanges(2), [
    { offset: 0, length: 17 },
    { offset: 17, length: 17 },
  ])
  file.close()
  const long = MemoryMappedFile.openRo(tempFile(t, `a\n${'x'.repeat(1000)}\nb\n`))
  t.deepEqual(long.splitRanges(3), [
    { offset: 0, length: 1003 },
    { offset: 1003, length: 2 },
  ])
  long.close()
  const empty = MemoryMappedFile.openRo(tempFile(t, ''))
  t.deepEqual(empty.splitRanges(3), [])
  empty.close()
})

test('splitRanges checks its arguments', (t) => {
  const file = MemoryMappedFile.openRo(tempFile(t, 'a\nb\n'))
  throwsLike(t, () => file.splitRanges(0), { code: 'ERR_OUT_OF_RANGE', class: RangeError })
  throwsLike(t, () => file.splitRanges(1.5), { code: 'ERR_OUT_OF_RANGE' })
  throwsLike(t, () => file.splitRanges(-1), { code: 'ERR_OUT_OF_RANGE' })
  throwsLike(t, () => file.splitRanges('2' as never), { code: 'ERR_INVALID_ARG_TYPE', class: TypeError })
  throwsLike(t, () => file.splitRanges(2, { delimiter: '' }), { code: 'ERR_INVALID_ARG_VALUE' })
  throwsLike(t, () => file.splitRanges(2, { length: 5 }), { code: 'ERR_OUT_OF_RANGE' })
  file.close()
  throwsLike(t, () => file.splitRanges(2), { code: 'ERR_MMAP_CLOSED' })
})

test('matches() equals a naive scan, overlapping or not, in windows and segments (fast-check)', (t) => {
  const path = join(tempDir(t), 'random.bin')
  fc.assert(
    fc.property(
      alphabet([97, 98]),
      fc.constantFrom('a', 'aa', 'ab', 'aba', 'aaa', 'baab'),
      fc.boolean(),
      fc.nat(),
      fc.nat(),
      (data, patternText, overlapping, offsetSeed, lengthSeed) => {
        writeFileSync(path, data)
        const pattern = Buffer.from(patternText)
        const offset = offsetSeed % (data.length + 1)
        const length = lengthSeed % (data.length - offset + 1)
        const file = MemoryMappedFile.openRo(path)
        try {
          const all = [...file.matches(pattern, { overlapping })]
          const window = [...file.matches(patternText, { overlapping, offset, length })]
          const segment = [...file.segment(offset, length).matches(pattern, { overlapping })]
          const expectedWindow = naive(data, pattern, overlapping, offset, offset + length)
          return (
            JSON.stringify(all) === JSON.stringify(naive(data, pattern, overlapping)) &&
            JSON.stringify(window) === JSON.stringify(expectedWindow) &&
            JSON.stringify(segment) === JSON.stringify(expectedWindow.map((at) => at - offset)) &&
            (overlapping || all.length === file.count(pattern))
          )
        } finally {
          file.close()
        }
      },
    ),
    { numRuns: 300 },
  )
  t.pass()
})

test('matches() across the 4 MiB search blocks', (t) => {
  const data = Buffer.alloc(9 * 2 ** 20, '.')
  const spots = [0, 4 * 2 ** 20 - 2, 4 * 2 ** 20 - 1 + 3, 8 * 2 ** 20 - 3, data.length - 5]
  for (const at of spots) data.write('NEEDLE', at - (at === data.length - 5 ? 1 : 0))
  const file = MemoryMappedFile.openRo(tempFile(t, data))
  t.deepEqual([...file.matches('NEEDLE')], naive(data, Buffer.from('NEEDLE')))
  file.close()
})

test('matches() streams: it finds matches written after it started, and does not collect them', (t) => {
  const size = 1 << 20
  const path = tempFile(t, Buffer.alloc(size, '.'))
  const file = MemoryMappedFile.openRw(path)
  file.updateRegion(10, 'X')
  const iterator = file.matches('X')
  t.deepEqual(iterator.next(), { value: 10, done: false })
  // A list computed up front would not contain these.
  file.updateRegion(500_000, 'X')
  file.updateRegion(size - 1, 'X')
  t.deepEqual([...iterator], [500_000, size - 1])
  // A million matches iterate with bounded memory (no array of offsets is built).
  const dense = MemoryMappedFile.openRo(tempFile(t, Buffer.alloc(size, 'a')))
  let count = 0
  let last = -1
  for (const at of dense.matches('a')) {
    if (at !== last + 1) break
    last = at
    count++
  }
  t.is(count, size)
  dense.close()
  file.close()
})

test('matches() checks its arguments when called; closing stops it; async form honours signal', async (t) => {
  const file = MemoryMappedFile.openRo(tempFile(t, 'abcabc'))
  throwsLike(t, () => file.matches(''), { code: 'ERR_INVALID_ARG_VALUE', class: TypeError })
  throwsLike(t, () => file.matches(5 as never), { code: 'ERR_INVALID_ARG_TYPE' })
  throwsLike(t, () => file.matches('a', { overlapping: 'yes' as never }), { code: 'ERR_INVALID_ARG_TYPE' })
  throwsLike(t, () => file.matches('a', { offset: 7 }), { code: 'ERR_OUT_OF_RANGE' })
  throwsLike(t, () => file.matches('a', { threads: -1 }), { code: 'ERR_OUT_OF_RANGE' })
  throwsLike(t, () => file.matches('a', { signal: 'no' as never }), { code: 'ERR_INVALID_ARG_TYPE' })
  const seen: number[] = []
  for await (const at of file.matches('bc')) seen.push(at)
  t.deepEqual(seen, [1, 4])
  const controller = new AbortController()
  const iterator = file.matches('a', { signal: controller.signal })[Symbol.asyncIterator]()
  t.deepEqual(await iterator.next(), { value: 0, done: false })
  controller.abort()
  const error = await t.throwsAsync(iterator.next())
  t.is(error?.name, 'AbortError')
  t.is((error as Error & { code: string }).code, 'ABORT_ERR')
  const open = file.matches('c')
  t.is(open.next().value, 2)
  file.close()
  throwsLike(t, () => open.next(), { code: 'ERR_MMAP_CLOSED' })
  throwsLike(t, () => file.matches('a'), { code: 'ERR_MMAP_CLOSED' })
})

test('lastIndexOf equals Buffer.prototype.lastIndexOf for every fromOffset', (t) => {
  const data = Buffer.from('abcabcabxab')
  const file = MemoryMappedFile.openRo(tempFile(t, data))
  for (const pattern of ['ab', 'a', 'abc', 'b', 'zz', 'abxab', 'abcabcabxabc']) {
    t.is(file.lastIndexOf(pattern), data.lastIndexOf(pattern), pattern)
    for (let from = 0; from <= data.length + 3; from++) {
      t.is(file.lastIndexOf(pattern, from), data.lastIndexOf(pattern, from), `${pattern} from ${from}`)
      t.is(file.lastIndexOf(Buffer.from(pattern), from), data.lastIndexOf(pattern, from))
    }
  }
  const segment = file.segment(3, 6) // 'abcabx'
  t.is(segment.lastIndexOf('ab'), 3)
  t.is(segment.lastIndexOf('ab', 2), 0)
  t.is(segment.lastIndexOf('abc'), 0)
  t.is(segment.lastIndexOf('x'), 5)
  t.is(segment.lastIndexOf('xa'), -1)
  throwsLike(t, () => file.lastIndexOf(''), { code: 'ERR_INVALID_ARG_VALUE' })
  throwsLike(t, () => file.lastIndexOf('a', -1), { code: 'ERR_OUT_OF_RANGE' })
  throwsLike(t, () => file.lastIndexOf('a', 'x' as never), { code: 'ERR_INVALID_ARG_TYPE' })
  file.close()
  throwsLike(t, () => file.lastIndexOf('a'), { code: 'ERR_MMAP_CLOSED' })
  const empty = MemoryMappedFile.openRo(tempFile(t, ''))
  t.is(empty.lastIndexOf('a'), -1)
  t.deepEqual([...empty.matches('a')], [])
  empty.close()
})

test('findAll refuses more than 2**24 offsets (ERR_OUT_OF_RANGE) instead of exhausting the heap', async (t) => {
  const file = MemoryMappedFile.openRo(tempFile(t, Buffer.alloc(2 ** 24 + 1, 'a')))
  throwsLike(t, () => file.findAll('a'), {
    code: 'ERR_OUT_OF_RANGE',
    class: RangeError,
    message:
      /"options.limit" is out of range\. It must be <= 16777216: findAll\(\) returns at most 16777216 offsets.*matches\(\)/,
  })
  await rejectsLike(t, file.findAllAsync('a'), { code: 'ERR_OUT_OF_RANGE', class: RangeError })
  throwsLike(t, () => file.findAll('a', { limit: 2 ** 30 }), { code: 'ERR_OUT_OF_RANGE' })
  t.deepEqual(file.findAll('a', { limit: 3 }), [0, 1, 2])
  t.is(file.count('a'), 2 ** 24 + 1)
  file.close()
})
