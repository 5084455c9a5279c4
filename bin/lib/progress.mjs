// A one-line progress bar on stderr, drawn only when stderr is a terminal: how far, how fast, and
// how long until done. Ctrl-C erases it before the process ends.
import { formatBytes } from './format.mjs'

/** Redraw at most this often. */
const INTERVAL_MS = 100

/**
 * @typedef {object} Progress
 * @property {(done: number) => void} update bytes done so far (of `total`)
 * @property {() => void} clear erases the bar for now (before writing a message on stderr)
 * @property {() => void} finish erases the bar (if one was drawn)
 */

/**
 * A progress bar for `total` bytes. Disabled (every call does nothing) unless `enabled`, which
 * defaults to whether the stream is a TTY: scripts reading stderr never see control characters.
 * @param {string} label
 * @param {number} total
 * @param {{ stream?: NodeJS.WriteStream, enabled?: boolean, now?: () => number }} [options]
 * @returns {Progress}
 */
export function createProgress(
  label,
  total,
  { stream = process.stderr, enabled = stream.isTTY === true, now = () => performance.now() } = {},
) {
  if (!enabled) return { update() {}, clear() {}, finish() {} }
  const startedAt = now()
  let drawnAt = -Infinity
  let drawn = false
  const clear = () => {
    if (drawn) stream.write('\r\x1b[K')
    drawn = false
  }
  // Ctrl-C: leave a clean line behind, then end as the signal would (128 + 2).
  const onInterrupt = () => {
    clear()
    process.exit(130)
  }
  process.once('SIGINT', onInterrupt)
  return {
    update(done) {
      const time = now()
      if (time - drawnAt < INTERVAL_MS) return
      drawnAt = time
      drawn = true
      stream.write(`\r${bar(label, done, total, stream.columns || 80, time - startedAt)}\x1b[K`)
    },
    clear,
    finish() {
      process.removeListener('SIGINT', onInterrupt)
      clear()
    },
  }
}

/**
 * `label [#######.......]  42%  430.0 MiB / 1.00 GiB  1.2 GiB/s  ETA 3s`, fitted to `columns`.
 * Rate and ETA appear once `elapsedMs` is known and some bytes are done.
 * @param {string} label @param {number} done @param {number} total @param {number} columns
 * @param {number} [elapsedMs]
 */
export function bar(label, done, total, columns, elapsedMs) {
  const fraction = total > 0 ? Math.min(1, done / total) : 1
  let tail = ` ${String(Math.floor(fraction * 100)).padStart(3)}%  ${formatBytes(done)} / ${formatBytes(total)}`
  if (elapsedMs !== undefined && elapsedMs > 0 && done > 0) {
    const perSecond = done / (elapsedMs / 1000)
    const seconds = Math.max(0, (total - done) / perSecond)
    tail += `  ${formatBytes(perSecond)}/s  ETA ${formatEta(seconds)}`
  }
  const width = Math.max(10, Math.min(40, columns - label.length - tail.length - 4))
  const filled = Math.round(fraction * width)
  return `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}]${tail}`
}

/** 3 -> '3s', 95 -> '1m35s', 7300 -> '2h01m'. @param {number} seconds */
export function formatEta(seconds) {
  const s = Math.ceil(seconds)
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
}
