// The one helper module of the benchmark suite (bench.mjs, features.mjs, ring.mjs, peers/run.mjs,
// report.mjs): sizes, the data file, the seeded offsets (the same LCG as peers/ref.c and
// peers/write_ref.c, so JS and C touch the very same bytes), statistics, the rotation of cases
// within a round, C references, RSS probes, the machine description, and result files.
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import {
  closeSync,
  copyFileSync,
  existsSync,
  fdatasyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  readSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs'
import { cpus, release, totalmem, loadavg } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const benchDir = dirname(fileURLToPath(import.meta.url))
export const repoRoot = dirname(benchDir)

/** `64M`, `1G`, `1GiB`, `4096` -> bytes. */
export function parseSize(text) {
  const match = /^(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?$/i.exec(String(text))
  if (!match) throw new Error(`a size must look like 64M or 1G, not ${text}`)
  const unit = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 }[match[2].toUpperCase()]
  return Math.floor(Number(match[1]) * unit)
}

export function formatBytes(bytes) {
  if (Math.abs(bytes) >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(2)} GiB`
  if (Math.abs(bytes) >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MiB`
  if (Math.abs(bytes) >= 2 ** 10) return `${(bytes / 2 ** 10).toFixed(0)} KiB`
  return `${bytes} B`
}

/**
 * Writes `size` bytes of deterministic, non-repeating data (word i holds i * 0x9E3779B1, so a
 * reader can check what it read), syncs it to disk (so no writeback runs during the timings) and
 * reads it once more (so the page cache is warm even if the file already existed). `writeBytes`
 * (a power of two, at most 8 MiB) is the size of each write: Linux 6.16+ keeps ext4 files in
 * page-cache folios sized after the writes, and a small `fs.writeSync` into a large folio is
 * several times slower than into a 4 KiB one.
 */
export function createDataFile(path, size, { writeBytes = 8 << 20 } = {}) {
  const chunkBytes = Math.min(8 << 20, writeBytes)
  const chunk = Buffer.alloc(chunkBytes)
  const words = new Uint32Array(chunk.buffer, chunk.byteOffset, chunkBytes / 4)
  const fd = openSync(path, 'w')
  try {
    for (let at = 0; at < size; at += chunkBytes) {
      const first = at / 4
      for (let i = 0; i < words.length; i++) words[i] = Math.imul(first + i, 0x9e3779b1)
      writeSync(fd, chunk, 0, Math.min(chunkBytes, size - at), at)
    }
    fdatasyncSync(fd)
  } finally {
    closeSync(fd)
  }
  warmPageCache(path, size)
}

/** Reads the whole file once (8 MiB at a time) so that every page is in the page cache. */
export function warmPageCache(path, size) {
  const chunk = Buffer.allocUnsafe(8 << 20)
  const fd = openSync(path, 'r')
  try {
    for (let at = 0; at < size; at += chunk.length) readSync(fd, chunk, 0, chunk.length, at)
  } finally {
    closeSync(fd)
  }
}

/**
 * `count` pseudo-random offsets in [0, size - span], multiples of `align`, from the 32-bit LCG
 * x = x * 1664525 + 1013904223 (Numerical Recipes) seeded with `seed`; each draw picks slot
 * floor(x * slots / 2**32). peers/ref.c implements the same sequence, bit for bit.
 */
export function lcgOffsets(count, size, span, align, seed) {
  const slots = BigInt(Math.floor((size - span) / align) + 1)
  const offsets = new Float64Array(count)
  let x = seed >>> 0
  for (let i = 0; i < count; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0
    offsets[i] = Number((BigInt(x) * slots) >> 32n) * align
  }
  return offsets
}

/** A checksum of an offset list (sum of offset / align, mod 2**32), to prove JS and C agree. */
export function offsetsChecksum(offsets, align) {
  let sum = 0
  for (const offset of offsets) sum = (sum + offset / align) % 2 ** 32
  return sum
}

/** The cases of a group in the order they run in round `round`: rotated by one each round. */
export function rotate(list, round) {
  return list.map((_, i) => list[(i + round) % list.length])
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/** `RssAnon` and `RssFile` of this process in bytes, from /proc/self/status (Linux). */
export function rss() {
  const status = readFileSync('/proc/self/status', 'utf8')
  const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024
  return { anon: field('RssAnon'), file: field('RssFile') }
}

/** The trimmed stdout of a command, or null if it cannot run or fails. */
export function commandOutput(command, commandArgs, options = {}) {
  try {
    return execFileSync(command, commandArgs, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      ...options,
    }).trim()
  } catch {
    return null
  }
}

function git(...args) {
  return commandOutput('git', args, { cwd: repoRoot })
}

/**
 * Compiles a C reference program (`source`, a path) with gcc and `flags` into `binary`, unless
 * `binary` is newer than `source`. Returns `{ binary, info: { compiler, flags } }`; throws with
 * gcc's output if the compilation fails.
 */
export function compileC(source, binary, flags) {
  if (!existsSync(binary) || statSync(binary).mtimeMs < statSync(source).mtimeMs) {
    mkdirSync(dirname(binary), { recursive: true })
    try {
      execFileSync('gcc', [...flags, '-Wall', '-Wextra', '-o', binary, source], {
        stdio: ['ignore', 'pipe', 'pipe'],
        encoding: 'utf8',
      })
    } catch (error) {
      throw new Error(`gcc ${flags.join(' ')} ${source} failed:\n${error.stderr ?? error.message}`.trim())
    }
  }
  const compiler = commandOutput('gcc', ['--version'])?.split('\n')[0] ?? 'gcc'
  return { binary, info: { compiler, flags: flags.join(' ') } }
}

/** Whether an ELF file has a `.debug_info` section (release builds strip it: `strip = "symbols"`). */
function elfHasDebugInfo(bytes) {
  if (bytes.length < 64 || bytes.readUInt32BE(0) !== 0x7f454c46 || bytes[4] !== 2) return null // ELF64 only
  const sections = Number(bytes.readBigUInt64LE(0x28))
  const entrySize = bytes.readUInt16LE(0x3a)
  const count = bytes.readUInt16LE(0x3c)
  const names = sections + bytes.readUInt16LE(0x3e) * entrySize
  const namesOffset = Number(bytes.readBigUInt64LE(names + 0x18))
  for (let i = 0; i < count; i++) {
    const at = namesOffset + bytes.readUInt32LE(sections + i * entrySize)
    if (bytes.toString('latin1', at, at + 12) === '.debug_info\0') return true
  }
  return false
}

/**
 * Copies the addon the loader would use (index.js prefers the local build, or
 * NAPI_RS_NATIVE_LIBRARY_PATH) into `dir` and points the loader at the copy, so that a rebuild of
 * the checkout's addon during a run (a shared checkout) can neither change nor break the code
 * being measured. Call it before importing index.js. Returns the addon's size, modification time,
 * hash, and whether it is a debug build (`npm run build:debug`; its numbers mean nothing).
 */
export function snapshotAddon(dir) {
  const path =
    process.env.NAPI_RS_NATIVE_LIBRARY_PATH || join(repoRoot, `mmapkit.${process.platform}-${process.arch}-gnu.node`)
  if (!existsSync(path)) return { path: null, note: 'no local build; the platform package is used' }
  const modified = statSync(path).mtime.toISOString()
  const copy = join(dir, basename(path))
  copyFileSync(path, copy)
  process.env.NAPI_RS_NATIVE_LIBRARY_PATH = copy
  const bytes = readFileSync(copy)
  return {
    path,
    loadedFrom: copy,
    bytes: bytes.length,
    modified,
    sha256: createHash('sha256').update(bytes).digest('hex').slice(0, 16),
    debugBuild: elfHasDebugInfo(bytes),
  }
}

/** What the addon is, with a warning when it is a debug build or older than the source. */
export function addonSummary(machine) {
  const { addon } = machine
  if (!addon.path) return `addon: ${addon.note}`
  const lines = [`addon: ${addon.path} (${formatBytes(addon.bytes)}, built ${addon.modified}, sha256 ${addon.sha256})`]
  if (addon.debugBuild) {
    lines.push(
      'WARNING: this addon is a DEBUG build (it has .debug_info): run `npm run build`; these numbers mean little',
    )
  }
  if (machine.addonOlderThanLastSourceCommit || machine.mmapkitSourceModified) {
    lines.push(
      `note: the addon is older than the last commit to src/ or core/, or the source has uncommitted changes: it may not be ${machine.mmapkitCommit}`,
    )
  }
  return lines.join('\n')
}

/** The machine, runtime and mmapkit revision (and `addon`, from snapshotAddon) of a result. */
export function machineInfo(addon) {
  const cpuList = cpus()
  const library = ['src', 'core', 'Cargo.toml', 'Cargo.lock']
  const libraryChanges = git('status', '--porcelain', '--', ...library)
  const lastSourceCommit = git('log', '-1', '--format=%cI', '--', ...library)
  return {
    cpu: cpuList[0]?.model ?? 'unknown',
    cores: cpuList.length,
    memoryBytes: totalmem(),
    kernel: `${process.platform} ${release()}`,
    arch: process.arch,
    node: process.version,
    v8: process.versions.v8,
    loadAverageAtStart: loadavg().map((value) => Number(value.toFixed(2))),
    mmapkitCommit: git('rev-parse', '--short', 'HEAD') ?? 'unknown',
    // Uncommitted changes to the library itself (not to the benchmark) would make the commit a lie.
    mmapkitSourceModified: libraryChanges === null ? null : libraryChanges.length > 0,
    addon,
    // A library commit newer than the addon file: the binary was built from older source.
    addonOlderThanLastSourceCommit:
      lastSourceCommit && addon.modified ? new Date(addon.modified) < new Date(lastSourceCommit) : null,
  }
}

export const resultsDir = join(benchDir, 'results')

/**
 * Writes `result` (which has `date`, an ISO string, and `machine.mmapkitCommit`) to
 * benchmark/results/<prefix><YYYY-MM-DD>-<commit>.json, with -2, -3, ... when several runs share a
 * day and commit, so none is overwritten. There is no "latest" copy: `newestResult` finds it.
 */
export async function saveResult(result, prefix = '') {
  const dir = resultsDir
  mkdirSync(dir, { recursive: true })
  const stem = `${prefix}${result.date.slice(0, 10)}-${result.machine.mmapkitCommit}`
  let path = join(dir, `${stem}.json`)
  for (let n = 2; existsSync(path); n++) path = join(dir, `${stem}-${n}.json`)
  let text = `${JSON.stringify(result, null, 2)}\n`
  try {
    // Formatted like the rest of the repository, so `npm run lint` (prettier --check) stays clean.
    const prettier = await import('prettier')
    text = await prettier.format(text, { ...(await prettier.resolveConfig(path)), filepath: path })
  } catch {
    // prettier is a devDependency of the repository; without it the plain JSON is fine.
  }
  writeFileSync(path, text)
  return path
}

/**
 * The path of the newest result file named `<prefix><YYYY-MM-DD>-<commit>[-N].json` in
 * benchmark/results (by the `date` it records, then by name), or null if there is none. With
 * prefix '' only the `npm run bench` results match (the others' names start with a word).
 */
export function newestResult(prefix = '') {
  const escaped = prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const pattern = new RegExp(`^${escaped}\\d{4}-\\d{2}-\\d{2}-[0-9a-z]+(-\\d+)?\\.json$`)
  if (!existsSync(resultsDir)) return null
  const found = readdirSync(resultsDir)
    .filter((name) => pattern.test(name))
    .map((name) => {
      const path = join(resultsDir, name)
      let date = ''
      try {
        date = JSON.parse(readFileSync(path, 'utf8')).date ?? ''
      } catch {
        // an unreadable file sorts first
      }
      return { path, name, date }
    })
    .sort((a, b) => a.date.localeCompare(b.date) || a.name.localeCompare(b.name, 'en', { numeric: true }))
  return found.at(-1)?.path ?? null
}

/** Formats rows (arrays of strings) as an aligned text table; numeric-looking cells align right. */
export function textTable(header, rows) {
  const all = [header, ...rows]
  const widths = header.map((_, column) => Math.max(...all.map((row) => String(row[column] ?? '').length)))
  const numeric = (cell) => /^[-+]?[\d.,]+( ?[a-zA-Zµ/%]+(\/[a-z]+)?)?x?$/.test(cell)
  const line = (row) =>
    row
      .map((cell, column) => {
        const text = String(cell ?? '')
        return column > 0 && numeric(text) ? text.padStart(widths[column]) : text.padEnd(widths[column])
      })
      .join('  ')
      .trimEnd()
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n')
}

/** 1234.5 -> '1,235'; 0.01234 -> '0.0123'. */
export function formatNumber(value, digits = 3) {
  if (!Number.isFinite(value)) return String(value)
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US')
  return Number(value.toPrecision(digits)).toString()
}

/** A speed ratio: 2 decimals, none from 100x up (12,345x rather than 12345.67x). */
export function formatRatio(ratio) {
  return ratio >= 100 ? `${Math.round(ratio).toLocaleString('en-US')}x` : `${ratio.toFixed(2)}x`
}

/** Nanoseconds (hrtime) as a readable duration. */
export function formatNs(ns) {
  if (ns >= 1e6) return `${formatNumber(ns / 1e6)} ms`
  if (ns >= 1e3) return `${formatNumber(ns / 1e3)} µs`
  return `${formatNumber(ns)} ns`
}
