// lines(): byte-equality with splitting fs.readFileSync output, windows, lifetimes, arguments.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

import test from 'ava'
import fc from 'fast-check'

import { MemoryMappedFile } from '../index.js'
import '../index.js'
import { tempDir, tempFile, throwsLike } from './helpers.mjs'

const NL = Buffer.from('\n')

/** The reference: split the whole file's bytes, as a user would with readFileSync. */
function reference(data: Buffer, delimiter: Buffer, crlf = false): Buffer[] {
  if (data.length === 0) return []
  const pieces = data.toString('latin1').split(delimiter.toString('latin1'))
  // Every piece but the last was followed by a delimiter; crlf only strips before one.
  const records = pieces.map((piece, i) => {
    const bytes = Buffer.from(piece, 'latin1')
    const delimited = i < pieces.length - 1
    return crlf && delimited && delimiter.equals(NL) && bytes.at(-1) === 13 ? bytes.subarray(0, -1) : bytes
  })
  if (pieces[pieces.length - 1] === '') records.pop()
  return records
}

/** What lines() yields, as hex strings (so that a failure shows the bytes). */
function linesOf(file: { lines(options?: object): Iterable<Buffer> }, options?: object): string[] {
  return [...file.lines(options)].map((line) => line.toString('hex'))
}
const hex = (buffers: Buffer[]) => buffers.map((b) => b.toString('hex'))

test('lines() equals splitting readFileSync output, for delimiters at every position', (t) => {
  const dir = tempDir(t)
  const cases: Record<string, string> = {
    empty: '',
    'delimiter only': '\n',
    'first byte': '\nabc\ndef',
    'last byte': 'abc\ndef\n',
    absent: 'abcdef',
    consecutive: 'a\n\n\nb\n\n',
    'only delimiters': '\n\n\n',
    crlf: 'a\r\nb\r\n\r\nc\r',
    'lone cr': 'a\rb\r\r\nc',
    'one byte': 'x',
  }
  for (const [name, text] of Object.entries(cases)) {
    const path = join(dir, `${name}.txt`)
    writeFileSync(path, text)
    const data = readFileSync(path)
    const file = MemoryMappedFile.openRo(path)
    t.deepEqual(linesOf(file), hex(reference(data, NL)), name)
    t.deepEqual(linesOf(file, { crlf: true }), hex(reference(data, NL, true)), `${name}, crlf`)
    for (const delimiter of ['\r\n', 'b', '\n\n', 'ab']) {
      const expected = hex(reference(data, Buffer.from(delimiter)))
      t.deepEqual(linesOf(file, { delimiter }), expected, `${name}, ${JSON.stringify(delimiter)}`)
      t.deepEqual(linesOf(file, { delimiter: Buffer.from(delimiter) }), expected, `${name}, Uint8Array`)
    }
    t.deepEqual(linesOf(file, { delimiter: 10 }), hex(reference(data, NL)), `${name}, byte 10`)
    file.close()
  }
})

