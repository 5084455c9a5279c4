import { UsageError, EXIT_OK } from '../lib/errors.mjs'
import { countColumn } from '../lib/format.mjs'
import { scanFiles } from '../lib/scan.mjs'

export const summary = "count the lines ('\\n' bytes) of each FILE, like wc -l"
export const usage = `Usage: mmapkit lines [--json] [--threads N] FILE...

Counts the newline bytes of each FILE, like wc -l (a last line without '\\n' is not counted),
and prints a total when there is more than one FILE.

  --json       {"files": [{"path": "a.log", "lines": 120}], "total": 120}
  --threads N  scan on N threads (default: all cores)`
/** @type {string[]} */
export const options = []

/** @param {import('../mmapkit.mjs').Context} ctx */
export async function run({ operands, json, threads, out }) {
  if (operands.length === 0) throw new UsageError('lines: missing FILE operand')
  const counts = await scanFiles(operands, { label: 'lines', quiet: json, threads }, (file, scan) =>
    file.countLinesAsync(scan),
  )
  const total = counts.reduce((sum, n) => sum + n, 0)
  if (json) {
    out(JSON.stringify({ files: operands.map((path, i) => ({ path, lines: counts[i] })), total }))
  } else {
    /** @type {[number, string][]} */
    const rows = operands.map((path, i) => [counts[i], path])
    if (operands.length > 1) rows.push([total, 'total'])
    out(countColumn(rows))
  }
  return EXIT_OK
}
