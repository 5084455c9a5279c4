// A rejected call changes nothing: every factory validates every option (the window against the
// length the file WILL have, the mode against create/size, enum and number options) before it
// creates, truncates or grows the file. Table-driven: for each rejected combination, the file's
// existence, size and bytes are the same afterwards, and the error is the typed one.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

import test from 'ava'

import { MemoryMappedFile, loadMmap, pageSize, writeMmap } from '../index.js'
import { rejectsLike, tempDir, throwsLike, type ErrorShape } from './helpers.mjs'

const VALUE: ErrorShape = { class: TypeError, code: 'ERR_INVALID_ARG_VALUE' }
const RANGE: ErrorShape = { class: RangeError, code: 'ERR_OUT_OF_RANGE' }
const ENOENT: ErrorShape = { class: Error, code: 'ENOENT' }
// Deliberately wrong arguments: the casts stand for untyped JavaScript callers.
const bad = <T>(value: unknown) => value as T

/** 150 bytes that are not zeros, so a truncation or regrowth would show. */
const ORIGINAL = Buffer.from(Array.from({ length: 150 }, (_, i) => (i * 7 + 1) & 0xff))

type Target = 'existing' | 'missing'
type Row = [label: string, target: Target, call: (path: string) => unknown, shape: ErrorShape]

const ROWS: Row[] = [
  // The three reported cases.
  [
    'createRw 100 with offset 200 (truncated first)',
    'existing',
    (p) => MemoryMappedFile.createRw(p, 100, { offset: 200 }),
    RANGE,
  ],
  [
    'openRw size 1000 length 5000 (grew first)',
    'existing',
    (p) => MemoryMappedFile.openRw(p, { size: 1000, length: 5000 }),
    RANGE,
  ],
  [
    'openRw create size 10 offset 11 (created first)',
    'missing',
    (p) => MemoryMappedFile.openRw(p, { create: true, size: 10, offset: 11 }),
    RANGE,
  ],
  // The rest of the kind: windows checked against the future length.
  ['createRw 100 with length 101', 'existing', (p) => MemoryMappedFile.createRw(p, 100, { length: 101 }), RANGE],
  [
    'createRw 100 with offset 50 length 51',
    'existing',
    (p) => MemoryMappedFile.createRw(p, 100, { offset: 50, length: 51 }),
    RANGE,
  ],
  [
    'createRw missing with offset past the size',
    'missing',
    (p) => MemoryMappedFile.createRw(p, 100, { offset: 101 }),
    RANGE,
  ],
  ['createMmap-like createRw 0 with length 1', 'missing', (p) => MemoryMappedFile.createRw(p, 0, { length: 1 }), RANGE],
  ['openRw size 1000 offset 1001', 'existing', (p) => MemoryMappedFile.openRw(p, { size: 1000, offset: 1001 }), RANGE],
  [
    'openRw size 160 offset 100 length 61',
    'existing',
    (p) => MemoryMappedFile.openRw(p, { size: 160, offset: 100, length: 61 }),
    RANGE,
  ],
  [
    'openRw create without size, length 1',
    'missing',
    (p) => MemoryMappedFile.openRw(p, { create: true, length: 1 }),
    RANGE,
  ],
  [
    'open readWrite create size 10 length 11',
    'missing',
    (p) => MemoryMappedFile.open(p, { mode: 'readWrite', create: true, size: 10, length: 11 }),
    RANGE,
  ],
  ['openOrCreate missing 10, length 11', 'missing', (p) => MemoryMappedFile.openOrCreate(p, 10, { length: 11 }), RANGE],
  [
    'openOrCreate existing 10, offset 151',
    'existing',
    (p) => MemoryMappedFile.openOrCreate(p, 10, { offset: 151 }),
    RANGE,
  ],
  [
    'openOrCreate existing 10, size 200 length 201',
    'existing',
    (p) => MemoryMappedFile.openOrCreate(p, 10, { size: 200, length: 201 }),
    RANGE,
  ],
  // Mode against create/size.
  // @ts-expect-error the typings reject what the runtime rejects
  ['open readOnly with size', 'existing', (p) => MemoryMappedFile.open(p, { size: 1000 }), VALUE],
  [
    'open copyOnWrite with create',
    'missing',
    // @ts-expect-error the typings reject what the runtime rejects
    (p) => MemoryMappedFile.open(p, { mode: 'copyOnWrite', create: true, size: 10 }),
    VALUE,
  ],
  // @ts-expect-error the typings reject what the runtime rejects
  ['openCow with size', 'existing', (p) => MemoryMappedFile.openCow(p, { size: 1000 }), VALUE],
  // @ts-expect-error the typings reject what the runtime rejects
  ['openRo with create', 'missing', (p) => MemoryMappedFile.openRo(p, { create: true }), VALUE],
  // @ts-expect-error the typings reject what the runtime rejects
  ['createRw with mode readOnly', 'existing', (p) => MemoryMappedFile.createRw(p, 10, { mode: 'readOnly' }), VALUE],
  [
    'openOrCreate with mode copyOnWrite',
    'missing',
    // @ts-expect-error the typings reject what the runtime rejects
    (p) => MemoryMappedFile.openOrCreate(p, 10, { mode: 'copyOnWrite' }),
    VALUE,
  ],
  // Bad values of other options, next to options that would change the file.
  ['createRw with a bad advice', 'existing', (p) => MemoryMappedFile.createRw(p, 10, { advice: bad('bogus') }), VALUE],
  ['createRw with a bad lock', 'existing', (p) => MemoryMappedFile.createRw(p, 10, { lock: bad('bogus') }), VALUE],
  [
    'openRw size with a bad flushPolicy',
    'existing',
    (p) => MemoryMappedFile.openRw(p, { size: 1000, flushPolicy: { everyBytes: 0 } }),
    RANGE,
  ],
  [
    'openRw create with a negative size',
    'missing',
    (p) => MemoryMappedFile.openRw(p, { create: true, size: -1 }),
    RANGE,
  ],
  [
    'openRw create size with a fractional offset',
    'missing',
    (p) => MemoryMappedFile.openRw(p, { create: true, size: 10, offset: 1.5 }),
    RANGE,
  ],
  ['createRw with a negative size', 'existing', (p) => MemoryMappedFile.createRw(p, -1), RANGE],
  ['openOrCreate with NaN', 'missing', (p) => MemoryMappedFile.openOrCreate(p, NaN), RANGE],
  ['loadMmap with a bad mode', 'existing', (p) => loadMmap(p, bad('rw')), VALUE],
  // writeMmap: a write past the end writes nothing; a missing file is not created.
  ['writeMmap past the end', 'existing', (p) => writeMmap(p, 140, Buffer.alloc(20, 9)), RANGE],
  ['writeMmap to a missing file', 'missing', (p) => writeMmap(p, 0, 'x'), ENOENT],
]

