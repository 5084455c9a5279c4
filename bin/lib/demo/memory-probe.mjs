// A child process of `mmapkit demo`: maps the file and counts its lines ('mmap'), or reads it all
// into memory ('read'), in a fresh Node process, and prints that process's memory use before and
// after as JSON. A fresh process per side keeps each measurement clean of the other's.
//
//   node memory-probe.mjs mmap|read FILE
import { constants } from 'node:buffer'
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs'

import { MemoryMappedFile } from '../../../index.js'

const GiB = 2 ** 30

/** Resident memory from /proc/self/status (Linux): total, anonymous, file-backed; bytes. */
function memory() {
  if (process.platform !== 'linux') return { rss: process.memoryUsage().rss, anon: null, file: null }
  const status = readFileSync('/proc/self/status', 'utf8')
  const field = (/** @type {string} */ name) =>
    Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]) * 1024
  return { rss: field('VmRSS'), anon: field('RssAnon'), file: field('RssFile') }
}

const [mode, path] = process.argv.slice(2)
const before = memory()
/** @type {Record<string, unknown>} */
const report = { mode, before }
if (mode === 'mmap') {
  const file = MemoryMappedFile.openRo(path)
  report.lines = file.countLines()
  report.after = memory()
  file.close()
} else {
  const size = statSync(path).size
  /** @type {Buffer[]} */
  const pieces = []
  if (size <= constants.MAX_LENGTH) {
    pieces.push(readFileSync(path))
  } else {
    // Too big for one Buffer: read it in 1 GiB pieces, all kept in memory.
    const fd = openSync(path, 'r')
    for (let at = 0; at < size; at += GiB) {
      const piece = Buffer.allocUnsafe(Math.min(GiB, size - at))
      for (let got = 0; got < piece.length;)
        got += readSync(fd, piece, got, piece.length - got, at + got) || piece.length
      pieces.push(piece)
    }
    closeSync(fd)
  }
  report.pieces = pieces.length
  report.after = memory()
}
process.stdout.write(JSON.stringify(report))
