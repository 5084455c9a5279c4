// Page-cache residency and eviction, through standard tools: JavaScript cannot call mincore(2) or
// posix_fadvise(2), and mmapkit does not bind them, so this asks programs that can. Where none is
// available the answer is "unknown", never a guess.
import { spawnSync } from 'node:child_process'

/**
 * @typedef {object} Residency
 * @property {number | null} resident pages of the file in the page cache, or null if unknown
 * @property {string} source how it was measured, or why it is unknown
 */

/**
 * How many of the file's pages are in the page cache, from util-linux `fincore` (which uses
 * mincore(2) or cachestat(2)). Linux only.
 * @param {string} path
 * @returns {Residency}
 */
export function residentPages(path) {
  if (process.platform !== 'linux') return { resident: null, source: `not reported on ${process.platform}` }
  const run = spawnSync('fincore', ['--raw', '--noheadings', '--output', 'PAGES', path], { encoding: 'utf8' })
  if (run.error) return { resident: null, source: 'fincore (util-linux) not found' }
  const pages = Number(run.stdout.trim())
  if (run.status !== 0 || run.stdout.trim() === '' || !Number.isSafeInteger(pages)) {
    return { resident: null, source: `fincore failed: ${run.stderr.trim().split('\n', 1)[0]}` }
  }
  return { resident: pages, source: 'fincore' }
}

/** Ways to call posix_fadvise(POSIX_FADV_DONTNEED) on a whole file, tried in order. */
const EVICTORS = [
  // GNU dd: with count=0, iflag=nocache drops the whole file's cache.
  {
    name: 'dd iflag=nocache',
    command: 'dd',
    args: (/** @type {string} */ path) => [`if=${path}`, 'iflag=nocache', 'count=0', 'status=none'],
  },
  {
    name: 'python3 os.posix_fadvise',
    command: 'python3',
    args: (/** @type {string} */ path) => [
      '-c',
      'import os, sys; fd = os.open(sys.argv[1], os.O_RDONLY); os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)',
      path,
    ],
  },
]

/**
 * Asks the kernel to drop the file's clean pages from the page cache (dirty pages stay: fsync
 * first). Returns the method that ran without error, or null if none could. Whether the pages
 * really left is for `residentPages` to say (tmpfs, for one, keeps them).
 * @param {string} path
 * @returns {string | null}
 */
export function evictFromPageCache(path) {
  for (const evictor of EVICTORS) {
    const run = spawnSync(evictor.command, evictor.args(path), { stdio: 'ignore' })
    if (!run.error && run.status === 0) return evictor.name
  }
  return null
}