function prepare(dir: string, i: number, target: Target) {
  const path = join(dir, `case-${i}.bin`)
  if (target === 'existing') writeFileSync(path, ORIGINAL)
  return path
}

function assertUnchanged(t: import('ava').ExecutionContext, path: string, target: Target, label: string) {
  if (target === 'missing') {
    t.false(existsSync(path), `${label}: a file was left behind`)
  } else {
    const now = readFileSync(path)
    t.is(now.length, ORIGINAL.length, `${label}: size changed`)
    t.true(now.equals(ORIGINAL), `${label}: bytes changed`)
  }
}

test('every rejected factory call leaves the file as it was', (t) => {
  const dir = tempDir(t)
  ROWS.forEach(([label, target, call, shape], i) => {
    const path = prepare(dir, i, target)
    throwsLike(t, () => call(path), shape, label)
    assertUnchanged(t, path, target, label)
  })
})

test('the same combinations through openAsync reject and leave the file as it was', async (t) => {
  const dir = tempDir(t)
  const rows: [string, Target, Parameters<typeof MemoryMappedFile.openAsync>[1], ErrorShape][] = [
    ['create size 10 offset 11', 'missing', { mode: 'readWrite', create: true, size: 10, offset: 11 }, RANGE],
    ['size 1000 length 5000', 'existing', { mode: 'readWrite', size: 1000, length: 5000 }, RANGE],
    // @ts-expect-error the typings reject what the runtime rejects
    ['readOnly with size', 'existing', { size: 1000 }, VALUE],
    ['create without size, offset 1', 'missing', { mode: 'readWrite', create: true, offset: 1 }, RANGE],
  ]
  for (const [i, [label, target, options, shape]] of rows.entries()) {
    const path = prepare(dir, 100 + i, target)
    await rejectsLike(t, MemoryMappedFile.openAsync(path, options), shape, label)
    assertUnchanged(t, path, target, label)
  }
})

