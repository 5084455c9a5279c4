// matches() searching windows split between threads (issue 12's speed target): exact results at
// every window and part boundary, with and without overlaps, on any thread count; bounded memory
// for a flood of matches; close and threads options.
import test from 'ava'

import { MemoryMappedFile } from '../index.js'
import { tempFile, throwsLike } from './helpers.mjs'

/** Every match by Buffer.indexOf: greedy (or every start, when overlapping), in `data[from, to)`. */
function expected(data: Buffer, pattern: string, overlapping: boolean, from = 0, to = data.length): number[] {
  const out: number[] = []
  const window = data.subarray(0, to)
  for (let at = window.indexOf(pattern, from); at !== -1; at = window.indexOf(pattern, at)) {
    out.push(at)
    at += overlapping ? 1 : pattern.length
  }
  return out
}

// 40 MiB of '.', with a run of 11 'a' around every multiple of 32 KiB: the windows (64 KiB, growing
// 4x up to 256 MiB) and the 1 MiB blocks the threads claim in them start and end at such multiples,
// so matches straddle every boundary, and a greedy match running past one shifts where the next
// window starts.
const SIZE = 40 << 20
function plantedRuns(): Buffer {
  const data = Buffer.alloc(SIZE, '.')
  for (let at = 32 << 10; at < SIZE - 8; at += 32 << 10) data.fill('a', at - 5, at + 6)
  data.write('NEEDLE', SIZE - 6)
  return data
}

test('matches() across window and thread boundaries equals a sequential scan, for 1 to 3 threads', (t) => {
  const data = plantedRuns()
  const file = MemoryMappedFile.openRo(tempFile(t, data))
  for (const pattern of ['aaa', 'a', 'aaaaaaaaaaa', 'aa.', 'NEEDLE']) {
    for (const overlapping of [false, true]) {
      const want = expected(data, pattern, overlapping)
      for (const threads of [1, 2, 3]) {
        const got = [...file.matches(pattern, { overlapping, threads })]
        t.deepEqual(got, want, `${pattern} overlapping ${overlapping} threads ${threads}`)
      }
      if (!overlapping) t.is(want.length, file.count(pattern), pattern)
    }
  }
  // A window of the file, and a segment: offsets relative to the receiver.
  const from = (3 << 20) + 7
  const to = SIZE - (1 << 20)
  const want = expected(data, 'aaa', false, from, to)
  t.deepEqual([...file.matches('aaa', { offset: from, length: to - from })], want)
  const segment = file.segment(from, to - from)
  t.deepEqual(
    [...segment.matches('aaa')],
    want.map((at) => at - from),
  )
  file.close()
})

test('matches() of a 1-byte pattern in a file of nothing else: every offset, in order', (t) => {
  const size = 9 << 20
  const file = MemoryMappedFile.openRo(tempFile(t, Buffer.alloc(size, 'z')))
  let next = 0
  for (const at of file.matches('z')) {
    if (at !== next) break
    next++
  }
  t.is(next, size)
  t.is([...file.matches('zz', { overlapping: true, offset: 5, length: 1000 })].length, 999)
  file.close()
})

test('matches(): threads is checked; close stops an iteration in the middle of a window', (t) => {
  const data = plantedRuns()
  const file = MemoryMappedFile.openRo(tempFile(t, data))
  throwsLike(t, () => file.matches('a', { threads: 0 }), { code: 'ERR_OUT_OF_RANGE', class: RangeError })
  throwsLike(t, () => file.matches('a', { threads: 1.5 }), { code: 'ERR_OUT_OF_RANGE' })
  throwsLike(t, () => file.matches('a', { threads: '2' as never }), { code: 'ERR_INVALID_ARG_TYPE' })
  const iterator = file.matches('aaa')
  let seen = 0
  for (const _ of iterator) if (++seen === 3000) break
  t.is(seen, 3000)
  t.deepEqual(iterator.next(), { value: undefined, done: true }, 'break ended it')
  const open = file.matches('a')
  for (let i = 0; i < 10_000; i++) open.next()
  file.close()
  throwsLike(t, () => open.next(), { code: 'ERR_MMAP_CLOSED' })
  t.deepEqual(open.next(), { value: undefined, done: true })
})
