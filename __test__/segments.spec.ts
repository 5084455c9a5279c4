// Segments: bounds-checked windows whose every method is checked against the segment, not the mapping.
import { readFileSync } from 'node:fs'
import { setImmediate as tick } from 'node:timers/promises'

import test from 'ava'

import { MemoryMappedFile, Segment } from '../index.js'
import { sha256, tempFile, throwsLike } from './helpers.mjs'

const RANGE = { class: RangeError, code: 'ERR_OUT_OF_RANGE' }
const CLOSED = { class: Error, code: 'ERR_MMAP_CLOSED' }
const SIZE = 100
const contents = Buffer.from(Array.from({ length: SIZE }, (_, i) => 65 + (i % 26)))

// [offset, length, valid?]
const BOUNDS: [number, number, boolean][] = [
  [0, 0, true],
  [0, SIZE, true],
  [SIZE, 0, true],
  [10, 20, true],
  [99, 1, true],
  [SIZE + 1, 0, false],
  [50, 51, false],
  [0, SIZE + 1, false],
  [-1, 10, false],
  [1.5, 10, false],
  [Number.MAX_SAFE_INTEGER, 1, false],
]

test('segment bounds are checked against the mapping', (t) => {
  const path = tempFile(t, contents)
  const file = MemoryMappedFile.openRw(path)
  for (const [offset, length, valid] of BOUNDS) {
    if (valid) {
      const segment = file.segment(offset, length)
      t.true(segment instanceof Segment)
      t.is(segment.offset, offset)
      t.is(segment.length, length)
      t.true(segment.valid)
      t.deepEqual(segment.read(0, length), contents.subarray(offset, offset + length))
      t.deepEqual(segment.asBuffer(), contents.subarray(offset, offset + length))
      t.is(segment.parent, file)
    } else {
      throwsLike(t, () => file.segment(offset, length), RANGE, `segment(${offset}, ${length})`)
    }
  }
  file.close()
})

test('every method is checked against the segment, never the mapping', (t) => {
  const path = tempFile(t, contents)
  const before = sha256(path)
  const file = MemoryMappedFile.openRw(path)
  const segment = file.segment(10, 4)
  const calls: [string, () => unknown][] = [
    ['16-byte updateRegion into a 4-byte segment', () => segment.updateRegion(0, Buffer.alloc(16, 0x7a))],
    ['updateRegion at the end', () => segment.updateRegion(4, 'x')],
    ['updateRegion straddling the end', () => segment.updateRegion(3, 'xy')],
    ['readInto past the end', () => segment.readInto(1, new Uint8Array(4))],
    ['read past the end', () => segment.read(0, 5)],
    ['asBuffer past the end', () => segment.asBuffer(2, 3)],
    ['asBuffer offset past the end', () => segment.asBuffer(5)],
    ['sub-segment past the end', () => segment.segment(2, 3)],
    ['countByte range past the end', () => segment.countByte(65, 0, 5)],
    ['count range past the end', () => segment.count('A', { offset: 0, length: 5 })],
    ['indexOf from past the end', () => segment.indexOf('A', 5)],
  ]
  for (const [label, call] of calls) throwsLike(t, call, RANGE, label)
  file.flush()
  t.is(sha256(path), before, 'nothing was written')

  segment.updateRegion(0, 'wxyz')
  segment.flush()
  t.is(readFileSync(path).subarray(10, 14).toString(), 'wxyz')
  const target = Buffer.alloc(2)
  t.is(segment.readInto(2, target), 2)
  t.is(target.toString(), 'yz')
  file.close()
})

test('sub-segments: offsets relative to the mapping, bounds relative to the parent segment', (t) => {
  const path = tempFile(t, contents)
  const file = MemoryMappedFile.openRo(path)
  const outer = file.segment(20, 50)
  const inner = outer.segment(5, 10)
  t.is(inner.offset, 25)
  t.is(inner.length, 10)
  t.is(inner.parent, file)
  t.deepEqual(inner.read(0, 10), contents.subarray(25, 35))
  throwsLike(t, () => outer.segment(45, 6), RANGE)
  t.deepEqual(
    [...inner.chunks(4)].map((chunk) => chunk.toString()),
    ['ZABC', 'DEFG', 'HI'],
  )
  file.close()
})

test('a segment is invalid once the parent closes or shrinks below it', (t) => {
  const path = tempFile(t, contents)
  const file = MemoryMappedFile.openRw(path)
  const early = file.segment(0, 10)
  const late = file.segment(60, 30)
  const view = late.asBuffer()
  file.resize(50)
  t.true(early.valid)
  t.false(late.valid)
  t.true(
    view.every((byte) => byte === 0),
    'views of a segment no longer show the file after resize',
  )
  throwsLike(t, () => late.read(0, 1), CLOSED)
  file.resize(SIZE)
  t.false(late.valid, 'once invalid, a segment stays invalid when the mapping covers it again')
  throwsLike(t, () => late.read(0, 1), CLOSED)
  file.close()
  t.false(early.valid)
  const calls: [string, () => unknown][] = [
    ['readInto', () => early.readInto(0, new Uint8Array(1))],
    ['read', () => early.read(0, 1)],
    ['asBuffer', () => early.asBuffer()],
    ['updateRegion', () => early.updateRegion(0, 'x')],
    ['flush', () => early.flush()],
    ['chunks', () => early.chunks(1)],
    ['segment', () => early.segment(0, 1)],
    ['countLines', () => early.countLines()],
    ['count', () => early.count('a')],
  ]
  for (const [label, call] of calls) throwsLike(t, call, CLOSED, label)
})

test('a segment keeps its parent alive while JavaScript holds it', async (t) => {
  const gc = (globalThis as { gc?: () => void }).gc
  if (!gc) return t.fail('run with --expose-gc')
  const path = tempFile(t, contents)
  let segment: Segment | undefined
  ;(() => {
    segment = MemoryMappedFile.openRo(path).segment(3, 5)
  })()
  for (let i = 0; i < 5; i++) {
    gc()
    await tick()
  }
  t.false(segment!.parent.closed)
  t.is(segment!.read(0, 5).toString(), 'DEFGH')
})

test('segments of readOnly and copyOnWrite mappings follow the mode', (t) => {
  const path = tempFile(t, contents)
  const before = sha256(path)
  const readOnly = MemoryMappedFile.openRo(path).segment(0, 10)
  throwsLike(t, () => readOnly.updateRegion(0, 'x'), { class: Error, code: 'ERR_MMAP_READ_ONLY' })
  const cow = MemoryMappedFile.openCow(path).segment(0, 10)
  cow.updateRegion(0, 'private')
  t.is(cow.read(0, 7).toString(), 'private')
  cow.flush()
  t.is(sha256(path), before)
})
