// typedArray(): alignment by address, bounds, zero-copy and lifetime; residency().
import { randomBytes } from 'node:crypto'
import { constants } from 'node:buffer'
import { readFileSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

import test from 'ava'

import { MemoryMappedFile, pageSize } from '../index.js'
import '../index.js'
import { tempDir, tempFile, throwsLike } from './helpers.mjs'

const TYPES = [
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
] as const

test('typedArray: alignment is judged by address (file offset of the window included)', (t) => {
  const data = randomBytes(256)
  const path = tempFile(t, data)
  for (const windowOffset of [0, 1, 3, 4, 6, 8]) {
    const file = MemoryMappedFile.openRo(path, { offset: windowOffset })
    // While views share one ArrayBuffer per mapping (it starts at the window), an aligned address in
    // a window starting off an element boundary cannot be a typed array: ERR_MMAP_MISALIGNED too.
    const sharedArrayBuffer = file.asBuffer(0, 1).buffer.byteLength > 1
    for (const Type of TYPES) {
      const size = Type.BYTES_PER_ELEMENT
      for (let byteOffset = 0; byteOffset <= 16; byteOffset++) {
        const label = `${Type.name} window ${windowOffset} byteOffset ${byteOffset}`
        const legacyRefusal = sharedArrayBuffer && windowOffset % size !== 0
        if ((windowOffset + byteOffset) % size === 0 && !legacyRefusal) {
          const view = file.typedArray(Type, byteOffset, 4)
          t.is(view.constructor, Type, label)
          t.is(view.length, 4, label)
          const start = windowOffset + byteOffset
          const expected = new Type(data.buffer.slice(data.byteOffset + start, data.byteOffset + start + 4 * size))
          t.deepEqual([...view], [...expected] as never, label)
        } else {
          throwsLike(
            t,
            () => file.typedArray(Type, byteOffset, 4),
            { code: 'ERR_MMAP_MISALIGNED', class: RangeError },
            label,
          )
        }
      }
    }
    file.close()
  }
})

test('typedArray: bounds', (t) => {
  const file = MemoryMappedFile.openRo(tempFile(t, Buffer.alloc(64)))
  const table: Array<[string, () => unknown, string | null]> = [
    ['the whole file', () => file.typedArray(Float64Array, 0, 8), null],
    ['ending exactly at the end', () => file.typedArray(Uint32Array, 60, 1), null],
    ['zero elements at the end', () => file.typedArray(Float32Array, 64, 0), null],
    ['one element too many', () => file.typedArray(Float64Array, 0, 9), 'ERR_OUT_OF_RANGE'],
    ['past the end', () => file.typedArray(Uint32Array, 61 + 3, 1), 'ERR_OUT_OF_RANGE'],
    ['byteOffset past the end', () => file.typedArray(Uint8Array, 65, 0), 'ERR_OUT_OF_RANGE'],
    ['negative byteOffset', () => file.typedArray(Uint8Array, -1, 1), 'ERR_OUT_OF_RANGE'],
    ['fractional length', () => file.typedArray(Uint8Array, 0, 1.5), 'ERR_OUT_OF_RANGE'],
    ['huge length', () => file.typedArray(Float64Array, 0, 2 ** 53 - 1), 'ERR_OUT_OF_RANGE'],
    ['string byteOffset', () => file.typedArray(Uint8Array, '0' as never, 1), 'ERR_INVALID_ARG_TYPE'],
    ['Buffer as Type', () => file.typedArray(Buffer as never, 0, 1), 'ERR_INVALID_ARG_TYPE'],
    ['DataView as Type', () => file.typedArray(DataView as never, 0, 1), 'ERR_INVALID_ARG_TYPE'],
    ['Array as Type', () => file.typedArray(Array as never, 0, 1), 'ERR_INVALID_ARG_TYPE'],
    ['null as Type', () => file.typedArray(null as never, 0, 1), 'ERR_INVALID_ARG_TYPE'],
  ]
  for (const [label, call, code] of table) {
    if (code === null) t.notThrows(call, label)
    else throwsLike(t, call, { code }, label)
  }
  const segment = file.segment(8, 16)
  t.is(segment.typedArray(Float64Array, 8, 1).length, 1)
  throwsLike(t, () => segment.typedArray(Float64Array, 8, 2), { code: 'ERR_OUT_OF_RANGE' })
  file.close()
  throwsLike(t, () => file.typedArray(Uint8Array, 0, 1), { code: 'ERR_MMAP_CLOSED' })
  throwsLike(t, () => segment.typedArray(Uint8Array, 0, 1), { code: 'ERR_MMAP_CLOSED' })
})

test('typedArray is zero-copy: writes go both ways; after close() it reads zeros', (t) => {
  const path = tempFile(t, Buffer.alloc(4096))
  const file = MemoryMappedFile.openRw(path)
  const floats = file.typedArray(Float32Array, 16, 4)
  floats[1] = 1.5
  file.flush()
  t.is(readFileSync(path).readFloatLE(20), 1.5)
  const bytes = Buffer.alloc(4)
  bytes.writeFloatLE(-2.25)
  file.updateRegion(24, bytes)
  t.is(floats[2], -2.25)
  const big = file.segment(64, 64).typedArray(BigUint64Array, 8, 2)
  big[0] = 2n ** 64n - 1n
  t.is(file.read(72, 8).readBigUInt64LE(), 2n ** 64n - 1n)
  file.close()
  t.is(floats.length, 4, 'a view keeps its length after close()')
  t.deepEqual([...floats], [0, 0, 0, 0], 'and reads zeros')
  t.is(big[0], 0n)
  floats[0] = 9
  t.is(readFileSync(path).readFloatLE(16), 0, 'a late write reaches no file')
})

test('typedArray over a readOnly mapping: writes stay private and never crash', (t) => {
  const path = tempFile(t, Buffer.alloc(64))
  const file = MemoryMappedFile.openRo(path)
  const ints = file.typedArray(Int32Array, 0, 16)
  ints[0] = 42
  t.is(ints[0], 42)
  file.close()
  t.is(readFileSync(path).readInt32LE(0), 0)
})

test('residency: touched pages are resident; ranges are checked', (t) => {
  const size = 8 * pageSize() + 100
  const file = MemoryMappedFile.openRo(tempFile(t, randomBytes(size)))
  file.touchPages()
  t.deepEqual(file.residency(), { residentBytes: size, totalBytes: size })
  t.deepEqual(file.residency(10, 5000), { residentBytes: 5000, totalBytes: 5000 })
  t.deepEqual(file.residency(size, 0), { residentBytes: 0, totalBytes: 0 })
  t.deepEqual(file.segment(100, 200).residency(), { residentBytes: 200, totalBytes: 200 })
  throwsLike(t, () => file.residency(size + 1), { code: 'ERR_OUT_OF_RANGE' })
  throwsLike(t, () => file.residency(0, size + 1), { code: 'ERR_OUT_OF_RANGE' })
  throwsLike(t, () => file.residency('0' as never), { code: 'ERR_INVALID_ARG_TYPE' })
  file.close()
  throwsLike(t, () => file.residency(), { code: 'ERR_MMAP_CLOSED' })
  const empty = MemoryMappedFile.openRo(tempFile(t, ''))
  t.deepEqual(empty.residency(), { residentBytes: 0, totalBytes: 0 })
  empty.close()
})

test('residency of anonymous memory counts only the pages written', (t) => {
  const page = pageSize()
  const memory = MemoryMappedFile.anonymous(16 * page)
  t.is(memory.residency().residentBytes, 0)
  memory.updateRegion(3 * page, 'x')
  t.is(memory.residency().residentBytes, page)
  memory.close()
})

test('typedArray is an ordinary typed array, and alone keeps its memory mapped', async (t) => {
  const values = [1.5, -2.25, 3.5, 1e300]
  const path = tempFile(t, Buffer.from(Float64Array.from(values).buffer))
  let file: MemoryMappedFile | null = MemoryMappedFile.openRo(path)
  const doubles = file.typedArray(Float64Array, 0, 4)
  // Nothing of its own beyond its elements: the same hidden class as any Float64Array, so code
  // that also sees heap arrays stays monomorphic.
  t.deepEqual(Reflect.ownKeys(doubles), ['0', '1', '2', '3'])
  t.is(Object.getPrototypeOf(doubles), Float64Array.prototype)
  // With the file object and the Buffer it was made from collected, the array still holds the
  // range: map and unmap other files over the freed address space, then read.
  file = null
  for (let round = 0; round < 5; round++) {
    globalThis.gc?.()
    await new Promise((resolve) => setImmediate(resolve))
    const other = MemoryMappedFile.openRo(tempFile(t, Buffer.alloc(64 * 1024, 0xff)))
    other.asBuffer()
    other.close()
  }
  t.deepEqual([...doubles], values)
})

test('typedArray: a length past the largest view the runtime makes is named in elements', (t) => {
  const maxElements = Math.floor(constants.MAX_LENGTH / 8)
  const bytes = (maxElements + 1) * 8
  if (bytes > 2 ** 40) {
    t.pass(`buffer.constants.MAX_LENGTH is ${constants.MAX_LENGTH}: no file that large here`)
    return
  }
  const path = join(tempDir(t), 'sparse.bin')
  writeFileSync(path, '')
  truncateSync(path, bytes)
  const file = MemoryMappedFile.openRo(path)
  throwsLike(t, () => file.typedArray(Float64Array, 0, maxElements + 1), {
    code: 'ERR_OUT_OF_RANGE',
    // Node's form: digits grouped with '_' above 2 ** 32 only.
    message: `The value of "length" is out of range. It must be >= 0 && <= ${maxElements}. Received ${
      maxElements + 1 > 2 ** 32 ? (maxElements + 1).toLocaleString('en-US').replaceAll(',', '_') : maxElements + 1
    }`,
  })
  file.close()
})
