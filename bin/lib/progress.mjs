// A one-line progress bar on stderr, drawn only when stderr is a terminal.
import { formatBytes } from './format.mjs'

/** Redraw at most this often. */
const INTERVAL_MS = 100

/**
 * @typedef {object} Progress
 * @property {(done: number) => void} update bytes done so far (of `total`)
 * @property {() => void} finish erases the bar (if one was drawn)
 */

/**
 * A progress bar for `total` bytes. Disabled (every call does nothing) unless `enabled`, which
 * defaults to whether the stream is a TTY: scripts reading stderr never see control characters.
 * @param {string} label
 * @param {number} total
 * @param {{ stream?: NodeJS.WriteStream, enabled?: boolean }} [options]
 * @returns {Progress}
 */
export function createProgress(label, total, { stream = process.stderr, enabled = stream.isTTY === true } = {}) {
  if (!enabled) return { update() {}, finish() {} }
  let drawnAt = -Infinity
  let drawn = false
  return {
    update(done) {
      const now = performance.now()
      if (now - drawnAt < INTERVAL_MS) return
      drawnAt = now
      drawn = true
      stream.write(`\r${bar(label, done, total, stream.columns || 80)}\x1b[K`)
    },
    finish() {
      if (drawn) stream.write('\r\x1b[K')
      drawn = false
    },
  }
}

/**
 * `label [#######.......]  42%  430.0 MiB / 1.00 GiB`, fitted to `columns`.
 * @param {string} label @param {number} done @param {number} total @param {number} columns
 */
export function bar(label, done, total, columns) {
  const fraction = total > 0 ? Math.min(1, done / total) : 1
  const tail = ` ${String(Math.floor(fraction * 100)).padStart(3)}%  ${formatBytes(done)} / ${formatBytes(total)}`
  const width = Math.max(10, Math.min(40, columns - label.length - tail.length - 4))
  const filled = Math.round(fraction * width)
  return `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}]${tail}`
}
