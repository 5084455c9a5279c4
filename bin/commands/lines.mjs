import { EXIT_ERROR, EXIT_OK } from '../lib/errors.mjs'
import { countColumn } from '../lib/format.mjs'
import { countStreamLines, stdinOperand } from '../lib/inputs.mjs'
import { eachFile } from '../lib/scan.mjs'

export const summary = "count the lines ('\\n' bytes) of each FILE, like wc -l"
export const usage = `Usage: mmapkit lines [--json] [--threads N] [FILE...]

Counts the newline bytes of each FILE, like wc -l (a last line without '\\n' is not counted),
and prints a total when there is more than one FILE. Regular files are mapped; pipes, '-'
(stdin) and files of unknown size such as /proc/cpuinfo are read. A FILE that cannot be read is
reported on stderr and the others are still counted (exit status 2 at the end).

  --json       {"files": [{"path": "a.log", "lines": 120}], "total": 120}
               (a failed file: {"path": "b.log", "error": {"code": "ENOENT", "message": "..."}})
  --threads N  scan on N threads (default: all cores)`
/** @type {string[]} */
export const options = []

/** @param {import('../mmapkit.mjs').Context} ctx */
export async function run({ operands, json, threads, out }) {
  const files = operands.length > 0 ? operands : stdinOperand('lines')
  const { results, failed } = await eachFile(files, { label: 'lines', quiet: json, threads }, (input, scan) =>
    input.kind === 'map' ? input.file.countLinesAsync(scan) : countStreamLines(input.stream),
  )
  const total = results.reduce((sum, result) => sum + ('value' in result ? result.value : 0), 0)
  if (json) {
    const files = results.map((result) =>
      'value' in result
        ? { path: result.path, lines: result.value }
        : { path: result.path, error: { code: result.error.code ?? 'ERROR', message: result.error.message } },
    )
    out(JSON.stringify({ files, total }))
  } else {
    /** @type {[number, string][]} */
    const rows = results.flatMap((result) => ('value' in result ? [[result.value, result.path]] : []))
    if (operands.length > 1) rows.push([total, 'total'])
    if (rows.length > 0) out(countColumn(rows))
  }
  return failed ? EXIT_ERROR : EXIT_OK
}
