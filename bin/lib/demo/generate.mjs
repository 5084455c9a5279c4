// The demo's test file: ~80-byte log lines, deterministic, with a rare 9-byte pattern planted a
// known number of times, so every scan's answer can be checked against what was written.
//
// Speed matters (1 GiB has 13 million lines and the whole demo must take under a minute on two
// cores), so lines are not formatted one by one: a pool of 65,536 varied lines is formatted once,
// each 1 MiB chunk of the file copies a run of consecutive pool lines from a varying start, and
// only the timestamps are patched in place, digit by digit, to keep time moving forward.
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs'

/** The rare pattern (9 bytes), found nowhere else in the file. */
export const RARE = 'disk-full'
/** The common word: the level of 1 line in 8, and of every planted line. */
export const COMMON = 'ERROR'
/** How many lines get the rare pattern (fewer in files under ~80 KiB). */
export const PLANTED = 1000

const CHUNK = 1 << 20
const POOL_LINES = 1 << 16
/** Where HH:MM:SS.mmm starts in every line (after '2026-11-22T'). */
const TIME_AT = 11

const LEVELS = ['INFO ', 'INFO ', 'DEBUG', 'INFO ', 'WARN ', 'INFO ', COMMON, 'INFO ']
const METHODS = ['GET', 'GET', 'POST', 'GET', 'PUT', 'GET', 'DELETE']
const STATUS = ['200', '200', '200', '201', '200', '304', '404', '200', '200', '500', '200']
const four = (/** @type {number} */ n) => String(n % 10_000).padStart(4, '0')

/**
 * Pool line `i`, 78 to 84 bytes with the newline (the time is patched later):
 * `2026-11-22T00:00:00.000Z INFO  GET /v1/items/0427 200 512us user=0211 cache=hit`
 * @param {number} i
 */
function poolLine(i) {
  const request = `${METHODS[i % 7]} /v1/items/${four(i * 7919)} ${STATUS[i % 11]} ${i % 997}us`
  return `2026-11-22T00:00:00.000Z ${LEVELS[i % 8]} ${request} user=${four(i * 104_729)} cache=${i % 3 ? 'hit' : 'miss'}\n`
}

/** A planted line: an ERROR ending in RARE. @param {number} i */
function plantedLine(i) {
  return `2026-11-22T00:00:00.000Z ERROR PUT /v1/items/${four(i)} 507 ${i % 997}us user=${four(i * 31)} ${RARE}\n`
}

/** The pool, twice over (so that any run of up to POOL_LINES lines is contiguous). */
function buildPool() {
  const lines = Array.from({ length: POOL_LINES }, (_, i) => poolLine(i))
  const text = lines.join('')
  const bytes = Buffer.from(text + text, 'latin1')
  const starts = new Float64Array(2 * POOL_LINES + 1)
  const commonBefore = new Float64Array(2 * POOL_LINES + 1)
  for (let k = 0; k < 2 * POOL_LINES; k++) {
    const line = lines[k % POOL_LINES]
    starts[k + 1] = starts[k] + line.length
    commonBefore[k + 1] = commonBefore[k] + (line.includes(COMMON) ? 1 : 0)
  }
  return { bytes, starts, commonBefore }
}

/** Milliseconds after midnight of line `i`: 2 to 10 ms after the previous one. @param {number} i */
const timeOf = (i) => i * 6 + (i % 5)

/**
 * Writes HH:MM:SS.mmm for `ms` milliseconds after midnight at `at`.
 * @param {Buffer} buffer @param {number} at @param {number} ms
 */
function patchTime(buffer, at, ms) {
  const h = Math.floor(ms / 3_600_000) % 24
  const m = Math.floor(ms / 60_000) % 60
  const s = Math.floor(ms / 1000) % 60
  const f = ms % 1000
  buffer[at] = 48 + Math.floor(h / 10)
  buffer[at + 1] = 48 + (h % 10)
  buffer[at + 3] = 48 + Math.floor(m / 10)
  buffer[at + 4] = 48 + (m % 10)
  buffer[at + 6] = 48 + Math.floor(s / 10)
  buffer[at + 7] = 48 + (s % 10)
  buffer[at + 9] = 48 + Math.floor(f / 100)
  buffer[at + 10] = 48 + (Math.floor(f / 10) % 10)
  buffer[at + 11] = 48 + (f % 10)
}

/**
 * The end (exclusive) of the run of pool lines from `first` that fits in `room` bytes, each line
 * starting less than `before` bytes after the run's start.
 * @param {Float64Array} starts @param {number} first @param {number} room @param {number} before
 */
function runEnd(starts, first, room, before) {
  let last = first
  while (
    last < first + POOL_LINES &&
    starts[last + 1] - starts[first] <= room &&
    starts[last] - starts[first] < before
  ) {
    last++
  }
  return last
}

/**
 * @typedef {object} Generated
 * @property {number} bytes the file's size: whole lines only, at most the size asked for
 * @property {number} lines
 * @property {number} planted lines containing RARE (once each)
 * @property {number} common lines containing COMMON (once each)
 */

/**
 * Writes whole lines until the next one would pass `size` bytes, then fsyncs (so that the pages
 * are clean and can be evicted from the page cache later). Yields to the event loop after each
 * 1 MiB write, so that Ctrl-C is handled promptly.
 * @param {string} path
 * @param {number} size
 * @param {(bytesWritten: number) => void} onProgress
 * @returns {Promise<Generated>}
 */
export async function generateLog(path, size, onProgress) {
  const pool = buildPool()
  const plantEvery = size / PLANTED
  const chunk = Buffer.allocUnsafe(CHUNK)
  const result = { bytes: 0, lines: 0, planted: 0, common: 0 }
  const fd = openSync(path, 'w')
  try {
    for (let chunkIndex = 0; result.bytes < size; chunkIndex++) {
      let used = 0
      let first = (chunkIndex * 7919) % POOL_LINES
      for (;;) {
        const at = result.bytes + used
        const room = Math.min(CHUNK - used, size - at)
        // A planted line is due at the middle of each 1/PLANTED-th of the file.
        const plantAt = result.planted < PLANTED ? (result.planted + 0.5) * plantEvery : Infinity
        if (at >= plantAt) {
          const line = plantedLine(result.lines)
          if (line.length > room) break
          chunk.write(line, used, 'latin1')
          patchTime(chunk, used + TIME_AT, timeOf(result.lines))
          used += line.length
          result.lines++
          result.planted++
          result.common++
          continue
        }
        // A run of consecutive pool lines: those that fit and start before the next plant.
        const { starts } = pool
        const last = runEnd(starts, first, room, plantAt - at)
        if (last === first) break
        pool.bytes.copy(chunk, used, starts[first], starts[last])
        for (let k = first; k < last; k++) {
          patchTime(chunk, used + starts[k] - starts[first] + TIME_AT, timeOf(result.lines + k - first))
        }
        used += starts[last] - starts[first]
        result.lines += last - first
        result.common += pool.commonBefore[last] - pool.commonBefore[first]
        first = last % POOL_LINES
      }
      if (used === 0) break
      writeSync(fd, chunk, 0, used)
      result.bytes += used
      onProgress(result.bytes)
      await new Promise((resolve) => setImmediate(resolve))
    }
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  return result
}
