// Every method in every mode, checked against node:fs reading the same file.
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

import test from 'ava'

import { MemoryMappedFile, createMmap, loadMmap, pageSize, writeMmap, type MmapMode } from '../index.js'
import { sha256, tempDir, tempFile } from './helpers.mjs'

const MODES: MmapMode[] = ['readOnly', 'readWrite', 'copyOnWrite']
const FACTORY = {
  readOnly: MemoryMappedFile.openRo,
  readWrite: MemoryMappedFile.openRw,
  copyOnWrite: MemoryMappedFile.openCow,
} as const

for (const mode of MODES) {
  test(`${mode}: properties, read, readInto and asBuffer equal fs`, (t) => {
    const path = tempFile(t, randomBytes(3 * pageSize() + 123))
    const expected = readFileSync(path)
    for (const file of [MemoryMappedFile.open(path, { mode }), FACTORY[mode](path), loadMmap(path, mode)]) {
      t.is(file.mode, mode)
      t.is(file.path, path)
      t.is(file.length, expected.length)
      t.is(file.offset, 0)
      t.false(file.closed)
      t.is(file.pendingBytes, 0)
      t.is(file.flushPolicy, 'manual')

      t.deepEqual(file.read(0, expected.length), expected)
      t.deepEqual(file.read(4000, 300), expected.subarray(4000, 4300))
      const target = Buffer.alloc(777)
      t.is(file.readInto(pageSize() - 5, target), 777)
      t.deepEqual(target, expected.subarray(pageSize() - 5, pageSize() + 772))
      t.is(file.readInto(expected.length, new Uint8Array(0)), 0)

      const whole = file.asBuffer()
      t.true(Buffer.isBuffer(whole))
      t.deepEqual(whole, expected)
      t.deepEqual(file.asBuffer(100), expected.subarray(100))
      t.deepEqual(file.asBuffer(100, 50), expected.subarray(100, 150))
      t.is(file.asBuffer(expected.length).length, 0)

      file.flush()
      file.flushRange(1, 2)
      file.advise('sequential')
      file.advise('random', 17, 5000)
      file.close()
      t.true(file.closed)
    }
  })

  test(`${mode}: a window maps only part of the file, at any offset`, (t) => {
    const path = tempFile(t, randomBytes(5 * pageSize()))
    const expected = readFileSync(path)
    const offset = pageSize() + 333
    const file = MemoryMappedFile.open(path, { mode, offset, length: 2 * pageSize() })
    t.is(file.offset, offset)
    t.is(file.length, 2 * pageSize())
    t.deepEqual(file.asBuffer(), expected.subarray(offset, offset + 2 * pageSize()))
    t.deepEqual(file.read(10, 10), expected.subarray(offset + 10, offset + 20))
    const toEnd = MemoryMappedFile.open(path, { mode, offset: 7 })
    t.is(toEnd.length, expected.length - 7)
    t.deepEqual(toEnd.read(toEnd.length - 3, 3), expected.subarray(expected.length - 3))
    file.close()
    toEnd.close()
  })
}

test('readWrite: updateRegion and view writes reach the file after flush', (t) => {
  const path = tempFile(t, Buffer.alloc(3 * pageSize()))
  const file = MemoryMappedFile.openRw(path)
  file.updateRegion(pageSize() - 2, Buffer.from('spans pages'))
  file.updateRegion(10, 'héllo')
  t.is(file.pendingBytes, 11 + Buffer.byteLength('héllo'))
  const view = file.asBuffer(2 * pageSize(), 4)
  view.write('VIEW')
  file.flush()
  t.is(file.pendingBytes, 0)
  const onDisk = readFileSync(path)
  t.is(onDisk.subarray(pageSize() - 2, pageSize() + 9).toString(), 'spans pages')
  t.is(onDisk.subarray(10, 10 + Buffer.byteLength('héllo')).toString(), 'héllo')
  t.is(onDisk.subarray(2 * pageSize(), 2 * pageSize() + 4).toString(), 'VIEW')
  // A write in a window lands at the window's file offset.
  const window = MemoryMappedFile.open(path, { mode: 'readWrite', offset: 5, length: 10 })
  window.updateRegion(0, 'W')
  window.flushRange(0, 1)
  t.is(readFileSync(path)[5], 'W'.charCodeAt(0))
  window.close()
  file.close()
})

test('readWrite: a second mapping of the same file sees writes at once', (t) => {
  const path = tempFile(t, Buffer.alloc(pageSize()))
  const writer = MemoryMappedFile.openRw(path)
  const reader = MemoryMappedFile.openRo(path)
  writer.updateRegion(100, 'shared')
  t.is(reader.read(100, 6).toString(), 'shared')
  t.is(readFileSync(path).subarray(100, 106).toString(), 'shared')
  writer.close()
  reader.close()
})

test('copyOnWrite: writes are visible to the mapping but never reach the file', (t) => {
  const path = tempFile(t, 'original contents')
  const before = sha256(path)
  const file = MemoryMappedFile.openCow(path)
  file.updateRegion(0, 'CHANGED!')
  file.asBuffer(9, 8).write('VIEW....')
  t.is(file.read(0, 17).toString(), 'CHANGED! VIEW....')
  t.is(file.pendingBytes, 8)
  file.flush()
  file.close()
  t.is(sha256(path), before)
})

