// What a FILE operand is read through: a memory mapping for regular files, plain reads for
// everything mmap cannot see (pipes, character devices, '-' for stdin, /proc and /sys files,
// which say their size is 0), so that `mmapkit lines /proc/cpuinfo` equals `wc -l`.
import { createReadStream, fstatSync, statSync } from 'node:fs'
import { constants } from 'node:os'

import { MemoryMappedFile } from '../../index.js'
import { UsageError } from './errors.mjs'

/**
 * @typedef {{ kind: 'map', path: string, file: MemoryMappedFile, size: number }
 *   | { kind: 'stream', path: string, stream: AsyncIterable<Buffer>, size: 0 }} Input
 */

/**
 * Opens `path` ('-': stdin). Errors are the open's own (ENOENT, EISDIR, EACCES ...).
 * @param {string} path
 * @returns {Input}
 */
export function openInput(path) {
  if (path === '-') {
    // A directory as stdin (`< /tmp`) reads as nothing: say what it is, as `mmapkit lines DIR` does.
    if (fstatSync(0).isDirectory()) {
      throw Object.assign(new Error('EISDIR: illegal operation on a directory, read'), {
        code: 'EISDIR',
        errno: -constants.errno.EISDIR,
        syscall: 'read',
      })
    }
    return { kind: 'stream', path, stream: process.stdin, size: 0 }
  }
  let stats
  try {
    stats = statSync(path)
  } catch {
    stats = undefined // let the open report it, in its own words
  }
  if (stats && !stats.isDirectory() && !(stats.isFile() && stats.size > 0)) {
    // Not mappable, or a file that does not know its size (procfs, sysfs): read it.
    const stream = createReadStream(path, { highWaterMark: 1 << 20 })
    return { kind: 'stream', path, stream, size: 0 }
  }
  const file = MemoryMappedFile.openRo(path)
  return { kind: 'map', path, file, size: file.length }
}

/** Releases an input. @param {Input} input */
export function closeInput(input) {
  if (input.kind === 'map') input.file.close()
  else if (input.stream !== process.stdin) /** @type {import('node:fs').ReadStream} */ (input.stream).destroy()
}

/**
 * Newline bytes of a stream.
 * @param {AsyncIterable<Buffer>} stream
 */
export async function countStreamLines(stream) {
  let count = 0
  for await (const chunk of stream) {
    for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) count++
  }
  return count
}

/**
 * Offsets of the non-overlapping occurrences of `pattern` in a stream, greedy from the left (as
 * `count` and `find` on a mapping), across chunk boundaries; memory bounded by the chunk size.
 * @param {AsyncIterable<Buffer>} stream
 * @param {Buffer} pattern
 * @returns {AsyncGenerator<number[]>} the offsets, a chunk's worth at a time
 */
export async function* streamMatches(stream, pattern) {
  let carry = Buffer.alloc(0)
  let base = 0 // offset of carry[0] in the stream
  for await (const chunk of stream) {
    const data = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk
    /** @type {number[]} */
    const found = []
    let at = 0
    for (let i = data.indexOf(pattern); i !== -1; i = data.indexOf(pattern, at)) {
      found.push(base + i)
      at = i + pattern.length
    }
    if (found.length > 0) yield found
    // Keep what could still begin a match, but never bytes of a match already counted.
    const keep = Math.max(at, data.length - (pattern.length - 1))
    carry = Buffer.from(data.subarray(keep))
    base += keep
  }
}

/**
 * The operands a command reads when given no FILE: `['-']` (stdin) when stdin is a pipe or a file,
 * as wc and grep do; a usage error when it is a terminal (nobody is typing the input).
 * @param {string} command
 * @returns {string[]}
 */
export function stdinOperand(command) {
  if (process.stdin.isTTY) throw new UsageError(`${command}: missing FILE operand (or pipe the input in)`)
  return ['-']
}
