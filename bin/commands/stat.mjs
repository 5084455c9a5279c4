import { pageSize } from '../../index.js'
import { EXIT_OK, UsageError } from '../lib/errors.mjs'
import { formatBytes, formatCount } from '../lib/format.mjs'
import { scanFiles } from '../lib/scan.mjs'

export const summary = 'size, lines, pages, and pages resident in the page cache'
export const usage = `Usage: mmapkit stat [--json] [--threads N] FILE

Prints FILE's size, its line count, its size in pages, and how many of those pages are in the
page cache (RAM) before this command reads the file, from mmapkit's residency() (mincore(2); not
available on Windows, where it is reported as unknown: null in JSON).

  --json       {"path": "a.log", "size": 4096, "lines": 51, "pageSize": 4096, "pages": 1,
                "residentPages": 1, "residentSource": "mincore"}
  --threads N  count lines on N threads (default: all cores)`
/** @type {string[]} */
export const options = []

/** @param {import('../mmapkit.mjs').Context} ctx */
export async function run({ operands, json, threads, out }) {
  const [path, ...extra] = operands
  if (path === undefined) throw new UsageError('stat: missing FILE operand')
  if (extra.length > 0) throw new UsageError(`stat: extra operand '${extra[0]}' (one FILE at a time)`)
  // Residency first: counting the lines reads every page into the cache.
  /** @type {{ residentBytes: number } | null} */
  let residency = null
  let source = 'mincore'
  let size = 0
  const [lines] = await scanFiles([path], { label: 'stat', quiet: json, threads }, (file, scan) => {
    size = file.length
    try {
      residency = file.residency()
    } catch (error) {
      source = `not reported: ${/** @type {Error} */ (error).message}`
    }
    return file.countLinesAsync(scan)
  })
  const page = pageSize()
  const pages = Math.ceil(size / page)
  // Only the last page can be partly inside the file: rounding up counts it when resident.
  const resident =
    residency === null ? null : Math.ceil(/** @type {{ residentBytes: number }} */ (residency).residentBytes / page)
  if (json) {
    out(JSON.stringify({ path, size, lines, pageSize: page, pages, residentPages: resident, residentSource: source }))
    return EXIT_OK
  }
  const residentText =
    resident === null
      ? `unknown (${source})`
      : `${formatCount(resident)} of ${formatCount(pages)} pages (${pages ? ((100 * resident) / pages).toFixed(1) : '100.0'}%) before this scan (${source})`
  out(
    [
      `file:      ${path}`,
      `size:      ${formatCount(size)} bytes${size >= 1024 ? ` (${formatBytes(size)})` : ''}`,
      `lines:     ${formatCount(lines)}`,
      `page size: ${formatCount(page)} bytes`,
      `pages:     ${formatCount(pages)}`,
      `resident:  ${residentText}`,
    ].join('\n'),
  )
  return EXIT_OK
}