test('readOnly: a write into a view neither crashes nor reaches the file', (t) => {
  const path = tempFile(t, 'read only bytes')
  const before = sha256(path)
  const file = MemoryMappedFile.openRo(path)
  const view = file.asBuffer()
  view.fill(0x41)
  t.is(view.toString(), 'A'.repeat(15))
  file.flush()
  file.close()
  t.is(sha256(path), before)
  t.is(readFileSync(path, 'utf8'), 'read only bytes')
})

test('createRw creates, truncates and preallocates; openOrCreate keeps existing files', (t) => {
  const dir = tempDir(t)
  const path = join(dir, 'created.bin')
  const file = MemoryMappedFile.createRw(path, 10_000)
  t.is(file.length, 10_000)
  t.is(statSync(path).size, 10_000)
  t.true(statSync(path).blocks * 512 >= 10_000, 'disk blocks are allocated, not sparse')
  file.updateRegion(0, 'first')
  file.close()

  const again = createMmap(path, 50)
  t.deepEqual(again.read(0, 50), Buffer.alloc(50), 'createRw truncates')
  again.updateRegion(0, 'kept')
  again.flush()
  again.close()

  const existing = MemoryMappedFile.openOrCreate(path, 4096)
  t.is(existing.length, 50)
  t.is(existing.read(0, 4).toString(), 'kept')
  existing.close()

  const fresh = join(dir, 'fresh.bin')
  t.false(existsSync(fresh))
  const created = MemoryMappedFile.openOrCreate(fresh, 4096)
  t.is(created.length, 4096)
  created.close()
  t.is(statSync(fresh).size, 4096)

  const zero = MemoryMappedFile.createRw(join(dir, 'zero.bin'), 0)
  t.is(zero.length, 0)
  zero.close()

  const grown = MemoryMappedFile.open(join(dir, 'grown.bin'), { mode: 'readWrite', create: true, size: 123 })
  t.is(grown.length, 123)
  grown.close()
  const bigger = MemoryMappedFile.open(join(dir, 'grown.bin'), { mode: 'readWrite', size: 200 })
  t.is(bigger.length, 200)
  bigger.close()
})

test('resize sets the file length, remaps, and keeps the data', (t) => {
  const path = tempFile(t, 'resizable')
  const file = MemoryMappedFile.openRw(path)
  file.resize(3 * pageSize())
  t.is(file.length, 3 * pageSize())
  t.is(statSync(path).size, 3 * pageSize())
  t.is(file.read(0, 9).toString(), 'resizable')
  file.updateRegion(3 * pageSize() - 4, 'tail')
  file.flush()
  t.is(readFileSync(path).subarray(-4).toString(), 'tail')
  file.resize(6)
  t.is(file.length, 6)
  t.is(readFileSync(path, 'utf8'), 'resiza')
  file.close()
})

test('anonymous memory is zeroed, writable, and has no path', (t) => {
  const memory = MemoryMappedFile.anonymous(1 << 20)
  t.is(memory.path, null)
  t.is(memory.mode, 'readWrite')
  t.is(memory.length, 1 << 20)
  t.deepEqual(memory.read(500_000, 4), Buffer.alloc(4))
  memory.updateRegion(500_000, 'anon')
  t.is(memory.asBuffer(500_000, 4).toString(), 'anon')
  memory.flush()
  memory.close()
})

test('writeMmap edits a file in place, durably', (t) => {
  const path = tempFile(t, 'xxxxxxxxxx')
  writeMmap(path, 3, 'abc')
  writeMmap(path, 7, Buffer.from('Z'))
  t.is(readFileSync(path, 'utf8'), 'xxxabcxZxx')
})

test('a zero-length file maps to a zero-length mapping in every mode', (t) => {
  const path = tempFile(t, '')
  for (const mode of MODES) {
    const file = MemoryMappedFile.open(path, { mode })
    t.is(file.length, 0)
    t.is(file.readInto(0, new Uint8Array(0)), 0)
    t.is(file.read(0, 0).length, 0)
    t.is(file.asBuffer().length, 0)
    file.flush()
    file.close()
  }
})

test('pageSize is a power of two', (t) => {
  const size = pageSize()
  t.true(size >= 4096)
  t.is(size & (size - 1), 0)
})

test('Symbol.dispose closes the file', (t) => {
  const path = tempFile(t, 'dispose')
  const file = MemoryMappedFile.openRo(path)
  t.is(typeof file[Symbol.dispose], 'function')
  const view = file.asBuffer()
  file[Symbol.dispose]()
  t.true(file.closed)
  t.is(view.toString(), '\0'.repeat(7), 'a view no longer shows the file after close')
  file[Symbol.dispose]()
})

test('populate, hugePages and advice options are accepted hints', (t) => {
  const path = tempFile(t, randomBytes(4 * pageSize()))
  const expected = readFileSync(path)
  for (const advice of ['normal', 'random', 'sequential', 'willNeed', 'dontNeed'] as const) {
    const file = MemoryMappedFile.open(path, { populate: true, hugePages: true, advice })
    t.deepEqual(file.asBuffer(), expected)
    file.close()
  }
  writeFileSync(path, 'x')
})
