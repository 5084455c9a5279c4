// Errors classified right in corner cases a hostile tester found: a file growing from 0 bytes
// while it is opened (never ERR_MMAP_NOT_REGULAR_FILE), faults (ENOSPC on a full disk whatever
// access met them; ERR_MMAP_TRUNCATED for a file changed under the mapping, never EIO on a healthy
// disk), zero-element typed views, corrupt ring headers (ERR_MMAP_CORRUPT) and iterators over a
// shrunk mapping (ERR_MMAP_CLOSED). Cases that can crash or race run in child processes.
import { spawn, spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import test, { type ExecutionContext } from 'ava'

import { MemoryMappedFile, RingBuffer } from '../index.js'

import { jsonChild, tempDir, tempFile } from './helpers.mjs'

const linuxOnly = process.platform === 'linux' ? test : test.skip
const unixOnly = process.platform === 'linux' || process.platform === 'darwin' ? test : test.skip

/** Runs `script` in a child (mmapkit loaded, `codeOf` defined) and parses the JSON it prints. */
function child(t: ExecutionContext, script: string): Record<string, unknown> {
  return jsonChild(
    t,
    `const { MemoryMappedFile, RingBuffer } = require(binding)
    const fs = require('node:fs')
    ${script}`,
  )
}

/** A fresh tmpfs of `size` (root on Linux only), unmounted when the test ends; null if none. */
function tmpfs(t: ExecutionContext, size: string): string | null {
  if (process.getuid?.() !== 0) return null
  const mountPoint = tempDir(t)
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', mountPoint])
  if (mounted.status !== 0) return null
  t.teardown(() => spawnSync('umount', [mountPoint]))
  return mountPoint
}

linuxOnly(
  'a full disk: every access that faults on a hole is ENOSPC (updateRegion, atomics, touchPages, ring push)',
  (t) => {
    const mountPoint = tmpfs(t, '8m')
    if (mountPoint === null) return t.pass('needs root to mount an 8 MiB tmpfs; run in CI (root)')
    const at = (name: string) => JSON.stringify(join(mountPoint, name))
    const result = child(
      t,
      `
    fs.writeFileSync(${at('sparse.bin')}, '')
    fs.truncateSync(${at('sparse.bin')}, 32 << 20)
    // A ring whose message area is a hole: its header copied into a sparse file of the same size.
    RingBuffer.create(${at('ring0.bin')}, 4 << 20).close()
    const header = fs.readFileSync(${at('ring0.bin')}).subarray(0, 4096)
    const ringSize = fs.statSync(${at('ring0.bin')}).size
    fs.unlinkSync(${at('ring0.bin')})
    fs.writeFileSync(${at('ring.bin')}, header)
    fs.truncateSync(${at('ring.bin')}, ringSize)
    const ring = RingBuffer.open(${at('ring.bin')})
    const filler = codeOf(() => fs.writeFileSync(${at('filler.bin')}, Buffer.alloc(16 << 20, 1)))
    const open = () => MemoryMappedFile.openRw(${at('sparse.bin')})
    let push = 'no error'
    for (let i = 0; i < 4096 && push === 'no error'; i++) push = codeOf(() => ring.push(Buffer.alloc(4000, 3)))
    console.log(JSON.stringify({
      filler,
      updateRegion: codeOf(() => open().updateRegion(1 << 20, Buffer.alloc(4096, 2))),
      atomicStoreU32: codeOf(() => open().atomicStoreU32(2 << 20, 5)),
      atomicAddU64: codeOf(() => open().atomicAddU64(5 << 20, 5n)),
      touchPages: codeOf(() => open().touchPages(3 << 20, 1 << 20)),
      push,
    }))`,
    )
    t.deepEqual(result, {
      filler: 'ENOSPC',
      updateRegion: 'ENOSPC',
      atomicStoreU32: 'ENOSPC',
      atomicAddU64: 'ENOSPC',
      touchPages: 'ENOSPC',
      push: 'ENOSPC',
    })
  },
)

unixOnly('a file truncated and grown again under a view is ERR_MMAP_TRUNCATED, not EIO', (t) => {
  const path = tempFile(t, Buffer.alloc(64 * 1024, 'a'))
  const result = child(
    t,
    `
    const { spawnSync } = require('node:child_process')
    const resize = (size) => {
      const done = spawnSync(process.execPath, ['-e', 'require("fs").truncateSync(process.argv[1], +process.argv[2])', ${JSON.stringify(path)}, String(size)])
      if (done.status !== 0) throw new Error('truncate failed')
    }
    const file = MemoryMappedFile.openRo(${JSON.stringify(path)})
    const guarded = MemoryMappedFile.openRo(${JSON.stringify(path)})
    const view = file.asBuffer()
    resize(4096)
    let sum = 0
    for (let i = 0; i < view.length; i += 4096) sum += view[i] // walks across the truncation
    resize(64 * 1024) // the file is whole again, on a healthy disk
    const codes = { read: codeOf(() => file.read(0, 1)), segment: codeOf(() => file.segment(0, 1)) }
    // A guarded native access meeting the same truncation: classified by the same rule.
    resize(4096)
    codes.guardedRead = codeOf(() => guarded.read(8192, 1))
    console.log(JSON.stringify({ sum, ...codes }))`,
  )
  t.deepEqual(result, {
    sum: 97,
    read: 'ERR_MMAP_TRUNCATED',
    segment: 'ERR_MMAP_TRUNCATED',
    guardedRead: 'ERR_MMAP_TRUNCATED',
  })
})

linuxOnly('a regular file growing from 0 bytes while it is opened is never ERR_MMAP_NOT_REGULAR_FILE', async (t) => {
  const path = tempFile(t, '')
  // Two writers: one truncates the file to 0 and grows it to 1 MiB, one truncates it and appends
  // to it as a log would; between them the file is often empty when opened and full when read.
  const writers = [
    'for (;;) { fs.truncateSync(p, 0); fs.truncateSync(p, 1 << 20) }',
    "for (;;) { fs.truncateSync(p, 0); fs.appendFileSync(p, 'x'.repeat(100)) }",
  ].map((loop) =>
    spawn(process.execPath, ['-e', `const fs = require('node:fs'); const p = process.argv[1]; ${loop}`, path], {
      stdio: 'ignore',
    }),
  )
  t.teardown(() => writers.forEach((writer) => writer.kill()))
  await new Promise((resolve) => setTimeout(resolve, 300))
  const codes: Record<string, number> = {}
  let opens = 0
  const end = Date.now() + 6000
  while (Date.now() < end) {
    opens++
    try {
      MemoryMappedFile.openRo(path).close()
    } catch (error) {
      const code = String((error as { code?: string }).code)
      codes[code] = (codes[code] ?? 0) + 1
    }
  }
  t.true(opens > 100, `only ${opens} opens: the check did not run`)
  t.false('ERR_MMAP_NOT_REGULAR_FILE' in codes, `${JSON.stringify(codes)} in ${opens} opens`)
  // Generated files are still refused.
  t.throws(() => MemoryMappedFile.openRo('/proc/cpuinfo'), { code: 'ERR_MMAP_NOT_REGULAR_FILE' })
})

test('typedArray with 0 elements works on every zero-length mapping, at any in-range aligned byteOffset', (t) => {
  const dir = tempDir(t)
  const empty = join(dir, 'empty.bin')
  writeFileSync(empty, '')
  const sixteen = tempFile(t, Buffer.alloc(16, 1))
  const mappings = {
    'an empty file': MemoryMappedFile.openRo(empty),
    'anonymous(0)': MemoryMappedFile.anonymous(0),
    'createRw(p, 0)': MemoryMappedFile.createRw(join(dir, 'created.bin'), 0),
    'a { offset: 8, length: 0 } window': MemoryMappedFile.openRo(sixteen, { offset: 8, length: 0 }),
    'segment(0, 0)': MemoryMappedFile.anonymous(64).segment(0, 0),
  }
  for (const [name, mapping] of Object.entries(mappings)) {
    for (const Type of [Float64Array, BigInt64Array, Uint32Array, Int16Array, Uint8Array]) {
      const view = mapping.typedArray(Type, 0, 0)
      t.true(view instanceof Type, `${name}: ${Type.name}`)
      t.is(view.length, 0, `${name}: ${Type.name}`)
    }
    t.throws(() => mapping.typedArray(Float64Array, 1, 0), { code: 'ERR_OUT_OF_RANGE' }, name)
  }
  // On a non-empty mapping: an empty view at any aligned offset up to the end; a misaligned one is
  // refused as `new Float64Array(buffer, 3, 0)` is.
  const memory = MemoryMappedFile.anonymous(64)
  t.is(memory.typedArray(Float64Array, 8, 0).length, 0)
  t.throws(() => memory.typedArray(Float64Array, 3, 0), { code: 'ERR_MMAP_MISALIGNED' })
  t.throws(() => memory.typedArray(Uint32Array, 3, 0), { code: 'ERR_MMAP_MISALIGNED' })
  t.is(memory.typedArray(BigUint64Array, 64, 0).length, 0)
  t.throws(() => memory.typedArray(Float64Array, 65, 0), { code: 'ERR_OUT_OF_RANGE' })
  // One element still needs an aligned address.
  t.throws(() => memory.typedArray(Float64Array, 3, 1), { code: 'ERR_MMAP_MISALIGNED' })
  memory.close()
  t.throws(() => memory.typedArray(Float64Array, 0, 0), { code: 'ERR_MMAP_CLOSED' })
})

test('a ring header whose consumer is past its producer, or whose push count is absurd, is ERR_MMAP_CORRUPT for every operation', async (t) => {
  const dir = tempDir(t)
  const u64 = (value: bigint) => Buffer.from(new BigUint64Array([value]).buffer)
  const cases: [string, number, bigint][] = [
    ['consumer position (0x40) past the producer position (0x80)', 0x40, 64n],
    ['push count (0x88) of 2**64 - 1', 0x88, 2n ** 64n - 1n],
  ]
  for (const [label, offset, value] of cases) {
    const path = join(dir, `${offset}.ring`)
    const ring = RingBuffer.create(path, 1024)
    ring.push('a')
    ring.push('b')
    // Damage written by another writer while the ring is open.
    const header = MemoryMappedFile.openRw(path, { length: 4096 })
    header.updateRegion(offset, u64(value))
    header.close()
    const corrupt = { code: 'ERR_MMAP_CORRUPT' }
    t.throws(() => ring.length, corrupt, `${label}: length`)
    t.throws(() => ring.peek(), corrupt, `${label}: peek`)
    t.throws(() => ring.pop(), corrupt, `${label}: pop`)
    t.throws(() => ring.push('c'), corrupt, `${label}: push`)
    await t.throwsAsync(ring.popAsync({ timeoutMs: 50 }), corrupt, `${label}: popAsync`)
    t.throws(() => RingBuffer.open(path), corrupt, `${label}: open`)
    ring.close()
  }
})

test('iterators, streams and async scans over a mapping resized below their range end with ERR_MMAP_CLOSED', async (t) => {
  const dir = tempDir(t)
  let made = 0
  const fresh = () => {
    const path = join(dir, `shrunk-${made++}.bin`)
    writeFileSync(path, Buffer.alloc(1 << 16, 'a\n'))
    return MemoryMappedFile.openRw(path)
  }
  const closed = { code: 'ERR_MMAP_CLOSED' }
  const cases: [string, (file: MemoryMappedFile) => { next(): unknown }, number][] = [
    ['chunks() below its position', (file) => file.chunks(4096), 2],
    ['pages() below its position', (file) => file.pages(), 2],
    ['chunks() before the first chunk', (file) => file.chunks(4096), 0],
    ['lines() before the first line', (file) => file.lines(), 0],
    ['lines() midway', (file) => file.lines(), 100],
    ['matches() before the first match', (file) => file.matches('a'), 0],
    ['matches() midway', (file) => file.matches('a'), 100],
    ['segment chunks()', (file) => file.segment(0, 1 << 15).chunks(1024), 1],
  ]
  for (const [label, make, before] of cases) {
    for (const newLength of [100, 0]) {
      const file = fresh()
      const iterator = make(file)
      for (let i = 0; i < before; i++) iterator.next()
      file.resize(newLength)
      t.throws(() => iterator.next(), closed, `${label}, resized to ${newLength}`)
      file.close()
    }
  }
  // A stream whose next read lies past the new end.
  const file = fresh()
  const stream = file.createReadStream({ highWaterMark: 4096 })
  let chunks = 0
  const error = await new Promise<unknown>((resolve) => {
    stream.on('data', () => {
      if (++chunks === 2) file.resize(100)
    })
    stream.on('error', resolve)
    stream.on('end', () => resolve(null))
  })
  t.like(error, closed, 'createReadStream')
  file.close()
  // Async scans with no options, the file shrunk in the same tick: either the scan ran first
  // (the whole count) or it finds the mapping resized under it, never a range error.
  const scans: [string, (file: MemoryMappedFile) => Promise<unknown>][] = [
    ['countLinesAsync', (file) => file.countLinesAsync()],
    ['countAsync', (file) => file.countAsync('a')],
    ['findAllAsync', (file) => file.findAllAsync('a')],
  ]
  for (const [label, scan] of scans) {
    for (let round = 0; round < 10; round++) {
      const shrunk = fresh()
      const pending = scan(shrunk)
      shrunk.resize(100)
      const outcome = await pending.then(
        (value) => (Array.isArray(value) ? value.length : value),
        (error: { code?: string }) => error.code,
      )
      t.true(outcome === 32768 || outcome === 'ERR_MMAP_CLOSED', `${label}: ${String(outcome)}`)
      shrunk.close()
    }
  }
})

test('what binding.d.ts says of views holds: not detached by close()/resize(), .buffer is the view, atomics align the address', (t) => {
  const path = tempFile(t, Buffer.alloc(1 << 16, 7))
  const file = MemoryMappedFile.openRw(path)
  const view = file.asBuffer(4096, 512)
  t.is(view.buffer.byteLength, 512, 'view.buffer holds the view, not the whole mapping')
  t.is(view.byteOffset, 0)
  file.resize(1 << 15)
  t.is(view.length, 512, 'kept across resize()')
  t.is(view[0], 0, 'reads zeros after resize()')
  const again = file.asBuffer(0, 16)
  file.close()
  t.is(again.byteLength, 16, 'kept across close()')
  t.is(again[0], 0)
  // A window at file offset 4: offset 0 is the file's byte 4, an aligned u32 but not an aligned u64.
  const window = MemoryMappedFile.openRw(path, { offset: 4, length: 64 })
  t.notThrows(() => window.atomicLoadU32(0))
  t.throws(() => window.atomicLoadU64(0), { code: 'ERR_MMAP_MISALIGNED' })
  t.notThrows(() => window.atomicLoadU64(4))
  window.close()
  const typings = readFileSync(fileURLToPath(new URL('../binding.d.ts', import.meta.url)), 'utf8')
  t.false(/`resize\(\)` detach it|byteLength` 0|`view\.buffer` is the whole mapping/.test(typings))
  t.false(/if `offset` is not a multiple of/.test(typings))
})
