// Timing, and the plain-JavaScript and read() counterparts the demo compares mmapkit against.
import { closeSync, openSync, readSync } from 'node:fs'

/**
 * Runs `fn` `runs` times and returns the median time in ms and the last result. Yields to the
 * event loop between runs (Ctrl-C, progress).
 * @template T
 * @param {number} runs
 * @param {() => T | Promise<T>} fn
 * @returns {Promise<{ ms: number, result: T }>}
 */
export async function median(runs, fn) {
  const times = []
  let result
  for (let i = 0; i < runs; i++) {
    const start = performance.now()
    result = await fn()
    times.push(performance.now() - start)
    await new Promise((resolve) => setImmediate(resolve))
  }
  times.sort((a, b) => a - b)
  return { ms: times[Math.floor(runs / 2)], result: /** @type {T} */ (result) }
}

/**
 * Non-overlapping occurrences of `pattern` with a `Buffer.indexOf` loop, greedy from the left
 * (the semantics of mmapkit's count).
 * @param {Buffer} data @param {Buffer} pattern
 */
export function indexOfCount(data, pattern) {
  let count = 0
  for (let at = data.indexOf(pattern); at !== -1; at = data.indexOf(pattern, at + pattern.length)) count++
  return count
}

/**
 * The same count over a whole mapping through zero-copy views: one view if the file fits in a
 * Buffer (buffer.constants.MAX_LENGTH), else consecutive windows that overlap by
 * pattern.length - 1 bytes, with matches counted where they start.
 * @param {import('../../../index.js').MemoryMappedFile} file @param {Buffer} pattern @param {number} maxView
 */
export function indexOfCountMapped(file, pattern, maxView) {
  if (file.length <= maxView) return indexOfCount(file.asBuffer(), pattern)
  let count = 0
  let from = 0 // the first offset where a match may start (after the previous match)
  for (let start = 0; start < file.length; start += maxView) {
    const view = file.asBuffer(start, Math.min(maxView + pattern.length - 1, file.length - start))
    for (let at = view.indexOf(pattern, Math.max(0, from - start)); at !== -1 && at < maxView;) {
      count++
      from = start + at + pattern.length
      at = view.indexOf(pattern, at + pattern.length)
    }
  }
  return count
}

/**
 * Newlines in a whole mapping with `Buffer.indexOf(10)` loops over zero-copy views: one view if the
 * file fits in a Buffer (buffer.constants.MAX_LENGTH), else consecutive windows.
 * @param {import('../../../index.js').MemoryMappedFile} file @param {number} maxView
 */
export function indexOfLinesMapped(file, maxView) {
  let lines = 0
  for (let start = 0; start < file.length; start += maxView) {
    const length = Math.min(maxView, file.length - start)
    lines += indexOfLines(file.asBuffer(start, length), length)
  }
  return lines
}

/**
 * Counts '\n' through read(): fs.readSync into one reused 1 MiB buffer, sequentially, counting
 * each piece with `countPiece`.
 * @param {string} path
 * @param {Buffer} buffer
 * @param {(length: number) => number} countPiece counts the newlines in buffer[0, length)
 */
export function readAndCount(path, buffer, countPiece) {
  const fd = openSync(path, 'r')
  try {
    let lines = 0
    for (let got; (got = readSync(fd, buffer, 0, buffer.length, null)) > 0;) lines += countPiece(got)
    return lines
  } finally {
    closeSync(fd)
  }
}

/** Newlines in buffer[0, length) with a `Buffer.indexOf` loop. @param {Buffer} buffer @param {number} length */
export function indexOfLines(buffer, length) {
  let lines = 0
  for (let at = buffer.indexOf(10); at !== -1 && at < length; at = buffer.indexOf(10, at + 1)) lines++
  return lines
}

/**
 * `count` page-aligned offsets of 4 KiB blocks in a file of `size` bytes, from a seeded PRNG
 * (mulberry32), so every run and both methods read the same blocks.
 * @param {number} size @param {number} count @param {number} seed
 */
export function randomBlockOffsets(size, count, seed) {
  const blocks = Math.max(1, Math.floor(size / 4096))
  let state = seed >>> 0
  const offsets = new Float64Array(count)
  for (let i = 0; i < count; i++) {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    offsets[i] = (((t ^ (t >>> 14)) >>> 0) % blocks) * 4096
  }
  return offsets
}
