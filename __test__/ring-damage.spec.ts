// RingBuffer files damaged by other processes while open: every operation checks head, tail and
// record lengths against the data area before it touches a record, and throws ERR_MMAP_CORRUPT.
import { openSync, closeSync, writeSync } from 'node:fs'
import { join } from 'node:path'

import test from 'ava'

import { RingBuffer } from '../index.js'
import { rejectsLike, tempDir, throwsLike } from './helpers.mjs'

const CAPACITY = 64
const DATA = 4096
const HEAD = 64
const TAIL = 128
const u32 = (n: number) => Buffer.from(new Uint32Array([n]).buffer)
const u64 = (n: bigint) => Buffer.from(new BigUint64Array([n]).buffer)
const corrupt = { class: Error, code: 'ERR_MMAP_CORRUPT' }

// After pushing 'hello' and 'world' (16-byte records): head 0, tail 32.
const damage: [string, [number, Buffer][]][] = [
  ['head 3 bytes before the end of the data area', [[HEAD, u64(BigInt(CAPACITY - 3))]]],
  ['misaligned head', [[HEAD, u64(4n)]]],
  ['misaligned tail', [[TAIL, u64(13n)]]],
  ['head past tail', [[HEAD, u64(40n)]]],
  ['tail more than the capacity past head', [[TAIL, u64(BigInt(CAPACITY + 8))]]],
  ['head near 2**64', [[HEAD, u64(2n ** 64n - 8n)]]],
  ['tail near 2**64', [[TAIL, u64(2n ** 64n - 8n)]]],
  [
    'huge misaligned head and tail',
    [
      [HEAD, u64(2n ** 64n - 3n)],
      [TAIL, u64(2n ** 64n - 1n)],
    ],
  ],
  ['record length past the data', [[DATA, u32(60)]]],
  ['record length past the ring', [[DATA, u32(0xffff_ffff)]]],
]

for (const overwrite of [false, true]) {
  test(`damage written after open is ERR_MMAP_CORRUPT for every operation (overwrite: ${overwrite})`, async (t) => {
    const dir = tempDir(t)
    for (const [label, writes] of damage) {
      const path = join(dir, `${label.replace(/ /g, '-')}.ring`)
      const ring = RingBuffer.create(path, CAPACITY, { overwrite })
      ring.push('hello')
      ring.push('world')
      // Written through another file descriptor, as another process would.
      const fd = openSync(path, 'r+')
      for (const [offset, bytes] of writes) writeSync(fd, bytes, 0, bytes.length, offset)
      closeSync(fd)
      throwsLike(t, () => ring.pop(), corrupt, `${label}: pop`)
      throwsLike(t, () => ring.peek(), corrupt, `${label}: peek`)
      await rejectsLike(t, ring.popAsync(), corrupt, `${label}: popAsync`)
      await rejectsLike(t, ring.popAsync({ timeoutMs: 10 }), corrupt, `${label}: popAsync with a timeout`)
      if (overwrite || !label.startsWith('record')) {
        // Filling the ring makes an overwriting push read the oldest record's length.
        throwsLike(
          t,
          () => {
            for (let i = 0; i < 8; i++) ring.push(Buffer.alloc(20, i))
          },
          corrupt,
          `${label}: push`,
        )
      }
      ring.close()
    }
  })
}
