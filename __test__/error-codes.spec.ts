// Node-style codes and JS method names everywhere: no napi-rs status codes (`InvalidArg`,
// `GenericFailure`) and no Rust function names reach users.
import { join } from 'node:path'
import { writeFileSync } from 'node:fs'

import test from 'ava'

import { MemoryMappedFile } from '../index.js'
import { tempDir, throwsLike } from './helpers.mjs'

test('a ChunkIterator.next() called from inside another next() gets the next chunk', (t) => {
  const path = join(tempDir(t), 'chunks.bin')
  writeFileSync(path, Buffer.from(Array.from({ length: 100 }, (_, i) => Math.floor(i / 10))))
  const file = MemoryMappedFile.openRo(path)
  const iterator = file.chunks(10)
  let inner: unknown
  // A setter on Object.prototype runs while next() builds its result object.
  Object.defineProperty(Object.prototype, 'done', {
    configurable: true,
    set(value) {
      delete (Object.prototype as { done?: unknown }).done
      try {
        inner = iterator.next()
      } catch (error) {
        inner = error
      }
      Object.defineProperty(this, 'done', { value, writable: true, enumerable: true, configurable: true })
    },
  })
  let outer: IteratorResult<Buffer, undefined>
  try {
    outer = iterator.next()
  } finally {
    delete (Object.prototype as { done?: unknown }).done
  }
  t.false(inner instanceof Error, `the inner call threw: ${String(inner)} (code ${(inner as { code?: string })?.code})`)
  const firsts = [outer.value?.[0], (inner as IteratorResult<Buffer, undefined>).value?.[0]].sort()
  t.deepEqual(firsts, [0, 1], 'each call took its own chunk')
  const rest: number[] = []
  for (let result = iterator.next(); !result.done; result = iterator.next()) rest.push(result.value[0])
  t.deepEqual(rest, [2, 3, 4, 5, 6, 7, 8, 9])
  file.close()
})

test('atomics refused on a readOnly mapping name the JS method, not the Rust function', (t) => {
  const path = join(tempDir(t), 'words.bin')
  writeFileSync(path, Buffer.alloc(64))
  const file = MemoryMappedFile.openRo(path)
  const calls: [string, () => unknown][] = [
    ['atomicStoreU32', () => file.atomicStoreU32(0, 1)],
    ['atomicAddU32', () => file.atomicAddU32(0, 1)],
    ['atomicCompareExchangeU32', () => file.atomicCompareExchangeU32(0, 0, 1)],
    ['atomicStoreU64', () => file.atomicStoreU64(8, 1n)],
    ['atomicAddU64', () => file.atomicAddU64(8, 1n)],
    ['atomicCompareExchangeU64', () => file.atomicCompareExchangeU64(8, 0n, 1n)],
  ]
  for (const [name, call] of calls) {
    throwsLike(
      t,
      call,
      { class: Error, code: 'ERR_MMAP_READ_ONLY', message: new RegExp(`^Cannot ${name}: the mapping is readOnly`) },
      name,
    )
  }
  file.close()
})

test('atomicAddU64 with a negative delta subtracts, wrapping; past 64 bits it is ERR_OUT_OF_RANGE', (t) => {
  const file = MemoryMappedFile.anonymous(64)
  try {
    file.atomicStoreU64(8, 10n)
    t.is(file.atomicAddU64(8, -1n), 10n)
    t.is(file.atomicLoadU64(8), 9n)
    t.is(file.atomicAddU64(8, -10n), 9n)
    t.is(file.atomicLoadU64(8), 2n ** 64n - 1n, 'wraps below zero')
    t.is(file.atomicAddU64(8, 2n ** 64n - 1n), 2n ** 64n - 1n)
    t.is(file.atomicLoadU64(8), 2n ** 64n - 2n)
    for (const delta of [2n ** 64n, -(2n ** 64n)]) {
      t.throws(() => file.atomicAddU64(8, delta), { instanceOf: RangeError, code: 'ERR_OUT_OF_RANGE' })
    }
    t.throws(() => file.atomicStoreU64(8, -1n), { instanceOf: RangeError, code: 'ERR_OUT_OF_RANGE' })
    t.is(file.atomicLoadU64(8), 2n ** 64n - 2n, 'rejected calls changed nothing')
  } finally {
    file.close()
  }
})
