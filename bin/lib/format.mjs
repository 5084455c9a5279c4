// Number, size, time and table formatting for the CLI's human-readable output.

const BINARY_UNITS = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB']

/** 1536 -> '1.50 KiB', 1023.99 MiB -> '1.00 GiB'; below 1 KiB: '512 bytes'. @param {number} bytes */
export function formatBytes(bytes) {
  let value = bytes
  let unit = 0
  // Move up a unit where the rounded number would read 1024.0.
  while (value >= 1023.95 && unit < BINARY_UNITS.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(value < 10 ? 2 : 1)} ${BINARY_UNITS[unit]}`
}

/** 13421772 -> '13,421,772'. @param {number} n */
export function formatCount(n) {
  return n.toLocaleString('en-US')
}

/** Milliseconds as '850 µs', '57.1 ms' or '1.24 s'. @param {number} ms */
export function formatDuration(ms) {
  if (ms < 1) return `${(ms * 1000).toFixed(0)} µs`
  if (ms < 1000) return `${ms.toFixed(ms < 10 ? 2 : 1)} ms`
  return `${(ms / 1000).toFixed(2)} s`
}

/** Throughput: bytes over milliseconds, as '18.3 GiB/s' or '840 MiB/s'. @param {number} bytes @param {number} ms */
export function formatRate(bytes, ms) {
  const perSecond = bytes / (ms / 1000)
  return perSecond >= 2 ** 30
    ? `${(perSecond / 2 ** 30).toFixed(1)} GiB/s`
    : `${(perSecond / 2 ** 20).toFixed(0)} MiB/s`
}

/** A speed ratio, '2.4x'. @param {number} ratio */
export function formatRatio(ratio) {
  return `${ratio.toFixed(ratio < 10 ? 1 : 0)}x`
}

/**
 * How much faster (ratio >= 1) or slower the measured thing is than `what`: "2.5x faster than
 * pread", "1.3x slower than JS" (never "0.8x faster").
 * @param {number} ratio the other's time divided by this one's
 * @param {string} what
 */
export function formatSpeedup(ratio, what) {
  return ratio >= 1 ? `${formatRatio(ratio)} faster than ${what}` : `${formatRatio(1 / ratio)} slower than ${what}`
}

/**
 * A plain-text table: a header, a rule, and the rows, columns separated by two spaces.
 * @param {{ title: string, align?: 'left' | 'right' }[]} columns
 * @param {string[][]} rows
 */
export function renderTable(columns, rows) {
  const widths = columns.map((column, i) => Math.max(column.title.length, ...rows.map((row) => row[i].length)))
  const line = (/** @type {string[]} */ cells) =>
    cells
      .map((cell, i) => (columns[i].align === 'right' ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd()
  return [
    line(columns.map((column) => column.title)),
    line(widths.map((width) => '-'.repeat(width))),
    ...rows.map(line),
  ].join('\n')
}

/**
 * Right-aligned counts followed by a name, like `wc -l` output.
 * @param {[number, string][]} entries
 */
export function countColumn(entries) {
  const width = Math.max(...entries.map(([n]) => String(n).length))
  return entries.map(([n, name]) => `${String(n).padStart(width)} ${name}`).join('\n')
}
