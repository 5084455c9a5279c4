#!/usr/bin/env node
// `npm run bench:features`: the benchmarks that issues 3, 4 and 5 ask for, each group in one run,
// every implementation of a comparison measured in every round (in a rotating order, so that noise
// from other jobs on the machine spreads over all of them), results as medians over the rounds and
// ratios of medians of the same run.
//
//   node benchmark/features.mjs [--size 1G] [--dir DIR] [--rounds 5] [--only chunks|durability|scans] [--no-save]
//
// Groups (`--only` takes a name or the issue number, or a comma-separated list):
// - chunks (issue 3): the bytes of a warm --size file summed in JS through file.chunks(1 MiB), through
//   fs.readSync into one reused 1 MiB buffer, and through fs.createReadStream (highWaterMark 1 MiB),
//   with the same JS loop (sumBytes); also mmapkit's own createReadStream, and each transport alone
//   (no sum), which shows what the sum costs. The garbage collections during each case are counted
//   (PerformanceObserver 'gc' entries).
// - durability (issue 4), on two 64 MiB files in --dir (a real disk: its file system is printed and
//   saved; on tmpfs a sync is a no-op and the numbers mean nothing), one written in 8 MiB writes and
//   one in 4 KiB writes: Linux 6.16+ caches ext4 files in large folios sized after the writes, and
//   what a write fault dirties (so what a small msync writes back) is a whole folio. On each file:
//   (a) 100k random 64-byte updateRegion + one flush() vs 100k fs.writeSync + one fs.fsyncSync (and
//   + fs.fdatasyncSync), total time; (b) per write: updateRegion + flushRange vs fs.writeSync +
//   fs.fdatasyncSync, ns/op, with the bytes the disk wrote per op (/proc/diskstats, machine-wide).
//   Then (c) uncontended lock()/unlock() and tryLock()/unlock() round trips; (d) atomicAddU32 (and
//   atomicAddU64) per second, and Atomics.add on an Int32Array over a SharedArrayBuffer.
// - scans (issue 5), on a warm --size file of ~80-byte log lines written by the demo's generator
//   (bin/lib/demo/generate.mjs), with a rare 9-byte pattern planted a known number of times:
//   countLines() (sync: all cores, 2 here), countLinesAsync({ threads: 1 | 2 }), a C reference
//   (features/count_newlines.c: AVX2 over its own mapping, N pthreads; compiled into the temp dir with
//   gcc -O3 -march=native -pthread), Buffer.indexOf loops over a zero-copy view of the mapping,
//   `wc -l` spawned (end to end, and minus `wc -l /dev/null`, the process start-up), and
//   count(pattern) vs a Buffer.indexOf(pattern) loop (and, for comparison, the same for an absent
//   pattern with many partial matches). Every answer is checked against the generator.
//   Operations under a second are repeated 3 times back to back per round and the round keeps the
//   best (the C program does the same); the multi-second JS loops run once per round.
// At the end: issue 5's targets, MET or MISSED with the measured ratio (a miss never fails the run).
// Results: benchmark/results/features-<date>-<commit>.json.
import { spawnSync } from 'node:child_process'
import { constants as bufferConstants } from 'node:buffer'
import {
  closeSync,
  createReadStream,
  fdatasyncSync,
  fsyncSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  writeSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PerformanceObserver, constants as perfConstants, performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'

import { COMMON, RARE, generateLog } from '../bin/lib/demo/generate.mjs'
import {
  addonSummary,
  benchDir,
  commandOutput,
  compileC,
  createDataFile,
  formatBytes,
  formatNs,
  formatNumber,
  lcgOffsets,
  machineInfo,
  median,
  parseSize,
  rotate,
  saveResult,
  snapshotAddon,
  textTable,
  warmPageCache,
} from './lib.mjs'
import { updateRegionLoop, writeSyncLoop } from './loops.mjs'

const { values: args } = parseArgs({
  options: {
    size: { type: 'string', default: '1G' },
    dir: { type: 'string', default: tmpdir() },
    rounds: { type: 'string', default: '5' },
    only: { type: 'string' },
    'no-save': { type: 'boolean', default: false },
  },
})
const size = parseSize(args.size)
const rounds = Number(args.rounds)
if (size < 1 << 20 || size % 4096 !== 0) throw new Error('--size must be at least 1M and a multiple of 4 KiB')
if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds must be a positive integer')
const GROUPS = ['chunks', 'durability', 'scans']
const ALIASES = { 3: 'chunks', 4: 'durability', 5: 'scans' }
const selected = args.only
  ? args.only.split(',').map((name) => {
      const group = ALIASES[name.trim()] ?? name.trim()
      if (!GROUPS.includes(group)) throw new Error(`--only takes ${GROUPS.join(', ')} (or 3, 4, 5), not ${name}`)
      return group
    })
  : GROUPS

const CHUNK = 1 << 20
const DURABLE_BYTES = 64 << 20
const ops = {
  write64: 100_000, // (a)
  syncedWrite64: 2_000, // (b)
  lock: 100_000,
  atomic: 1_000_000,
  jsAtomic: 10_000_000,
}
const seeds = { write64: 41, syncedWrite64: 42 }
/** Back-to-back repetitions per round of the fast scans (the round keeps the best). */
const FAST_REPS = 3
const GiB = 2 ** 30
/**
 * A 9-byte pattern the generator never writes, whose first 6 bytes begin the cache field of every
 * line ('cache=hit', 'cache=miss'): no match, but a candidate in every line. Informative, no target.
 */
const ABSENT = 'cache=bad'

// ---------------------------------------------------------------------------------------------
// Measurement plumbing

/** Group -> case id -> { id, label, samples (ns per round), windows (performance.now() spans measured) }. */
const groups = {}
function defineCase(group, id, label, extra = {}) {
  groups[group] ??= new Map()
  groups[group].set(id, { id, label, samples: [], windows: [], ...extra })
}
function record(group, id, ns) {
  groups[group].get(id).samples.push(ns)
}
function medianOf(group, id) {
  return median(groups[group].get(id).samples)
}

/** Runs `fn` `reps` times back to back (awaiting it if it returns a Promise); the best time and the last value. */
async function timeBest(reps, fn) {
  let best = Infinity
  let value
  for (let r = 0; r < reps; r++) {
    const start = process.hrtime.bigint()
    value = fn()
    if (value instanceof Promise) value = await value
    best = Math.min(best, Number(process.hrtime.bigint() - start))
  }
  return { ns: best, value }
}

/** Times `fn` into case `id` of `group` and checks its answer. */
async function measure(group, id, reps, expected, fn) {
  const from = performance.now()
  const { ns, value } = await timeBest(reps, fn)
  groups[group].get(id).windows.push([from, performance.now()])
  if (expected !== undefined && value !== expected) {
    throw new Error(`${group}/${id}: got ${value}, expected ${expected}`)
  }
  record(group, id, ns)
}

// Garbage collections, to see what they cost a case (PerformanceObserver 'gc' entries, which
// arrive asynchronously: read them once the group is done).
const gcEntries = []
const gcObserver = new PerformanceObserver((list) => gcEntries.push(...list.getEntries()))
gcObserver.observe({ entryTypes: ['gc'] })

/** Median over the rounds of the major (mark-compact) GCs, and of the ms spent in any GC, during case `id`. */
function gcsDuring(group, id) {
  const perRound = groups[group].get(id).windows.map(([from, to]) => {
    const inside = gcEntries.filter((entry) => entry.startTime >= from && entry.startTime < to)
    return {
      major: inside.filter((entry) => entry.detail?.kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR).length,
      ms: inside.reduce((sum, entry) => sum + entry.duration, 0),
    }
  })
  return { major: median(perRound.map((r) => r.major)), ms: median(perRound.map((r) => r.ms)) }
}

async function runRotated(runners, round) {
  for (const run of rotate(runners, round)) await run()
}

const gibPerSecond = (bytes, ns) => bytes / GiB / (ns / 1e9)
const ratio = (value) => `${value.toFixed(2)}x`
const opsPerSecond = (nsPerOp) => formatNumber(1e9 / nsPerOp)

/** The file system under `dir` (findmnt, else df), e.g. 'ext4 on /dev/vda'. */
function fileSystemOf(dir) {
  const found = commandOutput('findmnt', ['-n', '-o', 'FSTYPE,SOURCE,TARGET', '-T', dir])
  if (found) {
    const [type, source, target] = found.split(/\s+/)
    return { type, source, mountPoint: target }
  }
  const df = commandOutput('df', ['-T', '--output=fstype,source,target', dir])
  if (df) {
    const [type, source, target] = df.split('\n')[1].trim().split(/\s+/)
    return { type, source, mountPoint: target }
  }
  return { type: 'unknown', source: null, mountPoint: null }
}

// ---------------------------------------------------------------------------------------------
// The JS loops (one function per kind, so V8 keeps each call site monomorphic; updateRegionLoop and
// writeSyncLoop come from loops.mjs, shared with bench.mjs)

/** The one byte-summing loop of the chunks group, used by every implementation. */
function sumBytes(bytes, length) {
  let sum = 0
  for (let i = 0; i < length; i++) sum += bytes[i]
  return sum
}

function updateRegionFlushRangeLoop(file, data, offsets, n) {
  const length = data.length
  for (let i = 0; i < n; i++) {
    file.updateRegion(offsets[i], data)
    file.flushRange(offsets[i], length)
  }
  return n
}

function writeSyncFdatasyncLoop(fd, data, offsets, n) {
  const length = data.length
  for (let i = 0; i < n; i++) {
    writeSync(fd, data, 0, length, offsets[i])
    fdatasyncSync(fd)
  }
  return n
}

function lockLoop(file, n) {
  for (let i = 0; i < n; i++) {
    file.lock('exclusive')
    file.unlock()
  }
  return n
}

function tryLockLoop(file, n) {
  let taken = 0
  for (let i = 0; i < n; i++) {
    if (file.tryLock('exclusive')) taken++
    file.unlock()
  }
  return taken
}

function atomicAddU32Loop(file, n) {
  for (let i = 0; i < n; i++) file.atomicAddU32(0, 1)
  return n
}

function atomicAddU64Loop(file, n) {
  for (let i = 0; i < n; i++) file.atomicAddU64(8, 1n)
  return n
}

function jsAtomicsAddLoop(words, n) {
  for (let i = 0; i < n; i++) Atomics.add(words, 0, 1)
  return n
}

/** '\n' bytes with Buffer.indexOf(10) (a number: node's memchr path). */
function indexOfByteLines(windows) {
  let lines = 0
  for (const { view, end, start } of windows) {
    const stop = end - start
    for (let at = view.indexOf(10); at !== -1 && at < stop; at = view.indexOf(10, at + 1)) lines++
  }
  return lines
}

/** '\n' bytes with Buffer.indexOf('\n') (a string needle, as the issue words it). */
function indexOfStringLines(windows) {
  let lines = 0
  for (const { view, end, start } of windows) {
    const stop = end - start
    for (let at = view.indexOf('\n'); at !== -1 && at < stop; at = view.indexOf('\n', at + 1)) lines++
  }
  return lines
}

/** Non-overlapping matches of `pattern`, greedy from the left (the semantics of count). */
function indexOfCount(windows, pattern) {
  let count = 0
  let from = 0 // the first offset where a match may start (after the previous match)
  for (const { view, start, end } of windows) {
    for (
      let at = view.indexOf(pattern, Math.max(0, from - start));
      at !== -1 && start + at < end;
      at = view.indexOf(pattern, at + pattern.length)
    ) {
      count++
      from = start + at + pattern.length
    }
  }
  return count
}

/**
 * Zero-copy views of the whole mapping: one if it fits in a Buffer (buffer.constants.MAX_LENGTH),
 * else consecutive windows of MAX_LENGTH bytes, each extended by `overlap` bytes so a match that
 * starts in a window is seen whole (matches are counted in the window where they start).
 */
function mappingWindows(file, overlap) {
  const windows = []
  const max = bufferConstants.MAX_LENGTH - overlap
  for (let start = 0; start < file.length; start += max) {
    const end = Math.min(start + max, file.length)
    windows.push({ view: file.asBuffer(start, Math.min(end + overlap, file.length) - start), start, end })
  }
  return windows
}

// ---------------------------------------------------------------------------------------------
// Setup

const workDir = mkdtempSync(join(args.dir, 'mmapkit-features-'))
const buildDir = mkdtempSync(join(tmpdir(), 'mmapkit-features-c-')) // compiled binaries: never in the repo
const addon = snapshotAddon(workDir) // before loading index.js
const { MemoryMappedFile } = await import('../index.js')
const machine = machineInfo(addon)
const fileSystem = fileSystemOf(workDir)
const result = {
  benchmark: 'npm run bench:features (benchmark/features.mjs)',
  date: new Date().toISOString(),
  machine,
  options: { size, rounds, dir: args.dir, only: selected },
  fileSystem,
  groups: {},
  targets: [],
}

function buildReference() {
  const source = join(benchDir, 'features', 'count_newlines.c')
  const binary = join(buildDir, 'count_newlines')
  return compileC(source, binary, ['-O3', '-march=native', '-pthread'])
}

function printHeader() {
  console.log(`mmapkit feature benchmarks (issues 3, 4, 5): ${selected.join(', ')}; ${rounds} rounds`)
  console.log(`${machine.cpu}, ${machine.cores} cores, ${machine.kernel}, Node ${machine.node}`)
  console.log(`mmapkit ${machine.mmapkitCommit}; ${addonSummary(machine)}`)
  console.log(
    `data in ${workDir} (${fileSystem.type} on ${fileSystem.source}); load average ${machine.loadAverageAtStart}`,
  )
}

// ---------------------------------------------------------------------------------------------
// Issue 3: chunks

async function chunksGroup() {
  const g = 'chunks'
  const path = join(workDir, 'chunks.bin')
  console.log(`\n== chunks (issue 3): summing every byte of a warm ${formatBytes(size)} file in JS ==`)
  createDataFile(path, size) // synced, then read once: warm page cache
  const file = MemoryMappedFile.openRo(path)
  file.touchPages() // the mapping's page table too, as for a long-lived mapping
  const fd = openSync(path, 'r')
  const buffer = Buffer.allocUnsafe(CHUNK)

  const sums = {
    chunks: () => {
      let total = 0
      for (const chunk of file.chunks(CHUNK)) total += sumBytes(chunk, chunk.length)
      return total
    },
    readSync: () => {
      let total = 0
      for (let at = 0, got; at < size; at += got) {
        got = readSync(fd, buffer, 0, CHUNK, at)
        if (got === 0) break
        total += sumBytes(buffer, got)
      }
      return total
    },
    fsStream: async () => {
      let total = 0
      for await (const chunk of createReadStream(path, { highWaterMark: CHUNK })) total += sumBytes(chunk, chunk.length)
      return total
    },
    mmapStream: async () => {
      let total = 0
      for await (const chunk of file.createReadStream({ highWaterMark: CHUNK })) total += sumBytes(chunk, chunk.length)
      return total
    },
  }
  const transports = {
    chunks: () => {
      let bytes = 0
      for (const chunk of file.chunks(CHUNK)) bytes += chunk.length
      return bytes
    },
    readSync: () => {
      let bytes = 0
      for (let got; bytes < size; bytes += got) {
        got = readSync(fd, buffer, 0, CHUNK, bytes)
        if (got === 0) break
      }
      return bytes
    },
    fsStream: async () => {
      let bytes = 0
      for await (const chunk of createReadStream(path, { highWaterMark: CHUNK })) bytes += chunk.length
      return bytes
    },
    mmapStream: async () => {
      let bytes = 0
      for await (const chunk of file.createReadStream({ highWaterMark: CHUNK })) bytes += chunk.length
      return bytes
    },
  }
  const labels = {
    chunks: 'mmapkit file.chunks(1 MiB)',
    readSync: 'fs.readSync into a reused 1 MiB Buffer',
    fsStream: 'fs.createReadStream (highWaterMark 1 MiB)',
    mmapStream: 'mmapkit file.createReadStream (1 MiB)',
  }
  for (const [key, label] of Object.entries(labels)) {
    defineCase(g, `sum.${key}`, label)
    defineCase(g, `only.${key}`, label)
  }

  // Untimed: every way must see the same bytes (also the JIT warm-up).
  const expected = sums.chunks()
  for (const [key, fn] of Object.entries(sums)) {
    const value = await fn()
    if (value !== expected) throw new Error(`chunks: ${key} summed ${value}, chunks() summed ${expected}`)
    if ((await transports[key]()) !== size) throw new Error(`chunks: ${key} did not deliver ${size} bytes`)
  }
  console.log(`checked: all four see the same bytes (sum ${expected})`)

  for (let round = 0; round < rounds; round++) {
    const start = process.hrtime.bigint()
    await runRotated(
      Object.keys(sums).map((key) => () => measure(g, `sum.${key}`, 1, expected, sums[key])),
      round,
    )
    await runRotated(
      Object.keys(transports).map((key) => () => measure(g, `only.${key}`, 1, size, transports[key])),
      round,
    )
    console.log(`round ${round + 1}/${rounds} done in ${formatNs(Number(process.hrtime.bigint() - start))}`)
  }
  closeSync(fd)
  file.close()
  rmSync(path, { force: true })
  await new Promise((resolve) => setTimeout(resolve, 50)) // the last GC entries

  const chunksNs = medianOf(g, 'sum.chunks')
  const table = (prefix) =>
    Object.keys(labels).map((key) => {
      const ns = medianOf(g, `${prefix}.${key}`)
      const gcs = gcsDuring(g, `${prefix}.${key}`)
      return [
        labels[key],
        formatNs(ns),
        gibPerSecond(size, ns).toFixed(2),
        ratio(ns / medianOf(g, `${prefix}.chunks`)),
        String(gcs.major),
        `${gcs.ms.toFixed(1)} ms`,
      ]
    })
  const header = ['implementation', 'median', 'GiB/s', 'time / chunks', 'major GCs', 'in GC']
  console.log(`\nsum of every byte (the same JS loop for all), medians of ${rounds} rounds`)
  console.log(textTable(header, table('sum')))
  console.log('\nthe transport alone (no sum: views, copies or stream chunks only)')
  console.log(textTable(header, table('only')))
  result.groups.chunks = {
    fileBytes: size,
    chunkBytes: CHUNK,
    note: 'ns per pass over the whole file; sum.* sum every byte with sumBytes(), only.* get the bytes and do nothing',
    cases: caseResults(g, (ns, c) => {
      const gcs = gcsDuring(g, c.id)
      return { gibPerSecond: gibPerSecond(size, ns), majorGcs: gcs.major, gcMs: gcs.ms }
    }),
    ratios: {
      readSyncOverChunks: medianOf(g, 'sum.readSync') / chunksNs,
      fsStreamOverChunks: medianOf(g, 'sum.fsStream') / chunksNs,
      mmapStreamOverChunks: medianOf(g, 'sum.mmapStream') / chunksNs,
    },
  }
}

function caseResults(group, more = () => ({})) {
  return Object.fromEntries(
    [...groups[group].values()].map((c) => {
      const ns = median(c.samples)
      return [c.id, { label: c.label, median: ns, samples: c.samples, ...more(ns, c) }]
    }),
  )
}

// ---------------------------------------------------------------------------------------------
// Issue 4: durability, locks, atomics

/** Bytes written to the device `name` so far (/proc/diskstats, all processes), or null. */
function diskBytesWritten(name) {
  if (!name) return null
  try {
    const line = readFileSync('/proc/diskstats', 'utf8')
      .split('\n')
      .find((row) => row.trim().split(/\s+/)[2] === name)
    return line ? Number(line.trim().split(/\s+/)[9]) * 512 : null
  } catch {
    return null
  }
}

/**
 * The durability file, written in `writeBytes`-sized writes and synced. Linux 6.16+ caches ext4
 * files in large folios sized after the writes (and the read-ahead), and a write fault dirties a
 * whole folio, so what a small msync writes back depends on how the file got into the page cache.
 */
function createDurableFile(path, writeBytes) {
  if (writeBytes >= 8 << 20) return createDataFile(path, DURABLE_BYTES) // 8 MiB writes, then read back
  const block = Buffer.alloc(writeBytes)
  const fd = openSync(path, 'w')
  try {
    for (let at = 0; at < DURABLE_BYTES; at += writeBytes) {
      block.writeUInt32LE(at / writeBytes, 0)
      writeSync(fd, block, 0, writeBytes, at)
    }
    fdatasyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

async function durabilityGroup() {
  const g = 'durability'
  console.log(
    `\n== durability (issue 4): ${formatBytes(DURABLE_BYTES)} files on ${fileSystem.type} (${fileSystem.source}, mounted at ${fileSystem.mountPoint}) ==`,
  )
  if (['tmpfs', 'ramfs', 'devtmpfs'].includes(fileSystem.type)) {
    console.log(`WARNING: ${fileSystem.type} has no disk: msync and fsync do nothing there. Use --dir on a real disk.`)
  }
  const device = fileSystem.source?.startsWith('/dev/') ? fileSystem.source.slice(5) : null
  const hasDiskStats = diskBytesWritten(device) !== null
  const variants = [
    { key: 'large', writeBytes: 8 << 20, text: 'written in 8 MiB writes (large page-cache folios)' },
    { key: 'small', writeBytes: 4096, text: 'written in 4 KiB writes (4 KiB folios)' },
  ]
  const files = variants.map((variant) => {
    const path = join(workDir, `durable-${variant.key}.bin`)
    createDurableFile(path, variant.writeBytes) // synced: no writeback is pending when the timings start
    const file = MemoryMappedFile.openRw(path)
    file.touchPages()
    return { ...variant, path, file, fd: openSync(path, 'r+') }
  })
  const data = Buffer.alloc(64)
  const manyOffsets = lcgOffsets(ops.write64, DURABLE_BYTES, 64, 64, seeds.write64)
  const syncedOffsets = lcgOffsets(ops.syncedWrite64, DURABLE_BYTES, 64, 64, seeds.syncedWrite64)
  const pagesTouched = new Set(Array.from(manyOffsets, (offset) => Math.floor(offset / 4096))).size

  for (const { key } of variants) {
    for (const [id, label] of [
      ['a.mmap', '100k updateRegion + flush()'],
      ['a.fsync', '100k fs.writeSync + fs.fsyncSync'],
      ['a.fdatasync', '100k fs.writeSync + fs.fdatasyncSync'],
    ]) {
      defineCase(g, `${key}.${id}`, label)
      defineCase(g, `${key}.${id}.writes`, `${label}: the writes`)
      defineCase(g, `${key}.${id}.sync`, `${label}: the sync`)
    }
    defineCase(g, `${key}.b.mmap`, 'updateRegion + flushRange (per write)', { diskBytes: [] })
    defineCase(g, `${key}.b.fs`, 'fs.writeSync + fs.fdatasyncSync (per write)', { diskBytes: [] })
  }
  defineCase(g, 'c.lock', "lock('exclusive') + unlock()")
  defineCase(g, 'c.tryLock', "tryLock('exclusive') + unlock()")
  defineCase(g, 'd.atomicAddU32', 'mmapkit atomicAddU32')
  defineCase(g, 'd.atomicAddU64', 'mmapkit atomicAddU64 (BigInt)')
  defineCase(g, 'd.jsAtomics', 'Atomics.add on Int32Array(SharedArrayBuffer)')

  /** n writes then one sync, timed as writes / sync / total. */
  const writeThenSync = (id, writes, sync) => {
    const start = process.hrtime.bigint()
    writes()
    const synced = process.hrtime.bigint()
    sync()
    const end = process.hrtime.bigint()
    record(g, id, Number(end - start))
    record(g, `${id}.writes`, Number(synced - start))
    record(g, `${id}.sync`, Number(end - synced))
  }
  const perOp = (id, n, fn) => {
    const disk = diskBytesWritten(device)
    const start = process.hrtime.bigint()
    const value = fn()
    record(g, id, Number(process.hrtime.bigint() - start) / n)
    groups[g].get(id).diskBytes?.push(hasDiskStats ? (diskBytesWritten(device) - disk) / n : null)
    return value
  }

  const { file: main } = files[0]
  const words = new Int32Array(new SharedArrayBuffer(64))
  // Untimed warm-up of every loop (JIT), and checks.
  for (const { file, fd } of files) {
    updateRegionLoop(file, data, manyOffsets, 1000)
    file.flush()
    writeSyncLoop(fd, data, manyOffsets, 1000)
    fsyncSync(fd)
    updateRegionFlushRangeLoop(file, data, syncedOffsets, 50)
    writeSyncFdatasyncLoop(fd, data, syncedOffsets, 50)
  }
  lockLoop(main, 1000)
  if (tryLockLoop(main, 1000) !== 1000) throw new Error('tryLock failed without contention')
  const before32 = main.atomicLoadU32(0)
  atomicAddU32Loop(main, 1000)
  if (main.atomicLoadU32(0) !== (before32 + 1000) >>> 0) throw new Error('atomicAddU32 lost an add')
  atomicAddU64Loop(main, 1000)
  jsAtomicsAddLoop(words, 1000)
  main.flush()

  for (let round = 0; round < rounds; round++) {
    const start = process.hrtime.bigint()
    data.fill(round + 1) // new bytes each round
    for (const { key, file, fd } of rotate(files, round)) {
      await runRotated(
        [
          () =>
            writeThenSync(
              `${key}.a.mmap`,
              () => updateRegionLoop(file, data, manyOffsets, ops.write64),
              () => file.flush(),
            ),
          () =>
            writeThenSync(
              `${key}.a.fsync`,
              () => writeSyncLoop(fd, data, manyOffsets, ops.write64),
              () => fsyncSync(fd),
            ),
          () =>
            writeThenSync(
              `${key}.a.fdatasync`,
              () => writeSyncLoop(fd, data, manyOffsets, ops.write64),
              () => fdatasyncSync(fd),
            ),
        ],
        round,
      )
      await runRotated(
        [
          () =>
            perOp(`${key}.b.mmap`, ops.syncedWrite64, () =>
              updateRegionFlushRangeLoop(file, data, syncedOffsets, ops.syncedWrite64),
            ),
          () =>
            perOp(`${key}.b.fs`, ops.syncedWrite64, () =>
              writeSyncFdatasyncLoop(fd, data, syncedOffsets, ops.syncedWrite64),
            ),
        ],
        round,
      )
    }
    await runRotated(
      [
        () => perOp('c.lock', ops.lock, () => lockLoop(main, ops.lock)),
        () => perOp('c.tryLock', ops.lock, () => tryLockLoop(main, ops.lock)),
      ],
      round,
    )
    await runRotated(
      [
        () => perOp('d.atomicAddU32', ops.atomic, () => atomicAddU32Loop(main, ops.atomic)),
        () => perOp('d.atomicAddU64', ops.atomic, () => atomicAddU64Loop(main, ops.atomic)),
        () => perOp('d.jsAtomics', ops.jsAtomic, () => jsAtomicsAddLoop(words, ops.jsAtomic)),
      ],
      round,
    )
    main.flush() // the atomics' page, so that the next round starts clean
    console.log(`round ${round + 1}/${rounds} done in ${formatNs(Number(process.hrtime.bigint() - start))}`)
  }
  for (const { file, fd, path } of files) {
    closeSync(fd)
    file.close()
    rmSync(path, { force: true })
  }

  const m = (id) => medianOf(g, id)
  const diskPerOp = (id) => {
    const values = groups[g].get(id).diskBytes
    return hasDiskStats && values.length ? median(values) : null
  }
  console.log(
    `\n(a) ${formatNumber(ops.write64)} random 64-byte writes (${formatNumber(pagesTouched)} distinct 4 KiB pages of ${formatBytes(DURABLE_BYTES)}) + one sync; medians of ${rounds} rounds`,
  )
  console.log(
    textTable(
      ['file', 'implementation', 'total', 'writes', 'sync', 'total vs mmapkit'],
      files.flatMap(({ key, text }) =>
        ['a.mmap', 'a.fsync', 'a.fdatasync'].map((id, i) => [
          i === 0 ? text : '',
          groups[g].get(`${key}.${id}`).label,
          formatNs(m(`${key}.${id}`)),
          formatNs(m(`${key}.${id}.writes`)),
          formatNs(m(`${key}.${id}.sync`)),
          ratio(m(`${key}.${id}`) / m(`${key}.a.mmap`)),
        ]),
      ),
    ),
  )
  console.log(
    `\n(b) a durable 64-byte write (${formatNumber(ops.syncedWrite64)} per round)${hasDiskStats ? `; disk bytes per write from /proc/diskstats (${device}, whole machine)` : ''}`,
  )
  console.log(
    textTable(
      ['file', 'implementation', 'per write', 'writes/s', 'time vs mmapkit', 'disk bytes/write'],
      files.flatMap(({ key, text }) =>
        ['b.mmap', 'b.fs'].map((id, i) => [
          i === 0 ? text : '',
          groups[g].get(`${key}.${id}`).label,
          formatNs(m(`${key}.${id}`)),
          opsPerSecond(m(`${key}.${id}`)),
          ratio(m(`${key}.${id}`) / m(`${key}.b.mmap`)),
          diskPerOp(`${key}.${id}`) === null ? '' : formatBytes(diskPerOp(`${key}.${id}`)),
        ]),
      ),
    ),
  )
  console.log(`\n(c) uncontended file-lock round trips, (d) atomic adds (one process, one word)`)
  console.log(
    textTable(
      ['operation', 'per op', 'ops/s'],
      ['c.lock', 'c.tryLock', 'd.atomicAddU32', 'd.atomicAddU64', 'd.jsAtomics'].map((id) => [
        groups[g].get(id).label,
        formatNs(m(id)),
        opsPerSecond(m(id)),
      ]),
    ),
  )
  result.groups.durability = {
    fileBytes: DURABLE_BYTES,
    fileSystem,
    files: Object.fromEntries(variants.map(({ key, writeBytes, text }) => [key, { writeBytes, text }])),
    ops,
    seeds,
    distinctPagesWritten: pagesTouched,
    note: '<file>.a.*: ns for all writes + one sync (.writes, .sync: the two parts); <file>.b.*, c.*, d.*: ns per operation; diskBytes: bytes written to the device per operation, machine-wide',
    cases: caseResults(g, (ns, c) => ({
      ...(c.id.includes('.a.') ? {} : { opsPerSecond: 1e9 / ns }),
      ...(c.diskBytes && hasDiskStats ? { diskBytesPerOp: median(c.diskBytes) } : {}),
    })),
    ratios: Object.fromEntries([
      ...variants.flatMap(({ key }) => [
        [`${key}.fsyncOverMmapTotal`, m(`${key}.a.fsync`) / m(`${key}.a.mmap`)],
        [`${key}.fdatasyncOverMmapTotal`, m(`${key}.a.fdatasync`) / m(`${key}.a.mmap`)],
        [`${key}.perWriteFsOverMmap`, m(`${key}.b.fs`) / m(`${key}.b.mmap`)],
      ]),
      ['jsAtomicsOverAtomicAddU32', m('d.jsAtomics') / m('d.atomicAddU32')],
    ]),
  }
}

// ---------------------------------------------------------------------------------------------
// Issue 5: scans

async function scansGroup() {
  const g = 'scans'
  const path = join(workDir, 'log.txt')
  console.log(`\n== scans (issue 5): a warm ${formatBytes(size)} file of ~80-byte log lines ==`)
  const reference = buildReference()
  const wcVersion = commandOutput('wc', ['--version'])?.split('\n')[0] ?? 'wc'
  console.log(`C reference: ${reference.info.compiler}, ${reference.info.flags}; ${wcVersion}`)
  const generated = await generateLog(path, size, () => {})
  const bytes = generated.bytes
  warmPageCache(path, bytes)
  const file = MemoryMappedFile.openRo(path)
  file.touchPages() // the mapping's page table too (the C program maps with MAP_POPULATE)
  const lineWindows = mappingWindows(file, 0)
  const rare = Buffer.from(RARE)
  const absent = Buffer.from(ABSENT)
  const rareWindows = mappingWindows(file, rare.length - 1)
  console.log(
    `${formatNumber(generated.lines)} lines, ${formatBytes(bytes)}; "${RARE}" planted ${generated.planted} times; ${lineWindows.length} view(s) of the mapping`,
  )

  const cases = [
    ['countLines', `mmapkit countLines() (sync: all ${machine.cores} cores)`],
    ['countLinesAsync2', 'mmapkit countLinesAsync({ threads: 2 })'],
    ['countLinesAsync1', 'mmapkit countLinesAsync({ threads: 1 })'],
    ['openCountLines', 'mmapkit openRo + countLines() + close'],
    ['c2', 'C count loop, 2 pthreads (own mapping)'],
    ['c1', 'C count loop, 1 thread (own mapping)'],
    ['wcNet', 'wc -l FILE, minus start-up'],
    ['wc', 'wc -l FILE, spawned, end to end'],
    ['wcStartup', 'wc -l /dev/null (start-up)'],
    ['indexOfByte', 'JS Buffer.indexOf(10) loop over a view'],
    ['indexOfString', "JS Buffer.indexOf('\\n') loop over a view"],
    ['count', `mmapkit count('${RARE}') (all ${machine.cores} cores)`],
    ['count1', `mmapkit count('${RARE}', { threads: 1 })`],
    ['indexOfPattern', `JS Buffer.indexOf('${RARE}') loop over a view`],
    ['countAbsent', `mmapkit count('${ABSENT}') (all ${machine.cores} cores)`],
    ['indexOfAbsent', `JS Buffer.indexOf('${ABSENT}') loop over a view`],
  ]
  for (const [id, label] of cases) defineCase(g, id, label)

  const runC = () => {
    const run = spawnSync(reference.binary, [path, String(FAST_REPS), '2', '1'], { encoding: 'utf8' })
    if (run.status !== 0) throw new Error(`count_newlines failed (${run.status}): ${run.stderr}`)
    const out = JSON.parse(run.stdout)
    for (const r of out.runs) {
      if (r.lines !== generated.lines) throw new Error(`C counted ${r.lines} lines, not ${generated.lines}`)
    }
    return out
  }
  const wc = (file) => {
    const run = spawnSync('wc', ['-l', file], { encoding: 'utf8' })
    if (run.status !== 0) throw new Error(`wc failed: ${run.stderr}`)
    return Number(run.stdout.trim().split(/\s+/)[0])
  }

  const scans = {
    countLines: () => file.countLines(),
    countLinesAsync2: () => file.countLinesAsync({ threads: 2 }),
    countLinesAsync1: () => file.countLinesAsync({ threads: 1 }),
    openCountLines: () => {
      const fresh = MemoryMappedFile.openRo(path)
      try {
        return fresh.countLines()
      } finally {
        fresh.close()
      }
    },
    indexOfByte: () => indexOfByteLines(lineWindows),
    indexOfString: () => indexOfStringLines(lineWindows),
    count: () => file.count(rare),
    count1: () => file.count(rare, { threads: 1 }),
    indexOfPattern: () => indexOfCount(rareWindows, rare),
    countAbsent: () => file.count(absent),
    indexOfAbsent: () => indexOfCount(rareWindows, absent),
  }
  const expected = {
    countLines: generated.lines,
    countLinesAsync2: generated.lines,
    countLinesAsync1: generated.lines,
    openCountLines: generated.lines,
    indexOfByte: generated.lines,
    indexOfString: generated.lines,
    count: generated.planted,
    count1: generated.planted,
    indexOfPattern: generated.planted,
    countAbsent: 0,
    indexOfAbsent: 0,
  }
  const slow = new Set(['indexOfByte', 'indexOfString', 'indexOfPattern', 'indexOfAbsent'])

  // Untimed: every answer once (also the JIT warm-up and the C program's first run).
  for (const [id, fn] of Object.entries(scans)) {
    const value = await fn()
    if (value !== expected[id]) throw new Error(`scans/${id}: got ${value}, expected ${expected[id]}`)
  }
  if (wc(path) !== generated.lines) throw new Error('wc -l disagrees with the generator')
  const cFirst = runC()
  console.log(
    `checked: every count matches the generator (C: AVX2 ${cFirst.avx2}, MAP_POPULATE of the file took ${formatNs(cFirst.populateNs)})`,
  )

  for (let round = 0; round < rounds; round++) {
    const start = process.hrtime.bigint()
    const runners = Object.keys(scans).map(
      (id) => () => measure(g, id, slow.has(id) ? 1 : FAST_REPS, expected[id], scans[id]),
    )
    runners.push(() => {
      const out = runC()
      for (const r of out.runs) record(g, `c${r.threads}`, r.bestNs)
    })
    runners.push(async () => {
      const full = await timeBest(FAST_REPS, () => wc(path))
      const startup = await timeBest(FAST_REPS, () => wc('/dev/null'))
      if (full.value !== generated.lines) throw new Error(`wc -l counted ${full.value}`)
      record(g, 'wc', full.ns)
      record(g, 'wcStartup', startup.ns)
      record(g, 'wcNet', full.ns - startup.ns)
    })
    await runRotated(runners, round)
    console.log(`round ${round + 1}/${rounds} done in ${formatNs(Number(process.hrtime.bigint() - start))}`)
  }
  // How often the pattern's first byte occurs: a Buffer.indexOf(pattern) loop finds its candidates
  // with memchr on that byte, so its speed depends on it.
  const firstByteCount = file.countByte(rare[0])
  file.close()
  rmSync(path, { force: true })

  const m = (id) => medianOf(g, id)
  const lineIds = [
    'countLines',
    'countLinesAsync2',
    'countLinesAsync1',
    'openCountLines',
    'c2',
    'c1',
    'wcNet',
    'wc',
    'wcStartup',
    'indexOfByte',
    'indexOfString',
  ]
  console.log(
    `\nline count ('\\n' bytes), medians of ${rounds} rounds (each round: best of ${FAST_REPS} for all but the JS loops)`,
  )
  console.log(
    textTable(
      ['implementation', 'median', 'GiB/s', 'time / countLines'],
      lineIds.map((id) => [
        groups[g].get(id).label,
        formatNs(m(id)),
        id === 'wcStartup' ? '' : gibPerSecond(bytes, m(id)).toFixed(2),
        id === 'wcStartup' ? '' : ratio(m(id) / m('countLines')),
      ]),
    ),
  )
  console.log(
    `\nrare pattern ("${RARE}", ${generated.planted} matches; its first byte '${RARE[0]}' occurs ${formatNumber(firstByteCount)} times in the file)`,
  )
  console.log(
    textTable(
      ['implementation', 'median', 'GiB/s', 'time / count'],
      ['count', 'count1', 'indexOfPattern'].map((id) => [
        groups[g].get(id).label,
        formatNs(m(id)),
        gibPerSecond(bytes, m(id)).toFixed(2),
        ratio(m(id) / m('count')),
      ]),
    ),
  )
  console.log(
    `\nfor comparison, no target: an absent pattern ("${ABSENT}") that starts like the cache field of every line`,
  )
  console.log(
    textTable(
      ['implementation', 'median', 'GiB/s', 'time / count'],
      ['countAbsent', 'indexOfAbsent'].map((id) => [
        groups[g].get(id).label,
        formatNs(m(id)),
        gibPerSecond(bytes, m(id)).toFixed(2),
        ratio(m(id) / m('countAbsent')),
      ]),
    ),
  )

  // Issue 5's targets. countLines on 2 threads: the sync countLines() where the machine has 2 cores
  // (it uses all of them), else countLinesAsync({ threads: 2 }). The JS line-count baseline is the
  // faster of the two indexOf loops (the stricter comparison).
  const lines2 = machine.cores === 2 ? 'countLines' : 'countLinesAsync2'
  const jsLinesId = m('indexOfByte') <= m('indexOfString') ? 'indexOfByte' : 'indexOfString'
  const jsLinesName = groups[g].get(jsLinesId).label.replace(' over a view', '')
  const vsC = m(lines2) / m('c2')
  const vsJs = m(jsLinesId) / m(lines2)
  const vsWc = m('wcNet') / m(lines2)
  const vsPattern = m('indexOfPattern') / m('count')
  const targets = [
    {
      id: 'countLinesVsC',
      text: 'countLines (2 threads) within 1.5x of the C loop (2 threads)',
      measured: vsC,
      met: vsC <= 1.5,
      shown: `countLines / C = ${ratio(vsC)} (target <= 1.50x)`,
    },
    {
      id: 'countLinesVsIndexOf',
      text: 'countLines at least 5x faster than a Buffer.indexOf loop over the mapping',
      measured: vsJs,
      met: vsJs >= 5,
      shown: `${jsLinesName} / countLines = ${ratio(vsJs)} (target >= 5x)`,
    },
    {
      id: 'countLinesVsWc',
      text: 'countLines faster than wc -l',
      measured: vsWc,
      met: vsWc > 1,
      shown: `wc -l minus start-up / countLines = ${ratio(vsWc)}; end to end ${ratio(m('wc') / m(lines2))} (target > 1x)`,
    },
    {
      id: 'countVsIndexOf',
      text: 'count of a rare 9-byte pattern at least 1.5x faster than a Buffer.indexOf loop',
      measured: vsPattern,
      met: vsPattern >= 1.5,
      shown: `indexOf loop / count = ${ratio(vsPattern)} (target >= 1.5x)`,
    },
  ]
  console.log('\nissue 5 targets')
  console.log(
    textTable(
      ['target', 'result', 'measured'],
      targets.map((t) => [t.text, t.met ? 'MET' : 'MISSED', t.shown]),
    ),
  )
  result.targets = targets.map(({ id, text, measured, met }) => ({ id, text, measured, met }))
  result.groups.scans = {
    fileBytes: bytes,
    lines: generated.lines,
    pattern: RARE,
    absentPattern: ABSENT,
    planted: generated.planted,
    patternFirstByteCount: firstByteCount,
    common: { word: COMMON, lines: generated.common },
    repsPerRound: { fast: FAST_REPS, jsLoops: 1 },
    reference: { ...reference.info, avx2: cFirst.avx2, source: 'benchmark/features/count_newlines.c' },
    wc: wcVersion,
    views: lineWindows.length,
    note: 'ns for one scan of the whole file (per round: best of repsPerRound.fast, one run for the JS loops); wcNet = wc - wcStartup per round',
    cases: caseResults(g, (ns, c) => (c.id === 'wcStartup' ? {} : { gibPerSecond: gibPerSecond(bytes, ns) })),
    ratios: {
      countLinesOverC2: m('countLines') / m('c2'),
      countLinesOverC1: m('countLinesAsync1') / m('c1'),
      indexOfByteOverCountLines: m('indexOfByte') / m('countLines'),
      indexOfStringOverCountLines: m('indexOfString') / m('countLines'),
      wcNetOverCountLines: m('wcNet') / m('countLines'),
      wcOverCountLines: m('wc') / m('countLines'),
      indexOfPatternOverCount: m('indexOfPattern') / m('count'),
      indexOfAbsentOverCountAbsent: m('indexOfAbsent') / m('countAbsent'),
      c1OverC2: m('c1') / m('c2'),
    },
  }
}

// ---------------------------------------------------------------------------------------------

try {
  printHeader()
  if (selected.includes('chunks')) await chunksGroup()
  if (selected.includes('durability')) await durabilityGroup()
  if (selected.includes('scans')) await scansGroup()
  if (!args['no-save']) {
    console.log(`\nwrote ${await saveResult(result, 'features-')}`)
  }
} finally {
  gcObserver.disconnect()
  rmSync(workDir, { recursive: true, force: true })
  rmSync(buildDir, { recursive: true, force: true })
}
