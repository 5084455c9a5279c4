#!/usr/bin/env node
// `npm run bench`: mmapkit against node:fs, JS views and C, side by side, in one run.
//
//   node benchmark/bench.mjs [--size 1G] [--write-size 256M] [--dir /tmp] [--rounds 7] [--no-save]
//
// Files: a --size data file for the reads (deterministic bytes written in 8 MiB writes, synced to
// disk, read once so the page cache is warm; the mapping warmed with advise('willNeed') and one
// readInto pass over every page), and a --write-size file for the 64-byte writes, written in 4 KiB
// writes (so the page cache holds it in 4 KiB folios: fs.writeSync at its fastest; into large
// folios it is several times slower, see features.mjs's durability group).
//
// THE METHOD (one place for the whole suite; features.mjs and peers/run.mjs follow it):
// - Rounds, interleaved: every case runs once per round, the cases of a group back to back in an
//   order that rotates from round to round (rotate() in lib.mjs), so a compared pair always sees
//   the same machine load. A case's result is the median of its per-round samples; a ratio is
//   taken between two medians of the same run.
// - Operations of ~10 ns to a few µs (4 KiB and 8-byte reads, 64-byte writes) are timed by
//   hand-rolled loops (loops.mjs): one process.hrtime.bigint() pair around the whole loop of
//   100k-1M calls, divided by the count; one loop function per case, so V8 keeps each call site
//   monomorphic. A harness that times each call (tinybench) adds tens of ns of timer and
//   bookkeeping to a ~100 ns call; a batching one (mitata) would do what these loops do.
// - Operations of several µs (open + close, open + map + asBuffer of the whole file) use tinybench
//   (per-call samples, its median), with the hrtime timestamp provider.
// - fs.readFileSync of the whole file takes a large fraction of a second: timed once per round.
// - Random offsets: a seeded 32-bit LCG (lcgOffsets in lib.mjs), the same sequence in the C
//   references (peers/ref.c, peers/write_ref.c). Every reader's bytes are checked against the
//   others', and the C program's offsets against the JS ones (a checksum).
// - The C reference of the writes (peers/write_ref.c, gcc -O2) runs as a child process once per
//   round, in its place in the rotation; it maps the file itself (MAP_SHARED) and times memcpy.
// - Clean pages: after fdatasync (every page written back, its page-table entry write-protected,
//   so the first write to each page faults); dirty pages: a second pass over the same offsets.
//
// Results go to benchmark/results/<date>-<commit>.json; report.mjs prints the README's tables.
import { spawnSync } from 'node:child_process'
import { closeSync, fdatasyncSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs'
import { constants as bufferConstants } from 'node:buffer'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

import { Bench } from 'tinybench'

import {
  getterLoop,
  readIntoLoop,
  readSyncLoop,
  segmentReadIntoLoop,
  segmentUpdateRegionLoop,
  updateRegionLoop,
  viewCopyLoop,
  viewWriteLoop,
  windowCopyLoop,
  writeSyncLoop,
} from './loops.mjs'
import {
  addonSummary,
  benchDir,
  compileC,
  createDataFile,
  formatBytes,
  formatNs,
  formatNumber,
  formatRatio,
  lcgOffsets,
  machineInfo,
  median,
  offsetsChecksum,
  parseSize,
  rotate,
  rss,
  saveResult,
  snapshotAddon,
  textTable,
} from './lib.mjs'

const { values: args } = parseArgs({
  options: {
    size: { type: 'string', default: '1G' },
    'write-size': { type: 'string', default: '256M' },
    dir: { type: 'string', default: tmpdir() },
    rounds: { type: 'string', default: '7' },
    'no-save': { type: 'boolean', default: false },
  },
})
const size = parseSize(args.size)
const writeSize = parseSize(args['write-size'])
const rounds = Number(args.rounds)
if (size < 1 << 20 || size % 4096 !== 0) throw new Error('--size must be at least 1M and a multiple of 4 KiB')
if (writeSize < 1 << 20 || writeSize % 4096 !== 0) {
  throw new Error('--write-size must be at least 1M and a multiple of 4 KiB')
}
if (writeSize > bufferConstants.MAX_LENGTH) throw new Error('--write-size must be at most buffer.constants.MAX_LENGTH')
if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds must be a positive integer')

// A real gc() (to free fs.readFileSync's buffer between rounds) without needing --expose-gc.
setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc')

/** Operations per sample (one sample per case and round). */
const ops = {
  read4k: 100_000,
  read8Hot: 1_000_000,
  read8HotFs: 200_000,
  read8Random: 500_000,
  read8RandomFs: 200_000,
  write64: 100_000,
}
const seeds = { read4k: 1, read8Hot: 2, read8Random: 3, write64: 4 }
const hotWindow = 64 << 10 // 8-byte reads "hot": offsets inside the first 64 KiB (cache-resident)

function now() {
  return process.hrtime.bigint()
}

// ---------------------------------------------------------------------------------------------
// Results.

let sink = 0 // bytes read outside the timed loops go here, so no read can be optimised away
const cases = new Map()
function defineCase(id, group, label, { unit = 'ns/op', baseline = null } = {}) {
  cases.set(id, { id, group, label, unit, baseline, samples: [] })
}
function record(id, value) {
  cases.get(id).samples.push(value)
}
/** Times `fn()` (which performs `n` operations) and records ns per operation; returns fn's value. */
function timed(id, n, fn) {
  const start = now()
  const value = fn()
  record(id, Number(now() - start) / n)
  return value
}

defineCase('read4k.readInto', 'random 4 KiB read', 'mmapkit readInto', { baseline: 'read4k.readSync' })
defineCase('read4k.viewCopy', 'random 4 KiB read', 'asBuffer() view.copy (JS)', { baseline: 'read4k.readSync' })
defineCase('read4k.readSync', 'random 4 KiB read', 'node:fs readSync')
defineCase('read8hot.readInto', '8-byte read, hot 64 KiB', 'mmapkit readInto', { baseline: 'read8hot.readSync' })
defineCase('read8hot.viewCopy', '8-byte read, hot 64 KiB', 'asBuffer() view.copy (JS)', {
  baseline: 'read8hot.readSync',
})
defineCase('read8hot.segment', '8-byte read, hot 64 KiB', 'mmapkit segment.readInto', {
  baseline: 'read8hot.readSync',
})
defineCase('read8hot.getter', '8-byte read, hot 64 KiB', 'mmapkit .length getter (napi-rs getter)', {
  baseline: 'read8hot.readSync',
})
defineCase('read8hot.readSync', '8-byte read, hot 64 KiB', 'node:fs readSync')
defineCase('read8rand.readInto', '8-byte read, random', 'mmapkit readInto', { baseline: 'read8rand.readSync' })
defineCase('read8rand.viewCopy', '8-byte read, random', 'asBuffer() view.copy (JS)', {
  baseline: 'read8rand.readSync',
})
defineCase('read8rand.segment', '8-byte read, random', 'mmapkit segment.readInto', {
  baseline: 'read8rand.readSync',
})
defineCase('read8rand.readSync', '8-byte read, random', 'node:fs readSync')
const dirty = 'random 64 B write, dirty pages'
const clean = 'random 64 B write, clean pages'
defineCase('write64.updateRegion', dirty, 'mmapkit updateRegion (readWrite)', { baseline: 'write64.writeSync' })
defineCase('write64.segment', dirty, 'mmapkit segment.updateRegion', { baseline: 'write64.writeSync' })
defineCase('write64.viewWrite', dirty, 'asBuffer() data.copy(view, offset) (JS)', { baseline: 'write64.writeSync' })
defineCase('write64.c', dirty, 'C memcpy into MAP_SHARED (gcc -O2)', { baseline: 'write64.writeSync' })
defineCase('write64.writeSync', dirty, 'node:fs writeSync')
defineCase('write64clean.updateRegion', clean, 'mmapkit updateRegion (readWrite)', {
  baseline: 'write64clean.writeSync',
})
defineCase('write64clean.viewWrite', clean, 'asBuffer() data.copy(view, offset) (JS)', {
  baseline: 'write64clean.writeSync',
})
defineCase('write64clean.c', clean, 'C memcpy into MAP_SHARED (gcc -O2)', { baseline: 'write64clean.writeSync' })
defineCase('write64clean.writeSync', clean, 'node:fs writeSync')
defineCase('openClose.mmapkit', 'open + close', 'mmapkit openRo + close', { baseline: 'openClose.fs' })
defineCase('openClose.fs', 'open + close', 'node:fs openSync + closeSync')
defineCase('whole.asBuffer', 'whole file', 'mmapkit openRo + asBuffer()', { baseline: 'whole.readFileSync' })
defineCase('whole.readFileSync', 'whole file', 'node:fs readFileSync')
defineCase('rss.asBuffer', 'whole file', 'RssAnon added: openRo + asBuffer()', { unit: 'bytes' })
defineCase('rss.asBufferTouched', 'whole file', 'RssAnon added: ... + read every page', { unit: 'bytes' })
defineCase('rssFile.asBufferTouched', 'whole file', 'RssFile added: ... + read every page', { unit: 'bytes' })
defineCase('rss.readFileSync', 'whole file', 'RssAnon added: readFileSync', { unit: 'bytes' })

// ---------------------------------------------------------------------------------------------

const workDir = mkdtempSync(join(args.dir, 'mmapkit-bench-'))
const addon = snapshotAddon(workDir) // before loading index.js
const { MemoryMappedFile, pageSize } = await import('../index.js')
const machine = machineInfo(addon)
const path = join(workDir, 'data.bin')
const writePath = join(workDir, 'write.bin')
const writeRef = compileC(join(benchDir, 'peers', 'write_ref.c'), join(workDir, 'write_ref'), ['-O2'])
const cleanup = () => rmSync(workDir, { recursive: true, force: true })
process.on('SIGINT', () => {
  cleanup()
  process.exit(130)
})

try {
  console.log(
    `mmapkit benchmark: ${formatBytes(size)} file (reads) and ${formatBytes(writeSize)} file (writes) in ${workDir}, ${rounds} rounds`,
  )
  console.log(`${machine.cpu}, ${machine.cores} cores, ${formatBytes(machine.memoryBytes)}, ${machine.kernel}`)
  console.log(`Node ${machine.node}, mmapkit ${machine.mmapkitCommit}, load ${machine.loadAverageAtStart.join(' ')}`)
  console.log(`${addonSummary(machine)}\n`)

  let start = now()
  createDataFile(path, size)
  createDataFile(writePath, writeSize, { writeBytes: 4096 })
  console.log(`generated, synced and read the files in ${formatNs(Number(now() - start))}`)

  const offsets4k = lcgOffsets(ops.read4k, size, 4096, 4096, seeds.read4k)
  const offsets8Hot = lcgOffsets(ops.read8Hot, hotWindow, 8, 8, seeds.read8Hot)
  const offsets8Random = lcgOffsets(ops.read8Random, size, 8, 8, seeds.read8Random)
  const offsets64 = lcgOffsets(ops.write64, writeSize, 64, 64, seeds.write64)

  // The reading side: one readOnly mapping, its views and one fd.
  start = now()
  const file = MemoryMappedFile.openRo(path)
  file.advise('willNeed')
  const warm = Buffer.alloc(1 << 20)
  for (let at = 0; at < size; at += warm.length) file.readInto(at, warm.subarray(0, Math.min(warm.length, size - at)))
  const windowBytes = size <= bufferConstants.MAX_LENGTH ? size : 2 ** 30
  const views = []
  // The first view of the whole file in this process is timed on its own: V8 counts a view's
  // bytes as external memory, and the first large one starts a garbage collection.
  const firstViewStart = now()
  for (let at = 0; at < size; at += windowBytes) views.push(file.asBuffer(at, Math.min(windowBytes, size - at)))
  const firstViewNs = Number(now() - firstViewStart)
  console.log(
    `mapped and touched every page (${size / pageSize()} pages of ${pageSize()} B) in ${formatNs(Number(now() - start))}`,
  )
  const copyLoop =
    views.length === 1
      ? (target, offsets, n) => viewCopyLoop(views[0], target, offsets, n)
      : (target, offsets, n) => windowCopyLoop(views, windowBytes, target, offsets, n)
  const fd = openSync(path, 'r')
  const block = Buffer.alloc(4096)
  const word = Buffer.alloc(8)
  // A segment over the whole file: the same offsets mean the same bytes.
  const segment = file.segment(0, size)

  // The writing side: a readWrite mapping, a segment and a view of it, and an r+ fd of the file.
  const writer = MemoryMappedFile.openRw(writePath)
  const writerSegment = writer.segment(0, writeSize)
  const writerView = writer.asBuffer()
  const writeFd = openSync(writePath, 'r+')
  const data64 = Buffer.alloc(64, 0x5a) // write_ref.c writes 0x5a bytes too
  const runC = () => {
    const run = spawnSync(writeRef.binary, [writePath, ops.write64, 64, seeds.write64].map(String), {
      encoding: 'utf8',
    })
    if (run.status !== 0) throw new Error(`write_ref failed (${run.status}): ${run.stderr}`)
    return JSON.parse(run.stdout)
  }

  // JIT warm-up of every loop, and a check that all readers see the same bytes.
  const check = (name, a, b) => {
    if (a !== b) throw new Error(`${name}: readers disagree (${a} vs ${b}); the benchmark is broken`)
  }
  check('4 KiB', readIntoLoop(file, block, offsets4k, 20_000), readSyncLoop(fd, block, offsets4k, 20_000))
  check('4 KiB view', readIntoLoop(file, block, offsets4k, 20_000), copyLoop(block, offsets4k, 20_000))
  check('8 B', readIntoLoop(file, word, offsets8Random, 20_000), readSyncLoop(fd, word, offsets8Random, 20_000))
  check('8 B view', readIntoLoop(file, word, offsets8Hot, 20_000), copyLoop(word, offsets8Hot, 20_000))
  check(
    '8 B segment',
    readIntoLoop(file, word, offsets8Random, 20_000),
    segmentReadIntoLoop(segment, word, offsets8Random, 20_000),
  )
  segmentReadIntoLoop(segment, word, offsets8Hot, 20_000)
  getterLoop(file, 100_000)
  // Every write offset once (so every page is in the mapping's page table), then JIT warm-up.
  updateRegionLoop(writer, data64, offsets64, ops.write64)
  segmentUpdateRegionLoop(writerSegment, data64, offsets64, 20_000)
  viewWriteLoop(writerView, data64, offsets64, 20_000)
  writeSyncLoop(writeFd, data64, offsets64, 5_000)
  const cCheck = runC()
  if (cCheck.offsetsChecksum !== offsetsChecksum(offsets64, 64)) {
    throw new Error(`write_ref wrote at other offsets than JS (${JSON.stringify(cCheck)})`)
  }
  const written = Buffer.alloc(64)
  for (const offset of offsets64.subarray(0, 1000)) {
    if (
      !writer.read(offset, 64).equals(data64) ||
      (readSyncLoop(writeFd, written, [offset], 1), !written.equals(data64))
    ) {
      throw new Error(`the writers did not write the same bytes at ${offset}`)
    }
  }

  // tinybench, for the µs-scale cases.
  let mapped = null
  const bench = new Bench({ time: 250, warmupTime: 50, timestampProvider: 'hrtimeNow' })
  bench.add('openClose.mmapkit', () => MemoryMappedFile.openRo(path).close())
  bench.add('openClose.fs', () => closeSync(openSync(path, 'r')))
  bench.add(
    'whole.asBuffer',
    () => {
      mapped = MemoryMappedFile.openRo(path)
      return mapped.asBuffer().length
    },
    { afterEach: () => mapped.close() }, // close() is not part of the measurement
  )

  for (let round = 0; round < rounds; round++) {
    const roundStart = now()
    for (const run of rotate(
      [
        () => timed('read4k.readInto', ops.read4k, () => readIntoLoop(file, block, offsets4k, ops.read4k)),
        () => timed('read4k.readSync', ops.read4k, () => readSyncLoop(fd, block, offsets4k, ops.read4k)),
        () => timed('read4k.viewCopy', ops.read4k, () => copyLoop(block, offsets4k, ops.read4k)),
      ],
      round,
    ))
      run()

    for (const run of rotate(
      [
        () => timed('read8hot.readInto', ops.read8Hot, () => readIntoLoop(file, word, offsets8Hot, ops.read8Hot)),
        () => timed('read8hot.readSync', ops.read8HotFs, () => readSyncLoop(fd, word, offsets8Hot, ops.read8HotFs)),
        () => timed('read8hot.viewCopy', ops.read8Hot, () => copyLoop(word, offsets8Hot, ops.read8Hot)),
        () => timed('read8hot.getter', ops.read8Hot, () => getterLoop(file, ops.read8Hot)),
        () =>
          timed('read8hot.segment', ops.read8Hot, () => segmentReadIntoLoop(segment, word, offsets8Hot, ops.read8Hot)),
      ],
      round,
    ))
      run()

    for (const run of rotate(
      [
        () =>
          timed('read8rand.readInto', ops.read8Random, () => readIntoLoop(file, word, offsets8Random, ops.read8Random)),
        () => timed('read8rand.viewCopy', ops.read8Random, () => copyLoop(word, offsets8Random, ops.read8Random)),
        () =>
          timed('read8rand.segment', ops.read8Random, () =>
            segmentReadIntoLoop(segment, word, offsets8Random, ops.read8Random),
          ),
        () =>
          timed('read8rand.readSync', ops.read8RandomFs, () =>
            readSyncLoop(fd, word, offsets8Random, ops.read8RandomFs),
          ),
      ],
      round,
    ))
      run()

    // Writes on clean pages: fdatasync makes every page clean and write-protects the mapping's
    // page-table entries, so a pass measures "first write to a clean page" (for a mapping: a page
    // fault per page). The C program does the same in its own mapping (and times a dirty pass).
    const n = ops.write64
    let c = null
    const cleanPass = (id, loop) => () => {
      fdatasyncSync(writeFd)
      timed(id, n, loop)
    }
    for (const run of rotate(
      [
        cleanPass('write64clean.updateRegion', () => updateRegionLoop(writer, data64, offsets64, n)),
        cleanPass('write64clean.viewWrite', () => viewWriteLoop(writerView, data64, offsets64, n)),
        cleanPass('write64clean.writeSync', () => writeSyncLoop(writeFd, data64, offsets64, n)),
        () => {
          c = runC() // it fdatasyncs first itself
          record('write64clean.c', c.cleanNsPerOp)
          record('write64.c', c.dirtyNsPerOp)
        },
      ],
      round,
    ))
      run()
    // Writes on dirty pages (one untimed pass first, so every page written to is dirty).
    updateRegionLoop(writer, data64, offsets64, n)
    for (const run of rotate(
      [
        () => timed('write64.updateRegion', n, () => updateRegionLoop(writer, data64, offsets64, n)),
        () => timed('write64.segment', n, () => segmentUpdateRegionLoop(writerSegment, data64, offsets64, n)),
        () => timed('write64.viewWrite', n, () => viewWriteLoop(writerView, data64, offsets64, n)),
        () => timed('write64.writeSync', n, () => writeSyncLoop(writeFd, data64, offsets64, n)),
      ],
      round,
    ))
      run()
    fdatasyncSync(writeFd) // leave no dirty pages (and no writeback) for the next cases

    // open + close, open + map + view: tinybench medians (ms -> ns).
    bench.reset()
    bench.runSync()
    for (const task of bench.tasks) {
      if (task.result.state !== 'completed') throw task.result.error ?? new Error(`${task.name}: ${task.result.state}`)
      record(task.name, task.result.latency.p50 * 1e6)
    }

    // Anonymous memory a whole-file view costs, against reading the file into a Buffer.
    gc()
    let before = rss()
    const whole = MemoryMappedFile.openRo(path)
    const view = whole.asBuffer()
    let after = rss()
    record('rss.asBuffer', after.anon - before.anon)
    for (let at = 0; at < view.length; at += 4096) sink += view[at]
    const touched = rss()
    record('rss.asBufferTouched', touched.anon - before.anon)
    record('rssFile.asBufferTouched', touched.file - before.file)
    whole.close()

    gc()
    before = rss()
    start = now()
    let copy = readFileSync(path)
    record('whole.readFileSync', Number(now() - start))
    after = rss()
    record('rss.readFileSync', after.anon - before.anon)
    sink += copy[0]
    copy = null
    gc()

    console.log(`round ${round + 1}/${rounds} done in ${formatNs(Number(now() - roundStart))}`)
  }

  closeSync(fd)
  closeSync(writeFd)
  writer.close()
  file.close()

  // -------------------------------------------------------------------------------------------
  // Report.

  const medians = Object.fromEntries([...cases.values()].map((c) => [c.id, median(c.samples)]))
  const ratio = (id) => {
    const baseline = cases.get(id).baseline
    return baseline ? medians[baseline] / medians[id] : null
  }

  const rows = []
  let lastGroup = null
  for (const c of cases.values()) {
    const value = medians[c.id]
    const group = c.group === lastGroup ? '' : c.group
    lastGroup = c.group
    if (c.unit === 'bytes') {
      rows.push([group, c.label, formatBytes(value), '', '', ''])
      continue
    }
    const r = ratio(c.id)
    const spread = `${formatNs(Math.min(...c.samples))} - ${formatNs(Math.max(...c.samples))}`
    rows.push([
      group,
      c.label,
      formatNs(value),
      `${formatNumber(1e9 / value)}`,
      r === null ? '(baseline)' : formatRatio(r),
      spread,
    ])
  }
  console.log(`\nmedians of ${rounds} rounds (ratio = node:fs time / this time; above 1x = faster than node:fs)\n`)
  console.log(textTable(['group', 'case', 'median', 'ops/s', 'vs node:fs', 'min - max of rounds'], rows))

  // A ratio of two cases: of their medians (the target's measure), and the median of the ratios
  // within each round (the two cases ran back to back, so a busy moment slows both: steadier on a
  // loaded machine).
  const pair = (a, b) => {
    const [x, y] = [cases.get(a).samples, cases.get(b).samples]
    return { measured: medians[a] / medians[b], perRoundMedian: median(x.map((value, i) => value / y[i])) }
  }
  const targets = [
    {
      issue: 10,
      target: 'random 8-byte readInto: >= 0.95x the speed of view.copy from a mapped view',
      ...pair('read8rand.viewCopy', 'read8rand.readInto'),
      unit: 'x',
      pass: (v) => v >= 0.95,
    },
    {
      issue: 10,
      target: 'random 4 KiB readInto: >= 0.95x the speed of view.copy from a mapped view',
      ...pair('read4k.viewCopy', 'read4k.readInto'),
      unit: 'x',
      pass: (v) => v >= 0.95,
    },
    {
      issue: 10,
      target: 'segment.readInto (8 B, hot): time within 1.2x of file.readInto',
      ...pair('read8hot.segment', 'read8hot.readInto'),
      unit: 'x time',
      pass: (v) => v <= 1.2,
    },
    {
      issue: 10,
      target: 'segment.readInto (8 B, random): time within 1.2x of file.readInto',
      ...pair('read8rand.segment', 'read8rand.readInto'),
      unit: 'x time',
      pass: (v) => v <= 1.2,
    },
    {
      issue: 10,
      target: 'segment.updateRegion (64 B, dirty): time within 1.2x of file.updateRegion',
      ...pair('write64.segment', 'write64.updateRegion'),
      unit: 'x time',
      pass: (v) => v <= 1.2,
    },
    {
      issue: 10,
      target: '64 B updateRegion, clean pages: time within 1.3x of C memcpy into MAP_SHARED',
      ...pair('write64clean.updateRegion', 'write64clean.c'),
      unit: 'x time',
      pass: (v) => v <= 1.3,
    },
    {
      issue: 10,
      target: '64 B updateRegion, dirty pages: >= 5x the speed of fs.writeSync',
      ...pair('write64.writeSync', 'write64.updateRegion'),
      unit: 'x',
      pass: (v) => v >= 5,
    },
    {
      issue: 10,
      target: '64 B updateRegion, dirty pages: time within 1.5x of JS data.copy(view, offset)',
      ...pair('write64.updateRegion', 'write64.viewWrite'),
      unit: 'x time',
      pass: (v) => v <= 1.5,
    },
    {
      issue: 6,
      target: 'random 4 KiB readInto: >= 3x the ops/s of fs.readSync',
      ...pair('read4k.readSync', 'read4k.readInto'),
      unit: 'x',
      pass: (v) => v >= 3,
    },
    {
      issue: 6,
      target: 'random 4 KiB readInto: faster than view.copy out of a mapped Buffer',
      ...pair('read4k.viewCopy', 'read4k.readInto'),
      unit: 'x',
      pass: (v) => v > 1,
    },
    {
      issue: 6,
      target: '8-byte readInto (hot): < 150 ns per call',
      measured: medians['read8hot.readInto'],
      unit: 'ns',
      pass: (v) => v < 150,
    },
    {
      issue: 6,
      target: '64-byte updateRegion (dirty pages): >= 10x fs.writeSync',
      ...pair('write64.writeSync', 'write64.updateRegion'),
      unit: 'x',
      pass: (v) => v >= 10,
    },
    {
      issue: 6,
      target: `map ${formatBytes(size)} + asBuffer(): < 0.1 ms`,
      measured: medians['whole.asBuffer'] / 1e6,
      unit: 'ms',
      pass: (v) => v < 0.1,
    },
    {
      issue: 6,
      target: `map ${formatBytes(size)} + asBuffer(): < 1 MiB anonymous RSS`,
      measured: medians['rss.asBuffer'] / 2 ** 20,
      unit: 'MiB',
      pass: (v) => v < 1,
    },
  ].map(({ pass, ...t }) => ({ ...t, met: pass(t.measured) }))

  console.log(
    `\nnot in the table: the first asBuffer() of the whole file in this process took ${formatNs(firstViewNs)}` +
      ' (the table shows the median of many open + asBuffer calls)',
  )

  console.log('\ntargets ("x": speed ratio, higher is better; "x time": time ratio, lower is better)')
  for (const t of targets) {
    const shown = t.unit.startsWith('x') ? `${t.measured.toFixed(2)}${t.unit}` : `${formatNumber(t.measured)} ${t.unit}`
    const perRound = t.perRoundMedian === undefined ? '' : ` (per-round median ${t.perRoundMedian.toFixed(2)}x)`
    console.log(`  ${t.met ? 'PASS' : 'MISS'}  issue ${t.issue}: ${t.target.padEnd(82)} measured ${shown}${perRound}`)
  }

  if (!args['no-save']) {
    const result = {
      benchmark: 'npm run bench (benchmark/bench.mjs)',
      date: new Date().toISOString(),
      machine,
      fileSize: size,
      writeFileSize: writeSize,
      writeFileWrittenIn: 4096,
      pageSize: pageSize(),
      rounds,
      opsPerSample: ops,
      seeds,
      cReference: { source: 'benchmark/peers/write_ref.c', ...writeRef.info },
      hotWindowBytes: hotWindow,
      firstWholeFileViewNs: firstViewNs,
      note: 'time cases: ns per operation (whole.*: per call); rss cases: bytes; ratio = baseline median / case median',
      cases: Object.fromEntries(
        [...cases.values()].map((c) => [
          c.id,
          {
            group: c.group,
            label: c.label,
            unit: c.unit,
            median: medians[c.id],
            ratioVsFs: ratio(c.id),
            samples: c.samples,
          },
        ]),
      ),
      targets,
    }
    console.log(`\nwrote ${await saveResult(result)}`)
  }
} finally {
  cleanup()
}
