// Views never reach unmapped memory: close() and resize() keep every view's address range
// reserved (private zero pages) until the view is collected; garbage collection never unmaps
// memory a live view still uses; repeated open/close leaks neither descriptors nor memory.
// (views-lifetime.spec.ts has the cases where native code or another thread holds the memory.)
import { readdirSync, readFileSync } from 'node:fs'
import { setImmediate as tick } from 'node:timers/promises'

import test from 'ava'

import { MemoryMappedFile, pageSize } from '../index.js'
import { sha256, tempFile } from './helpers.mjs'

const gc = (globalThis as { gc?: () => void }).gc

test('after close() every view, including subarrays, reads zeros and writes nowhere, in every mode', (t) => {
  const path = tempFile(t, Buffer.alloc(3 * pageSize(), 7))
  const before = sha256(path)
  for (const mode of ['readOnly', 'readWrite', 'copyOnWrite'] as const) {
    const file = MemoryMappedFile.open(path, { mode })
    const whole = file.asBuffer()
    const part = file.asBuffer(pageSize() + 1, 10)
    const sub = whole.subarray(5, 50)
    const typed = new Uint32Array(whole.buffer, whole.byteOffset, 4)
    t.is(whole[0], 7)
    file.close()
    for (const view of [whole, part, sub]) {
      t.is(view.length, view === whole ? 3 * pageSize() : view === part ? 10 : 45, mode)
      t.is(view[0], 0, mode)
    }
    t.is(typed[0], 0)
    // Writes land in private memory that only these views see, never in the file.
    whole[0] = 1
    part.fill(1)
    t.is(whole[0], 1)
  }
  t.is(sha256(path), before)
})

test('resize() retires earlier views (zeros); new views see the new mapping', (t) => {
  const path = tempFile(t, 'abcdef')
  const file = MemoryMappedFile.openRw(path)
  const before = file.asBuffer()
  file.resize(2 * pageSize())
  t.is(before.toString(), '\0'.repeat(6))
  const after = file.asBuffer()
  t.is(after.length, 2 * pageSize())
  t.is(after.subarray(0, 6).toString(), 'abcdef')
  file.resize(3)
  t.is(after[0], 0)
  after[1] = 1 // lands in private memory, not in the file
  t.is(file.asBuffer().toString(), 'abc')
  file.close()
  t.is(readFileSync(path, 'utf8'), 'abc')
})

test('a failed resize detaches nothing it does not have to', (t) => {
  const path = tempFile(t, 'abcdef')
  const file = MemoryMappedFile.openRo(path)
  const view = file.asBuffer()
  t.throws(() => file.resize(10), { code: 'ERR_MMAP_INVALID_MODE' })
  t.is(view.toString(), 'abcdef')
  file.close()
})

test('a view keeps its mapping alive after the file object is collected', async (t) => {
  if (!gc) return t.fail('run with --expose-gc')
  const path = tempFile(t, 'still mapped after gc')
  let view: Buffer | undefined
  ;(() => {
    const file = MemoryMappedFile.openRo(path)
    view = file.asBuffer()
  })()
  for (let i = 0; i < 5; i++) {
    gc()
    await tick()
  }
  t.is(view!.toString(), 'still mapped after gc')
})

test('views from a collected file can be collected too (no leak, no crash)', async (t) => {
  if (!gc) return t.fail('run with --expose-gc')
  const path = tempFile(t, Buffer.alloc(pageSize(), 1))
  for (let i = 0; i < 2000; i++) {
    const file = MemoryMappedFile.openRo(path)
    file.asBuffer()
    file.asBuffer(1, 2)
  }
  for (let i = 0; i < 5; i++) {
    gc()
    await tick()
  }
  t.pass()
})

test('close() while a flushAsync is running waits for it and does not crash', async (t) => {
  const path = tempFile(t, Buffer.alloc(16 * pageSize()))
  for (let i = 0; i < 50; i++) {
    const file = MemoryMappedFile.openRw(path)
    file.asBuffer().fill(i)
    const pending = file.flushAsync()
    file.close()
    // Either the flush ran before close took the mapping, or it found the file closed.
    await pending.catch((error: { code?: string }) => t.is(error.code, 'ERR_MMAP_CLOSED'))
  }
  t.is(readFileSync(path)[0], 49)
})

function openDescriptors(): number {
  return readdirSync(process.platform === 'linux' ? '/proc/self/fd' : '/dev/fd').length
}

function rssBytes(): number {
  gc?.()
  return process.memoryUsage().rss
}

// Descriptors are counted in /proc/self/fd (Linux) or /dev/fd (macOS); Windows has neither.
;(process.platform === 'win32' ? test.skip : test)(
  '10,000 open/asBuffer/close cycles leave descriptors and RSS flat',
  async (t) => {
    const path = tempFile(t, Buffer.alloc(64 * 1024, 3))
    const cycle = (n: number) => {
      for (let i = 0; i < n; i++) {
        const file = MemoryMappedFile.openRo(path)
        const view = file.asBuffer()
        if (view[100] !== 3) throw new Error('bad view contents')
        file.close()
      }
    }
    cycle(1000) // warm up allocator and JIT
    await tick()
    const fdsBefore = openDescriptors()
    const rssBefore = rssBytes()
    cycle(10_000)
    await tick()
    const fdsAfter = openDescriptors()
    const rssAfter = rssBytes()
    t.is(fdsAfter, fdsBefore, 'open descriptors')
    const growthMiB = (rssAfter - rssBefore) / 2 ** 20
    t.log(`RSS growth over 10,000 cycles: ${growthMiB.toFixed(2)} MiB`)
    t.true(growthMiB < 16, `RSS grew by ${growthMiB.toFixed(2)} MiB`)
    // The mappings are gone too, not just the descriptors.
    if (process.platform === 'linux') {
      const maps = readFileSync('/proc/self/maps', 'utf8')
      t.false(maps.includes(path), 'no mapping of the file remains')
    }
  },
)
