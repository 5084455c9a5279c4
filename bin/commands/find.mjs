import { parseInteger } from '../lib/args.mjs'
import { EXIT_NO_MATCH, EXIT_OK, UsageError } from '../lib/errors.mjs'
import { scanFiles } from '../lib/scan.mjs'

export const summary = 'print the byte offset of each occurrence, one per line'
export const usage = `Usage: mmapkit find [--limit N] [--json] [--threads N] PATTERN FILE

Prints the byte offsets of the non-overlapping occurrences of PATTERN (a fixed string, matched as
UTF-8 bytes) in FILE, ascending, one per line. Exits 1 when there is none. Put '--' before a
PATTERN that starts with '-'.

  --limit N    stop after the first N offsets (N >= 1)
  --json       {"pattern": "ERROR", "path": "a.log", "offsets": [17, 4242], "truncated": false}
               (truncated: --limit stopped the search before the last occurrence)
  --threads N  scan on N threads (default: all cores)`
export const options = ['limit']

/** Offsets per write, so that millions of them never make one huge string. */
const LINES_PER_WRITE = 100_000

/** @param {import('../mmapkit.mjs').Context} ctx */
export async function run({ operands, options, json, threads, out }) {
  const [pattern, path, ...extra] = operands
  if (pattern === undefined) throw new UsageError('find: missing PATTERN operand')
  if (pattern === '') throw new UsageError('find: PATTERN must not be empty')
  if (path === undefined) throw new UsageError('find: missing FILE operand')
  if (extra.length > 0) throw new UsageError(`find: extra operand '${extra[0]}' (one FILE at a time)`)
  const limitText = options.get('limit')
  const limit = typeof limitText === 'string' ? parseInteger('limit', limitText, 1) : undefined
  // Ask for one more than the limit to tell whether the limit cut the list short.
  const search = limit === undefined ? {} : { limit: limit + 1 }
  const [found] = await scanFiles([path], { label: 'find', quiet: json, threads }, (file, scan) =>
    file.findAllAsync(pattern, { ...scan, ...search }),
  )
  const truncated = limit !== undefined && found.length > limit
  const offsets = truncated ? found.slice(0, limit) : found
  if (json) {
    out(JSON.stringify({ pattern, path, offsets, truncated }))
  } else {
    for (let i = 0; i < offsets.length; i += LINES_PER_WRITE) {
      out(offsets.slice(i, i + LINES_PER_WRITE).join('\n'))
    }
  }
  return offsets.length === 0 ? EXIT_NO_MATCH : EXIT_OK
}