test('a size the file system refuses leaves the file as it was', (t) => {
  const dir = tempDir(t)
  const path = prepare(dir, 200, 'existing')
  // 2**53 - 1 bytes: far past any file system's limit (EFBIG), or past the free space (ENOSPC).
  const error = t.throws(() => MemoryMappedFile.openRw(path, { size: 2 ** 53 - 1 }))
  t.regex(String((error as Error & { code?: string })?.code), /^(EFBIG|ENOSPC|EINVAL)$/)
  assertUnchanged(t, path, 'existing', 'openRw size 2**53 - 1')
  t.throws(() => MemoryMappedFile.createRw(path, 2 ** 53 - 1))
  assertUnchanged(t, path, 'existing', 'createRw 2**53 - 1')
})

test('the accepted neighbours of the rejected rows still work', (t) => {
  const dir = tempDir(t)
  const a = prepare(dir, 300, 'existing')
  const file = MemoryMappedFile.createRw(a, 100, { offset: 100 })
  t.is(file.length, 0)
  file.close()
  t.is(readFileSync(a).length, 100)
  const b = prepare(dir, 301, 'existing')
  const grown = MemoryMappedFile.openRw(b, { size: 1000, length: 1000 })
  t.is(grown.length, 1000)
  grown.close()
  const c = prepare(dir, 302, 'missing')
  const created = MemoryMappedFile.openRw(c, { create: true, size: 10, offset: 10 })
  t.is(created.length, 0)
  created.close()
  t.is(readFileSync(c).length, 10)
})

test('updateRegion from a view of another mapping whose file was truncated writes nothing', (t) => {
  const dir = tempDir(t)
  const page = pageSize()
  const sourcePath = join(dir, 'source.bin')
  const targetPath = join(dir, 'target.bin')
  writeFileSync(sourcePath, Buffer.alloc(4 * page, 0xab))
  writeFileSync(targetPath, Buffer.alloc(4 * page, 0x11))
  const source = MemoryMappedFile.openRw(sourcePath)
  const target = MemoryMappedFile.openRw(targetPath)
  const view = source.asBuffer()
  truncateSync(sourcePath, page) // another process shrinks the source: its pages 2-4 fault
  throwsLike(t, () => target.updateRegion(0, view), { class: Error, code: 'ERR_MMAP_TRUNCATED' })
  t.is(target.pendingBytes, 0)
  target.flush()
  t.true(readFileSync(targetPath).equals(Buffer.alloc(4 * page, 0x11)), 'part of the source was written')
  target.updateRegion(0, view.subarray(0, page))
  t.true(target.read(0, page).equals(Buffer.alloc(page, 0xab)), 'the part that still exists can be written')
  target.close()
  source.close()
})

test('on a full disk (ENOSPC) a rejected call leaves no new file, no grown file and no changed length', (t) => {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) {
    return t.pass('needs root on Linux to mount a 1 MiB tmpfs; run in CI (root)')
  }
  const mountPoint = tempDir(t)
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mountPoint])
  if (mounted.status !== 0) return t.pass(`cannot mount a tmpfs here: ${mounted.stderr}`)
  t.teardown(() => spawnSync('umount', [mountPoint]))
  const ENOSPC: ErrorShape = { class: Error, code: 'ENOSPC' }
  const fresh = join(mountPoint, 'fresh.bin')
  throwsLike(t, () => MemoryMappedFile.createRw(fresh, 4 << 20), ENOSPC, 'createRw')
  t.false(existsSync(fresh), 'createRw left the file it created')
  throwsLike(t, () => MemoryMappedFile.openOrCreate(fresh, 4 << 20), ENOSPC, 'openOrCreate')
  t.false(existsSync(fresh), 'openOrCreate left the file it created')
  throwsLike(t, () => MemoryMappedFile.openRw(fresh, { create: true, size: 4 << 20 }), ENOSPC, 'openRw create')
  t.false(existsSync(fresh), 'openRw create left the file it created')
  const existing = join(mountPoint, 'existing.bin')
  writeFileSync(existing, ORIGINAL)
  throwsLike(t, () => MemoryMappedFile.openRw(existing, { size: 4 << 20 }), ENOSPC, 'openRw size')
  assertUnchanged(t, existing, 'existing', 'openRw size')
  const file = MemoryMappedFile.openRw(existing)
  throwsLike(t, () => file.resize(4 << 20), ENOSPC, 'resize')
  t.is(file.length, ORIGINAL.length)
  file.close()
  assertUnchanged(t, existing, 'existing', 'resize')
})
