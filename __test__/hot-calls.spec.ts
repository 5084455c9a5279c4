// The hot calls (readInto, updateRegion) of files and segments after the per-call work was cut
// (one Node-API call per number, one lock per call for segments): every offset still validated,
// rejected writes still write nothing, the error order of files and segments unchanged.
import { readFileSync } from 'node:fs'

import test from 'ava'

import { MemoryMappedFile } from '../index.js'
import { tempFile, throwsLike } from './helpers.mjs'

const RANGE = { class: RangeError, code: 'ERR_OUT_OF_RANGE' }
const TYPE = { class: TypeError, code: 'ERR_INVALID_ARG_TYPE' }
const CLOSED = { class: Error, code: 'ERR_MMAP_CLOSED' }
const READ_ONLY = { class: Error, code: 'ERR_MMAP_READ_ONLY' }

const SIZE = 4096
const contents = Buffer.from(Array.from({ length: SIZE }, (_, i) => i % 251))

// Offsets that are not a safe non-negative integer, with the error each must give.
const BAD_OFFSETS: [unknown, typeof RANGE | typeof TYPE][] = [
  [-1, RANGE],
  [0.5, RANGE],
  [1 + Number.EPSILON * 4, RANGE],
  [NaN, RANGE],
  [Infinity, RANGE],
  [-Infinity, RANGE],
  [2 ** 53, RANGE],
  [Number.MAX_VALUE, RANGE],
  ['0', TYPE],
  [0n, TYPE],
  [null, TYPE],
  [undefined, TYPE],
  [{ valueOf: () => 0 }, TYPE],
]

test('readInto and updateRegion reject every bad offset, on files and segments, and write nothing', (t) => {
  const path = tempFile(t, contents)
  const file = MemoryMappedFile.openRw(path)
  const segment = file.segment(100, 200)
  const target = Buffer.alloc(8)
  const data = Buffer.alloc(8, 0xee)
  for (const receiver of [file, segment]) {
    for (const [offset, shape] of BAD_OFFSETS) {
      const label = `${receiver === file ? 'file' : 'segment'} offset ${String(offset)}`
      throwsLike(t, () => receiver.readInto(offset as number, target), shape, `readInto ${label}`)
      throwsLike(t, () => receiver.updateRegion(offset as number, data), shape, `updateRegion ${label}`)
    }
  }
  t.deepEqual(file.read(0, SIZE), contents)
  t.is(file.pendingBytes, 0)
  file.close()
  t.deepEqual(readFileSync(path), contents)
})

test('-0 is offset 0; updateRegion returns undefined; readInto returns the byte count', (t) => {
  const path = tempFile(t, contents)
  const file = MemoryMappedFile.openRw(path)
  const segment = file.segment(100, 200)
  const target = Buffer.alloc(8)
  t.is(file.readInto(-0, target), 8)
  t.deepEqual(target, contents.subarray(0, 8))
  t.is(segment.readInto(-0, target), 8)
  t.deepEqual(target, contents.subarray(100, 108))
  t.is(file.updateRegion(-0, Buffer.from('ab')), undefined)
  t.is(segment.updateRegion(-0, Buffer.from('cd')), undefined)
  t.deepEqual(file.read(0, 2), Buffer.from('ab'))
  t.deepEqual(file.read(100, 2), Buffer.from('cd'))
  t.is(file.pendingBytes, 4)
  file.close()
})

test('segment bounds: the last byte is in, one past it is out, and a rejected write writes nothing', (t) => {
  const path = tempFile(t, contents)
  const file = MemoryMappedFile.openRw(path)
  const segment = file.segment(100, 200)
  const one = Buffer.alloc(1)
  t.is(segment.readInto(199, one), 1)
  t.is(one[0], contents[299])
  throwsLike(t, () => segment.readInto(200, one), RANGE)
  throwsLike(t, () => segment.readInto(193, Buffer.alloc(8)), RANGE)
  t.is(segment.readInto(200, Buffer.alloc(0)), 0)
  throwsLike(t, () => segment.updateRegion(199, Buffer.alloc(2, 0xee)), RANGE)
  throwsLike(t, () => segment.updateRegion(0, Buffer.alloc(201, 0xee)), RANGE)
  // Inside the mapping but outside the segment: refused, though the file could take it.
  throwsLike(t, () => segment.updateRegion(150, Buffer.alloc(100, 0xee)), RANGE)
  t.deepEqual(file.read(0, SIZE), contents)
  t.is(file.pendingBytes, 0)
  file.close()
})

test('error order: closed first; then a readOnly file says read-only, a readOnly segment checks its range first', (t) => {
  const path = tempFile(t, contents)
  const file = MemoryMappedFile.openRo(path)
  const segment = file.segment(100, 200)
  throwsLike(t, () => file.updateRegion(SIZE * 2, Buffer.alloc(1)), READ_ONLY)
  throwsLike(t, () => segment.updateRegion(300, Buffer.alloc(1)), RANGE)
  throwsLike(t, () => segment.updateRegion(0, Buffer.alloc(1)), READ_ONLY)
  file.close()
  throwsLike(t, () => file.updateRegion(0, Buffer.alloc(1)), CLOSED)
  throwsLike(t, () => segment.updateRegion(0, Buffer.alloc(1)), CLOSED)
  throwsLike(t, () => segment.readInto(0, Buffer.alloc(1)), CLOSED)
  t.deepEqual(readFileSync(path), contents)
})

test('a segment the mapping no longer covers is closed for readInto and updateRegion', (t) => {
  const path = tempFile(t, contents)
  const file = MemoryMappedFile.openRw(path)
  const tail = file.segment(SIZE - 100, 100)
  const head = file.segment(0, 100)
  file.resize(SIZE / 2)
  throwsLike(t, () => tail.readInto(0, Buffer.alloc(1)), CLOSED)
  throwsLike(t, () => tail.updateRegion(0, Buffer.alloc(1)), CLOSED)
  t.is(head.readInto(0, Buffer.alloc(4)), 4)
  t.is(head.updateRegion(0, Buffer.from('zz')), undefined)
  t.deepEqual(file.read(0, 2), Buffer.from('zz'))
  file.close()
})

test('a view of the mapping as the source or target of its own file (overlapping copies)', (t) => {
  const path = tempFile(t, contents)
  const file = MemoryMappedFile.openRw(path)
  const view = file.asBuffer()
  // Source and destination overlap: memmove semantics.
  file.updateRegion(1, view.subarray(0, 100))
  t.deepEqual(file.read(1, 100), contents.subarray(0, 100))
  const segment = file.segment(1000, 100)
  segment.readInto(0, view.subarray(1001, 1051))
  t.deepEqual(file.read(1001, 50), contents.subarray(1000, 1050))
  file.close()
})
