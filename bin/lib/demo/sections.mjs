// The measurements of `mmapkit demo`, one function per part of its table. Each returns rows and
// checks every answer against what the generator wrote (a mismatch goes to `setup.problems`).
import { spawnSync } from 'node:child_process'
import { constants } from 'node:buffer'
import { closeSync, openSync, readSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

import { MemoryMappedFile, pageSize } from '../../../index.js'
import { formatBytes, formatCount, formatRatio, formatSpeedup } from '../format.mjs'
import { evictFromPageCache, residentPages } from '../pagecache.mjs'
import { COMMON, RARE } from './generate.mjs'
import {
  indexOfCountMapped,
  indexOfLines,
  indexOfLinesMapped,
  median,
  randomBlockOffsets,
  readAndCount,
} from './measure.mjs'

/**
 * One row of the table. `ms` and `bytes` (bytes processed in `ms`) fill the time and throughput
 * columns; rows without `ms` leave them empty.
 * @typedef {object} Row
 * @property {string} measurement what the row measures
 * @property {number} [ms] median time
 * @property {number} [bytes]
 * @property {string} result
 * @property {string} note
 */

/**
 * @typedef {object} Setup
 * @property {string} path
 * @property {import('./generate.mjs').Generated} generated
 * @property {number} threads for the parallel rows
 * @property {string[]} problems answers that differ from what was written
 * @property {(label: string) => void} status shows the step being measured (on a terminal)
 * @property {string[]} footnotes lines printed under the table
 */

/** Runs per measurement (the median is reported): cheap native scans, then JS loops and reads. */
const RUNS = 7
const SLOW_RUNS = 3
const RANDOM_READS = 200_000

/** @param {Setup} setup @param {string} label @param {number} got @param {number} expected */
function check({ problems }, label, got, expected) {
  if (got !== expected) problems.push(`${label}: got ${got}, expected ${expected}`)
}

/** countLines on a fresh mapping: pays for mapping and page faults as a one-shot tool does. */
async function scanFresh(/** @type {string} */ path, /** @type {number} */ threads) {
  const file = MemoryMappedFile.openRo(path)
  try {
    return await file.countLinesAsync({ threads })
  } finally {
    file.close()
  }
}

/** Sequential line counts, mmap vs read(), and the parallel scan. @param {Setup} setup @returns {Promise<Row[]>} */
export async function sequential(setup) {
  const { path, generated, threads } = setup
  const { bytes, lines } = generated
  const result = `${formatCount(lines)} lines`
  await scanFresh(path, threads) // warm-up: every row below reads from the page cache
  setup.status('sequential scans')
  const mmap = await median(RUNS, () => scanFresh(path, 1))
  check(setup, 'mmap countLines, 1 thread', mmap.result, lines)
  // read() into one reused 1 MiB buffer. The buffer is an anonymous mapping so that the same
  // native counter can count it: the difference from the mmap row is read()'s copy and syscalls.
  const scratch = MemoryMappedFile.anonymous(1 << 20)
  const buffer = scratch.asBuffer()
  const readNative = await median(RUNS, () => readAndCount(path, buffer, (n) => scratch.countLines(0, n)))
  check(setup, 'read() + native count', readNative.result, lines)
  const readJs = await median(SLOW_RUNS, () => readAndCount(path, buffer, (n) => indexOfLines(buffer, n)))
  check(setup, 'read() + JS loop', readJs.result, lines)
  scratch.close()
  const viewJs = await median(SLOW_RUNS, () => {
    const file = MemoryMappedFile.openRo(path)
    const count = indexOfLinesMapped(file, constants.MAX_LENGTH)
    file.close()
    return count
  })
  check(setup, 'mmap view + JS loop', viewJs.result, lines)
  // The parallel scan on a mapping that is already faulted in, against 1 thread on the same one.
  setup.status('parallel scan')
  const file = MemoryMappedFile.openRo(path)
  await file.countLinesAsync()
  const mapped1 = await median(RUNS, () => file.countLinesAsync({ threads: 1 }))
  const mappedN = await median(RUNS, () => file.countLinesAsync({ threads }))
  file.close()
  check(setup, 'mapped countLines, 1 thread', mapped1.result, lines)
  check(setup, `mapped countLines, ${threads} threads`, mappedN.result, lines)
  const slower = (/** @type {number} */ ms) => `${formatRatio(ms / mmap.ms)} slower than mmap countLines`
  return [
    {
      measurement: 'sequential: mmap countLines, 1 thread',
      ms: mmap.ms,
      bytes,
      result,
      note: 'maps the file each run',
    },
    {
      measurement: 'sequential: read() 1 MiB + same native count',
      ms: readNative.ms,
      bytes,
      result,
      note: slower(readNative.ms),
    },
    {
      measurement: 'sequential: read() 1 MiB + JS indexOf loop',
      ms: readJs.ms,
      bytes,
      result,
      note: slower(readJs.ms),
    },
    { measurement: 'sequential: mmap view + JS indexOf loop', ms: viewJs.ms, bytes, result, note: slower(viewJs.ms) },
    { measurement: 'mapped already: countLines, 1 thread', ms: mapped1.ms, bytes, result, note: 'no page faults left' },
    {
      measurement: `parallel: countLines, ${threads} threads`,
      ms: mappedN.ms,
      bytes,
      result,
      note: `${formatRatio(mapped1.ms / mappedN.ms)} the speed of 1 thread`,
    },
  ]
}

/** Random 4 KiB reads at the same seeded offsets: mmap readInto vs pread. @param {Setup} setup @returns {Promise<Row[]>} */
export async function random(setup) {
  const { path, generated } = setup
  setup.status('random reads')
  const offsets = randomBlockOffsets(generated.bytes, RANDOM_READS, 42)
  const target = Buffer.alloc(Math.min(4096, generated.bytes))
  const file = MemoryMappedFile.openRo(path)
  const fd = openSync(path, 'r')
  const viaMmap = () => {
    for (const offset of offsets) file.readInto(offset, target)
  }
  const viaPread = () => {
    for (const offset of offsets) readSync(fd, target, 0, target.length, offset)
  }
  viaMmap() // warm both: page-table entries for the mapping, the JIT for both loops
  viaPread()
  const mmap = await median(SLOW_RUNS, viaMmap)
  const pread = await median(SLOW_RUNS, viaPread)
  file.close()
  closeSync(fd)
  const bytes = RANDOM_READS * target.length
  const perRead = (/** @type {number} */ ms) => `${((ms * 1e6) / RANDOM_READS).toFixed(0)} ns/read`
  const result = `${formatCount(RANDOM_READS)} reads`
  return [
    {
      measurement: 'random 4 KiB: mmap readInto',
      ms: mmap.ms,
      bytes,
      result,
      note: `${perRead(mmap.ms)}, ${formatSpeedup(pread.ms / mmap.ms, 'pread')}`,
    },
    { measurement: 'random 4 KiB: fs.readSync (pread)', ms: pread.ms, bytes, result, note: perRead(pread.ms) },
  ]
}

/** A first pass with the file evicted from the page cache vs a warm second pass. @param {Setup} setup @returns {Promise<Row[]>} */
export async function pageCache(setup) {
  const { path, generated, threads } = setup
  const { bytes, lines } = generated
  const pages = Math.ceil(bytes / pageSize())
  const result = `${formatCount(lines)} lines`
  setup.status('evicting the file from the page cache')
  // Nothing maps the file at this point: pages still mapped somewhere could not be dropped.
  const method = evictFromPageCache(path)
  const after = residentPages(path)
  const first = `evicted: countLines, ${threads} threads`
  /** @type {Row[]} */
  const rows = []
  let cold
  if (method === null) {
    rows.push({ measurement: first, result: 'eviction unavailable', note: 'no GNU dd, no python3 posix_fadvise' })
  } else if (after.resident !== null && after.resident > pages / 100) {
    const still = `${formatCount(after.resident)} of ${formatCount(pages)} pages`
    rows.push({ measurement: first, result: 'eviction unavailable', note: `${method} left ${still} cached (tmpfs?)` })
  } else {
    setup.status('first pass, file evicted')
    cold = await median(1, () => scanFresh(path, threads))
    check(setup, 'evicted pass', cold.result, lines)
    const cached =
      after.resident === null ? `unverified (${after.source})` : `${formatCount(after.resident)} pages cached`
    rows.push({ measurement: first, ms: cold.ms, bytes, result, note: `${method}: ${cached}` })
  }
  setup.status('second pass, warm')
  const warm = await median(RUNS, () => scanFresh(path, threads))
  check(setup, 'warm pass', warm.result, lines)
  const note = cold ? formatSpeedup(cold.ms / warm.ms, 'evicted') : ''
  rows.push({ measurement: `warm: countLines, ${threads} threads`, ms: warm.ms, bytes, result, note })
  return rows
}

/** Memory use of mapping + scanning vs reading the file, each in a fresh Node process. @param {Setup} setup @returns {Promise<Row[]>} */
export async function memory(setup) {
  const { path, generated } = setup
  const probe = fileURLToPath(new URL('memory-probe.mjs', import.meta.url))
  /** @param {string} mode */
  const run = (mode) => {
    setup.status(`memory use (${mode})`)
    const child = spawnSync(process.execPath, [probe, mode, path], { encoding: 'utf8' })
    if (child.status !== 0) throw new Error(`memory probe (${mode}) failed: ${child.stderr.trim().split('\n', 1)[0]}`)
    return JSON.parse(child.stdout)
  }
  const mapped = run('mmap')
  check(setup, 'memory probe countLines', mapped.lines, generated.lines)
  const read = run('read')
  /** @param {{ rss: number, anon: number | null }} m */
  const usage = (m) => `RSS ${formatBytes(m.rss)}, anon ${m.anon === null ? 'n/a' : formatBytes(m.anon)}`
  setup.footnotes.push(`memory rows: each in a fresh Node process, which starts at ${usage(mapped.before)}.`)
  const fileBacked = mapped.after.file === null ? '' : `file-backed ${formatBytes(mapped.after.file)}: page cache`
  const whole = read.pieces > 1 ? `${read.pieces} reads of 1 GiB (> MAX_LENGTH)` : 'fs.readFileSync'
  return [
    { measurement: 'memory: mmap + countLines', result: usage(mapped.after), note: fileBacked },
    { measurement: `memory: ${whole}`, result: usage(read.after), note: 'a private copy' },
  ]
}

/** Pattern search: mmap count vs a JS Buffer.indexOf loop over one view. @param {Setup} setup @returns {Promise<Row[]>} */
export async function search(setup) {
  const { path, generated, threads } = setup
  const file = MemoryMappedFile.openRo(path)
  file.countLines() // fault the mapping in once: both rows then compare search code only
  /** @type {Row[]} */
  const rows = []
  /** @type {[string, number][]} */
  const patterns = [
    [RARE, generated.planted],
    [COMMON, generated.common],
  ]
  for (const [pattern, expected] of patterns) {
    setup.status(`searching for ${pattern}`)
    const needle = Buffer.from(pattern)
    const native = await median(RUNS, () => file.count(needle, { threads }))
    const js = await median(SLOW_RUNS, () => indexOfCountMapped(file, needle, constants.MAX_LENGTH))
    check(setup, `mmap count "${pattern}"`, native.result, expected)
    check(setup, `Buffer.indexOf loop "${pattern}"`, js.result, expected)
    const agree = native.result === js.result && js.result === expected
    rows.push(
      {
        measurement: `search "${pattern}": mmap count, ${threads} threads`,
        ms: native.ms,
        bytes: generated.bytes,
        result: formatCount(native.result),
        note: `${formatCount(expected)} written; ${formatSpeedup(js.ms / native.ms, 'JS')}`,
      },
      {
        measurement: `search "${pattern}": JS indexOf loop, one view`,
        ms: js.ms,
        bytes: generated.bytes,
        result: formatCount(js.result),
        note: agree ? 'same count' : 'MISMATCH',
      },
    )
  }
  file.close()
  return rows
}
