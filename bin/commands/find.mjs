import { parseInteger } from '../lib/args.mjs'
import { EXIT_ERROR, EXIT_NO_MATCH, EXIT_OK, UsageError } from '../lib/errors.mjs'
import { stdinOperand, streamMatches } from '../lib/inputs.mjs'
import { createWriter } from '../lib/output.mjs'
import { eachFile } from '../lib/scan.mjs'

export const summary = 'print the byte offset of each occurrence, one per line, as found'
export const usage = `Usage: mmapkit find [--limit N] [--json] PATTERN [FILE...]

Prints the byte offsets of the non-overlapping occurrences of PATTERN (a fixed string, matched as
UTF-8 bytes) in each FILE, ascending, one per line, as they are found: memory stays constant
whatever their number, and 'mmapkit find ERROR big.log | head -3' returns at once. With several
FILEs each line is 'FILE:OFFSET' (as grep prints it). Exits 1 when there is none, 2 if a FILE could
not be read (the others are still searched). Pipes, '-' (stdin) and /proc files are read instead of
mapped. Put '--' before a PATTERN that starts with '-'.

  --limit N    stop after the first N offsets of each FILE (N >= 1)
  --json       {"pattern": "ERROR", "path": "a.log", "offsets": [17, 4242], "truncated": false}
               (several FILEs: {"pattern": ..., "files": [{"path": ..., "offsets": ..., ...}]});
               truncated: --limit stopped the search before the last occurrence
  --threads N  search on N threads (default: all cores); offsets still come in order`
export const options = ['limit']

/** A mapped file is searched in blocks of this size, between which output and progress move on. */
const BLOCK = 16 << 20
/** Offsets handed on at a time. */
const BATCH = 4096

/**
 * The offsets of the non-overlapping matches in a mapped file, in batches, block by block.
 * @param {import('../../index.js').MemoryMappedFile} file
 * @param {Buffer} needle
 * @param {(done: number) => void} progress
 * @param {number | undefined} threads
 */
async function* mappedMatches(file, needle, progress, threads) {
  const size = file.length
  let from = 0 // where the next match may start (after the last one: non-overlapping)
  for (let blockStart = 0; blockStart < size; blockStart += BLOCK) {
    const blockEnd = Math.min(size, blockStart + BLOCK)
    if (from < blockEnd) {
      // Matches starting in [from, blockEnd), reading up to needle.length - 1 bytes past it.
      const length = Math.min(size, blockEnd + needle.length - 1) - from
      // The iterator's native batch call (what lib/batches.js's next() uses): BATCH offsets a call.
      const matches = /** @type {{ nextBatch(out: Float64Array): number }} */ (
        /** @type {unknown} */ (
          file.matches(needle, { offset: from, length, ...(threads === undefined ? {} : { threads }) })
        )
      )
      const found = new Float64Array(BATCH)
      for (;;) {
        const n = matches.nextBatch(found)
        let end = 0
        while (end < n && found[end] < blockEnd) end++
        if (end > 0) {
          from = found[end - 1] + needle.length
          yield Array.from(found.subarray(0, end))
        }
        if (end < n || n < found.length) break
      }
    }
    from = Math.max(from, blockEnd)
    progress(blockEnd)
    yield []
  }
}

/** @param {import('../mmapkit.mjs').Context} ctx */
export async function run({ operands, options, json, threads }) {
  const [pattern, ...paths] = operands
  if (pattern === undefined) throw new UsageError('find: missing PATTERN operand')
  if (pattern === '') throw new UsageError('find: PATTERN must not be empty')
  if (paths.length === 0) paths.push(...stdinOperand('find'))
  const limitText = options.get('limit')
  const limit = typeof limitText === 'string' ? parseInteger('limit', limitText, 1) : Infinity
  const needle = Buffer.from(pattern)
  const several = paths.length > 1
  const writer = createWriter()
  let total = 0
  let first = true
  if (json) writer.write(`{"pattern":${JSON.stringify(pattern)},${several ? '"files":[' : ''}`)
  let current = ''
  /** A file that failed before its search began: its JSON entry is just the error. */
  const onFailure = (/** @type {string} */ path, /** @type {Error & { code?: string }} */ error) => {
    if (!json || current === path) return
    const entry = `"path":${JSON.stringify(path)},"error":${JSON.stringify({ code: error.code ?? 'ERROR', message: error.message })}`
    writer.write(several ? `${first ? '' : ','}{${entry}}` : entry)
    first = false
  }
  const settings = { label: 'find', quiet: json, onFailure }
  const { failed } = await eachFile(paths, settings, async (input, _scan, progress) => {
    current = input.path
    const prefix = several ? `${input.path}:` : ''
    if (json) writer.write(`${several ? (first ? '{' : ',{') : ''}"path":${JSON.stringify(input.path)},"offsets":[`)
    first = false
    let count = 0
    let truncated = false
    let ended = false
    const batches =
      input.kind === 'map' ? mappedMatches(input.file, needle, progress, threads) : streamMatches(input.stream, needle)
    try {
      for await (const batch of batches) {
        if (batch.length > 0) {
          const room = limit - count
          const taken = batch.length > room ? batch.slice(0, room) : batch
          if (taken.length > 0) {
            const text = json
              ? `${count === 0 ? '' : ','}${taken.join(',')}`
              : `${taken.map((at) => `${prefix}${at}`).join('\n')}\n`
            count += taken.length
            if (writer.write(text)) await writer.flush()
          }
          if (batch.length > room) {
            truncated = true // a match beyond the limit exists
            break
          }
        } else {
          await writer.flush() // between blocks: let output, EPIPE and Ctrl-C through
        }
      }
    } catch (error) {
      // Output already written stays; the JSON document stays well-formed.
      if (json) {
        const code = /** @type {{ code?: string }} */ (error).code ?? 'ERROR'
        const message = error instanceof Error ? error.message : String(error)
        writer.write(`],"error":${JSON.stringify({ code, message })}${several ? '}' : ''}`)
        ended = true
      }
      throw error
    } finally {
      if (json && !ended) writer.write(`],"truncated":${truncated}${several ? '}' : ''}`)
    }
    total += count
    return count
  })
  if (json) writer.write(`${several ? ']' : ''}}\n`)
  await writer.flush()
  if (failed) return EXIT_ERROR
  return total === 0 ? EXIT_NO_MATCH : EXIT_OK
}
