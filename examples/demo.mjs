#!/usr/bin/env node
// `npm run demo`: the core API on a generated file, compared with node:fs in the same run.
//
//   node examples/demo.mjs [--size 256M] [--dir /tmp]
//
// It writes a file of text lines, then: maps it and reads its header, scans it through one
// zero-copy view, times random 4 KiB reads (mmap readInto vs fs.readSync), edits it in place
// durably, shows that copyOnWrite and readOnly writes stay private, and removes the file.
import { closeSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'

import { MemoryMappedFile, pageSize } from '../index.js'

const { values } = parseArgs({
  options: { size: { type: 'string', default: '256M' }, dir: { type: 'string', default: tmpdir() } },
})
const size = parseSize(values.size)
const workDir = mkdtempSync(join(values.dir, 'mmapkit-demo-'))
const path = join(workDir, 'demo.log')

function parseSize(text) {
  const match = /^(\d+(?:\.\d+)?)([KMG]?)i?B?$/i.exec(text)
  if (!match) throw new Error(`--size must look like 64M or 1G, not ${text}`)
  const unit = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30 }[match[2].toUpperCase()]
  return Math.floor(Number(match[1]) * unit)
}

function mib(bytes) {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`
}

function time(fn) {
  const start = process.hrtime.bigint()
  const result = fn()
  return { result, ms: Number(process.hrtime.bigint() - start) / 1e6 }
}

/** Writes ~80-byte log lines until the file has `size` bytes. */
function generate() {
  const fd = openSync(path, 'w')
  const levels = ['INFO', 'WARN', 'DEBUG', 'ERROR']
  let written = 0
  let line = 0
  const chunk = []
  let chunkBytes = 0
  while (written < size) {
    const text = `2026-11-22T10:${String(line % 60).padStart(2, '0')}:00Z ${levels[line % 4].padEnd(5)} request ${line} served in ${line % 997} us\n`
    chunk.push(text)
    chunkBytes += text.length
    line++
    if (chunkBytes >= 1 << 20 || written + chunkBytes >= size) {
      const buffer = Buffer.from(chunk.join('')).subarray(0, size - written)
      writeSync(fd, buffer)
      written += buffer.length
      chunk.length = 0
      chunkBytes = 0
    }
  }
  closeSync(fd)
}

const rows = []
const row = (step, result, note = '') => rows.push({ step, result, note })

try {
  const generated = time(generate)
  row('generate test file', mib(statSync(path).size), `${generated.ms.toFixed(0)} ms`)

  // 1. Map it (readOnly) and read the first bytes.
  const opened = time(() => MemoryMappedFile.openRo(path))
  const file = opened.result
  const header = Buffer.alloc(24)
  file.readInto(0, header)
  row('openRo + readInto(0, 24 bytes)', JSON.stringify(header.toString()), `open took ${opened.ms.toFixed(3)} ms`)

  // 2. One zero-copy view over the whole file: count lines with Buffer.indexOf.
  const counted = time(() => {
    const view = file.asBuffer()
    let lines = 0
    for (let at = view.indexOf(10); at !== -1; at = view.indexOf(10, at + 1)) lines++
    return lines
  })
  row(
    'count lines through asBuffer()',
    counted.result.toLocaleString(),
    `${(size / 2 ** 20 / (counted.ms / 1000)).toFixed(0)} MiB/s`,
  )

  // 3. Random 4 KiB reads: mmap readInto vs fs.readSync with a position, same offsets.
  const blocks = Math.floor(size / 4096)
  const offsets = Array.from({ length: 200_000 }, (_, i) => ((i * 2654435761) % blocks) * 4096)
  const target = Buffer.alloc(4096)
  // Warm up both paths once (page-table entries for the mapping, JIT for both loops), then time.
  for (const offset of offsets) file.readInto(offset, target)
  const viaMmap = time(() => {
    for (const offset of offsets) file.readInto(offset, target)
  })
  const fd = openSync(path, 'r')
  for (const offset of offsets.slice(0, 20_000)) readSync(fd, target, 0, 4096, offset)
  const viaFs = time(() => {
    for (const offset of offsets) readSync(fd, target, 0, 4096, offset)
  })
  closeSync(fd)
  const perOp = (ms) => `${((ms * 1e6) / offsets.length).toFixed(0)} ns/read`
  row('random 4 KiB reads: mmap readInto', perOp(viaMmap.ms), `${(viaFs.ms / viaMmap.ms).toFixed(1)}x fs.readSync`)
  row('random 4 KiB reads: fs.readSync', perOp(viaFs.ms))
  file.close()

  // 4. Edit in place, durably: readWrite + updateRegion + flush (msync MS_SYNC).
  const writer = MemoryMappedFile.openRw(path)
  writer.updateRegion(0, 'EDITED')
  const flushed = time(() => writer.flush())
  writer.close()
  const check = Buffer.alloc(6)
  const checkFd = openSync(path, 'r')
  readSync(checkFd, check, 0, 6, 0)
  closeSync(checkFd)
  row('openRw + updateRegion + flush', JSON.stringify(check.toString()), `flush (msync) ${flushed.ms.toFixed(2)} ms`)

  // 5. copyOnWrite and readOnly writes stay in this process.
  const cow = MemoryMappedFile.openCow(path)
  cow.updateRegion(0, 'PRIVATE')
  const readOnly = MemoryMappedFile.openRo(path)
  readOnly.asBuffer(0, 7).write('IGNORED')
  row('copyOnWrite sees', JSON.stringify(cow.read(0, 7).toString()), 'the file still starts with "EDITED"')
  cow.close()
  readOnly.close()

  // 6. Views are detached at close: no use-after-unmap is possible.
  const last = MemoryMappedFile.openRo(path)
  const view = last.asBuffer(0, pageSize())
  last.close()
  row('view.byteLength after close()', String(view.byteLength), 'detached, not dangling')

  console.log(`mmapkit demo on ${mib(size)} (${path})\n`)
  console.table(rows)
} finally {
  rmSync(workDir, { recursive: true, force: true })
}
