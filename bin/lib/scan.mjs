// Runs one async scan per file, one file at a time, with a single progress bar over all of them.
import { statSync } from 'node:fs'

import { MemoryMappedFile } from '../../index.js'
import { createProgress } from './progress.mjs'

/**
 * @template T
 * @typedef {(file: MemoryMappedFile, options: import('../../index.js').AsyncScanOptions) => Promise<T>} Scan
 */

/**
 * Maps each file read-only, runs `scan` on it and closes it. Files are opened one at a time (any
 * number of them works) and the results are returned only when all succeeded, so a command that
 * fails on its third file has printed nothing on stdout.
 * @template T
 * @param {string[]} paths
 * @param {{ label: string, quiet: boolean, threads?: number }} settings quiet: no progress bar
 * @param {Scan<T>} scan
 * @returns {Promise<T[]>}
 */
export async function scanFiles(paths, { label, quiet, threads }, scan) {
  const total = paths.reduce((sum, path) => sum + sizeOrZero(path), 0)
  const progress = createProgress(label, total, quiet ? { enabled: false } : {})
  const results = []
  let before = 0
  try {
    for (const path of paths) {
      const file = MemoryMappedFile.openRo(path)
      try {
        const onProgress = (/** @type {number} */ done) => progress.update(before + done)
        results.push(await scan(file, threads === undefined ? { onProgress } : { onProgress, threads }))
        before += file.length
      } finally {
        file.close()
      }
    }
  } finally {
    progress.finish()
  }
  return results
}

/** The size for the progress bar's total; errors are left for the open to report. @param {string} path */
function sizeOrZero(path) {
  try {
    return statSync(path).size
  } catch {
    return 0
  }
}
