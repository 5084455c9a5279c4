// Zero every other byte (every even offset) of a large file, 1 MiB at a time, through writable
// zero-copy chunks of a readWrite mapping; then flush() and verify.
//
//   node --import @oxc-node/core/register examples/zero-every-other-byte.ts [FILE]
//
// Without an argument it generates a 64 MiB file in a temp dir. With FILE it overwrites half of
// that file's bytes (use a copy!).
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { MemoryMappedFile } from 'mmapkit'

const MiB = 1 << 20
const original = (offset: number) => (offset % 251) + 1 // the generated file's byte at `offset`: never 0

let path = process.argv[2]
let tempDir: string | undefined
if (!path) {
  tempDir = mkdtempSync(join(tmpdir(), 'mmapkit-zero-'))
  path = join(tempDir, 'big.bin')
  const fd = openSync(path, 'w')
  const block = Buffer.alloc(MiB)
  for (let offset = 0; offset < 64 * MiB; offset += MiB) {
    for (let i = 0; i < MiB; i++) block[i] = original(offset + i)
    writeSync(fd, block)
  }
  closeSync(fd)
}

try {
  const start = performance.now()
  {
    using file = MemoryMappedFile.openRw(path, { advice: 'sequential' })
    let offset = 0 // file offset of the current chunk
    for (const chunk of file.chunks(MiB)) {
      // Chunks are plain Buffers over the mapping: this loop writes the file's pages directly.
      for (let i = offset % 2; i < chunk.length; i += 2) chunk[i] = 0
      offset += chunk.length
    }
    file.flush() // msync: durable when it returns
    console.log(
      `zeroed ${Math.ceil(file.length / 2)} of ${file.length} bytes in ${(performance.now() - start).toFixed(0)} ms`,
    )
  }

  // Verify with plain fs reads (not through the mapping), 1 MiB at a time.
  const fd = openSync(path, 'r')
  const block = Buffer.alloc(MiB)
  let errors = 0
  try {
    for (let offset = 0, n; (n = readSync(fd, block, 0, MiB, offset)) > 0; offset += n) {
      for (let i = 0; i < n; i++) {
        const at = offset + i
        if (at % 2 === 0 ? block[i] !== 0 : tempDir && block[i] !== original(at)) errors++
      }
    }
  } finally {
    closeSync(fd)
  }
  if (errors > 0) throw new Error(`${errors} bytes are wrong`)
  console.log(tempDir ? 'verified: even bytes are 0, odd bytes unchanged' : 'verified: even bytes are 0')
} finally {
  if (tempDir) rmSync(tempDir, { recursive: true, force: true })
}
