import { EXIT_NO_MATCH, EXIT_OK, UsageError } from '../lib/errors.mjs'
import { countColumn } from '../lib/format.mjs'
import { scanFiles } from '../lib/scan.mjs'

export const summary = 'count the non-overlapping occurrences of a fixed string'
export const usage = `Usage: mmapkit count [--json] [--threads N] PATTERN FILE...

Counts the non-overlapping occurrences of PATTERN (a fixed string, matched as UTF-8 bytes; no
regular expressions) in each FILE, greedy from the left: 'aaa' occurs once in 'aaaaa'. Prints a
total when there is more than one FILE. Exits 1 when the total is 0. Put '--' before a PATTERN
that starts with '-'.

  --json       {"pattern": "ERROR", "files": [{"path": "a.log", "count": 7}], "total": 7}
  --threads N  scan on N threads (default: all cores)`
/** @type {string[]} */
export const options = []

/** @param {import('../mmapkit.mjs').Context} ctx */
export async function run({ operands, json, threads, out }) {
  const [pattern, ...paths] = operands
  if (pattern === undefined) throw new UsageError('count: missing PATTERN operand')
  if (pattern === '') throw new UsageError('count: PATTERN must not be empty')
  if (paths.length === 0) throw new UsageError('count: missing FILE operand')
  const counts = await scanFiles(paths, { label: 'count', quiet: json, threads }, (file, scan) =>
    file.countAsync(pattern, scan),
  )
  const total = counts.reduce((sum, n) => sum + n, 0)
  if (json) {
    out(JSON.stringify({ pattern, files: paths.map((path, i) => ({ path, count: counts[i] })), total }))
  } else {
    /** @type {[number, string][]} */
    const rows = paths.map((path, i) => [counts[i], path])
    if (paths.length > 1) rows.push([total, 'total'])
    out(countColumn(rows))
  }
  return total === 0 ? EXIT_NO_MATCH : EXIT_OK
}
