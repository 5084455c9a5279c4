import { EXIT_ERROR, EXIT_NO_MATCH, EXIT_OK, UsageError } from '../lib/errors.mjs'
import { countColumn } from '../lib/format.mjs'
import { stdinOperand, streamMatches } from '../lib/inputs.mjs'
import { eachFile } from '../lib/scan.mjs'

export const summary = 'count the non-overlapping occurrences of a fixed string'
export const usage = `Usage: mmapkit count [--json] [--threads N] PATTERN [FILE...]

Counts the non-overlapping occurrences of PATTERN (a fixed string, matched as UTF-8 bytes; no
regular expressions) in each FILE, greedy from the left: 'aaa' occurs once in 'aaaaa'. Prints a
total when there is more than one FILE. Exits 1 when the total is 0, 2 if a FILE could not be read
(the others are still counted). Pipes, '-' (stdin) and /proc files are read instead of mapped.
Put '--' before a PATTERN that starts with '-'.

  --json       {"pattern": "ERROR", "files": [{"path": "a.log", "count": 7}], "total": 7}
  --threads N  scan on N threads (default: all cores)`
/** @type {string[]} */
export const options = []

/** @param {import('../mmapkit.mjs').Context} ctx */
export async function run({ operands, json, threads, out }) {
  const [pattern, ...paths] = operands
  if (pattern === undefined) throw new UsageError('count: missing PATTERN operand')
  if (pattern === '') throw new UsageError('count: PATTERN must not be empty')
  if (paths.length === 0) paths.push(...stdinOperand('count'))
  const needle = Buffer.from(pattern)
  const { results, failed } = await eachFile(paths, { label: 'count', quiet: json, threads }, async (input, scan) => {
    if (input.kind === 'map') return input.file.countAsync(needle, scan)
    let count = 0
    for await (const offsets of streamMatches(input.stream, needle)) count += offsets.length
    return count
  })
  const total = results.reduce((sum, result) => sum + ('value' in result ? result.value : 0), 0)
  if (json) {
    const files = results.map((result) =>
      'value' in result
        ? { path: result.path, count: result.value }
        : { path: result.path, error: { code: result.error.code ?? 'ERROR', message: result.error.message } },
    )
    out(JSON.stringify({ pattern, files, total }))
  } else {
    /** @type {[number, string][]} */
    const rows = results.flatMap((result) => ('value' in result ? [[result.value, result.path]] : []))
    if (paths.length > 1) rows.push([total, 'total'])
    if (rows.length > 0) out(countColumn(rows))
  }
  if (failed) return EXIT_ERROR
  return total === 0 ? EXIT_NO_MATCH : EXIT_OK
}