test('lines() equals the reference on random files, delimiters and windows (fast-check)', (t) => {
  const path = join(tempDir(t), 'random.txt')
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes.map((b) => [10, 13, 97, 98][b % 4]))),
      fc.constantFrom('\n', '\r\n', 'a', 'ab', 'aa', 'aba', '\n\n'),
      fc.boolean(),
      fc.nat(),
      fc.nat(),
      (data, delimiterText, crlf, offsetSeed, lengthSeed) => {
        writeFileSync(path, data)
        const delimiter = Buffer.from(delimiterText)
        const offset = data.length === 0 ? 0 : offsetSeed % (data.length + 1)
        const length = (lengthSeed % (data.length - offset + 1)) | 0
        const file = MemoryMappedFile.openRo(path)
        try {
          const whole = linesOf(file, { delimiter: delimiterText, crlf })
          const window = linesOf(file, { delimiter: delimiterText, crlf, offset, length })
          const windowReference = hex(reference(data.subarray(offset, offset + length), delimiter, crlf))
          return (
            JSON.stringify(whole) === JSON.stringify(hex(reference(data, delimiter, crlf))) &&
            JSON.stringify(window) === JSON.stringify(windowReference)
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

test('records straddling page and 4 MiB boundaries, and windows starting mid-record', (t) => {
  // Lines of varying length so that delimiters fall on, just before and just after each boundary.
  const parts: string[] = []
  let size = 0
  for (let i = 0; size < 9 * 2 ** 20; i++) {
    const line = `${i}:${'x'.repeat((i * 7919) % 5000)}`
    parts.push(line)
    size += line.length + 1
  }
  const data = Buffer.from(parts.join('\n') + '\n')
  for (const at of [4095, 4096, 4097, 4 * 2 ** 20 - 1, 4 * 2 ** 20, 8 * 2 ** 20 + 1]) data[at] = 10
  const path = tempFile(t, data)
  const file = MemoryMappedFile.openRo(path)
  t.deepEqual(linesOf(file), hex(reference(data, NL)))
  for (const [offset, length] of [
    [4090, 20],
    [4 * 2 ** 20 - 3, 2 ** 20],
    [1, data.length - 2],
  ]) {
    const window = hex(reference(data.subarray(offset, offset + length), NL))
    t.deepEqual(linesOf(file, { offset, length }), window, `window ${offset}+${length}`)
    const segment = file.segment(offset, length)
    t.deepEqual(linesOf(segment), window, `segment ${offset}+${length}`)
    const opened = MemoryMappedFile.openRo(path, { offset, length })
    t.deepEqual(linesOf(opened), window, `open window ${offset}+${length}`)
    opened.close()
  }
  file.close()
})

test('lines() of an empty file, window or segment yields nothing', (t) => {
  const file = MemoryMappedFile.openRo(tempFile(t, ''))
  t.deepEqual([...file.lines()], [])
  t.deepEqual([...file.lines({ delimiter: 'xyz', crlf: true })], [])
  file.close()
  const other = MemoryMappedFile.openRo(tempFile(t, 'abc\n'))
  t.deepEqual([...other.lines({ offset: 4 })], [])
  t.deepEqual([...other.lines({ offset: 1, length: 0 })], [])
  t.deepEqual([...other.segment(2, 0).lines()], [])
  other.close()
})

test('lines are zero-copy views: writes reach the file; after close() they read zeros and the iterator stops', (t) => {
  const path = tempFile(t, 'one\ntwo\nthree\n')
  const file = MemoryMappedFile.openRw(path)
  const iterator = file.lines()
  const first = iterator.next().value as Buffer
  t.is(first.toString(), 'one')
  first.write('ONE')
  file.flush()
  t.is(readFileSync(path, 'utf8'), 'ONE\ntwo\nthree\n')
  file.close()
  t.is(first.byteLength, 3, 'a view keeps its length after close()')
  t.true(first.equals(Buffer.alloc(3)), 'and reads zeros, never another file')
  first.write('xyz')
  t.is(readFileSync(path, 'utf8'), 'ONE\ntwo\nthree\n', 'a late write reaches no file')
  throwsLike(t, () => iterator.next(), { code: 'ERR_MMAP_CLOSED', class: Error })
  t.deepEqual(iterator.next(), { value: undefined, done: true })
  throwsLike(t, () => file.lines(), { code: 'ERR_MMAP_CLOSED' })
})

test('a segment closed under its iterator throws ERR_MMAP_CLOSED', (t) => {
  const file = MemoryMappedFile.openRo(tempFile(t, 'a\nb\nc\n'))
  const segment = file.segment(2, 4)
  const iterator = segment.lines()
  t.is(String(iterator.next().value), 'b')
  file.close()
  throwsLike(t, () => iterator.next(), { code: 'ERR_MMAP_CLOSED' })
  throwsLike(t, () => segment.lines(), { code: 'ERR_MMAP_CLOSED' })
})

test('lines() checks its arguments when called, not at the first next()', (t) => {
  const file = MemoryMappedFile.openRo(tempFile(t, 'abc\n'))
  throwsLike(t, () => file.lines({ delimiter: '' }), { code: 'ERR_INVALID_ARG_VALUE', class: TypeError })
  throwsLike(t, () => file.lines({ delimiter: new Uint8Array(0) }), { code: 'ERR_INVALID_ARG_VALUE' })
  throwsLike(t, () => file.lines({ delimiter: 256 }), { code: 'ERR_OUT_OF_RANGE', class: RangeError })
  throwsLike(t, () => file.lines({ delimiter: -1 }), { code: 'ERR_OUT_OF_RANGE' })
  throwsLike(t, () => file.lines({ delimiter: 'x'.repeat(257) }), { code: 'ERR_INVALID_ARG_VALUE' })
  throwsLike(t, () => file.lines({ delimiter: {} as never }), {
    code: 'ERR_INVALID_ARG_TYPE',
    class: TypeError,
    message: /"options\.delimiter" property must be of type number or string or an instance of Uint8Array/,
  })
  throwsLike(t, () => file.lines({ crlf: 1 as never }), { code: 'ERR_INVALID_ARG_TYPE' })
  throwsLike(t, () => file.lines({ offset: 5 }), { code: 'ERR_OUT_OF_RANGE' })
  throwsLike(t, () => file.lines({ offset: 1, length: 4 }), { code: 'ERR_OUT_OF_RANGE' })
  throwsLike(t, () => file.lines({ offset: -1 }), { code: 'ERR_OUT_OF_RANGE' })
  throwsLike(t, () => file.lines(7 as never), { code: 'ERR_INVALID_ARG_TYPE' })
  t.deepEqual(linesOf(file, null as never), [Buffer.from('abc').toString('hex')])
  file.close()
})

test('lines() is async-iterable and stops early on break', async (t) => {
  const file = MemoryMappedFile.openRo(tempFile(t, 'a\nb\nc'))
  const seen: string[] = []
  for await (const line of file.lines()) seen.push(String(line))
  t.deepEqual(seen, ['a', 'b', 'c'])
  const iterator = file.lines()
  for (const line of iterator) {
    t.is(String(line), 'a')
    break
  }
  t.deepEqual(iterator.next(), { value: undefined, done: true })
  file.close()
})

test('lines are real Buffers, however they are batched', (t) => {
  // Enough lines for several native batches (1024 records or 64 KiB each).
  const text = Array.from({ length: 12000 }, (_, i) => `line ${i} ${'y'.repeat(i % 50)}`).join('\n')
  const file = MemoryMappedFile.openRo(tempFile(t, text))
  let i = 0
  for (const line of file.lines()) {
    if (i % 997 === 0) {
      t.true(Buffer.isBuffer(line))
      t.true(line instanceof Buffer)
      t.is(line.toString(), `line ${i} ${'y'.repeat(i % 50)}`)
      t.true(Buffer.isBuffer(line.subarray(1)))
      t.is(line.readUInt8(0), 'l'.charCodeAt(0))
    }
    i++
  }
  t.is(i, 12000)
  file.close()
})
