// Runs one scan per file, one file at a time, with a single progress bar over all of them.
import { statSync } from 'node:fs'

import { MemoryMappedFile } from '../../index.js'
import { closeInput, openInput } from './inputs.mjs'
import { createProgress } from './progress.mjs'
import { EXIT_ERROR } from './errors.mjs'

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

/**
 * @template T
 * @typedef {{ path: string, value: T } | { path: string, error: Error & { code?: string } }} FileResult
 */

/**
 * The one stderr line for a file that failed, naming the file (OS errors already do).
 * @param {string} path
 * @param {unknown} error
 */
export function fileErrorLine(path, error) {
  const message = (error instanceof Error ? error.message : String(error)).split('\n', 1)[0]
  return message.includes(`'${path}'`) ? `mmapkit: ${message}` : `mmapkit: ${path}: ${message}`
}

/**
 * Runs `work` on each FILE operand in turn, like wc and grep: a file that fails is reported on
 * stderr at once (naming it) and the next one is processed; the caller sets the exit status.
 * Regular files are mapped; pipes, '-' and files of unknown size (procfs) are read (inputs.mjs).
 * @template T
 * @param {string[]} paths
 * @param {{ label: string, quiet: boolean, threads?: number, onFailure?: (path: string, error: Error) => void }} settings
 *   quiet: no progress bar; onFailure: called after a failed file is reported
 * @param {(input: import('./inputs.mjs').Input, scan: import('../../index.js').AsyncScanOptions, progress: (done: number) => void) => Promise<T>} work
 * @returns {Promise<{ results: FileResult<T>[], failed: boolean }>}
 */
export async function eachFile(paths, { label, quiet, threads, onFailure }, work) {
  const total = paths.reduce((sum, path) => sum + (path === '-' ? 0 : sizeOrZero(path)), 0)
  const progress = createProgress(label, total, quiet ? { enabled: false } : {})
  /** @type {FileResult<T>[]} */
  const results = []
  let failed = false
  let before = 0
  try {
    for (const path of paths) {
      let input
      try {
        input = openInput(path)
        const start = before
        const onProgress = (/** @type {number} */ done) => progress.update(start + done)
        const scan = threads === undefined ? { onProgress } : { onProgress, threads }
        results.push({ path, value: await work(input, scan, onProgress) })
      } catch (error) {
        failed = true
        // Now, not only at the end: a reader that closes the pipe early (EPIPE) ends the process
        // with the status so far, which must still say a file failed.
        process.exitCode = EXIT_ERROR
        progress.clear()
        process.stderr.write(`${fileErrorLine(path, error)}\n`)
        results.push({ path, error: /** @type {Error} */ (error) })
        onFailure?.(path, /** @type {Error} */ (error))
      } finally {
        if (input) {
          before += input.size
          closeInput(input)
        }
      }
    }
  } finally {
    progress.finish()
  }
  return { results, failed }
}
