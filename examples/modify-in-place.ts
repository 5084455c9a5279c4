// Modify a file in place: uppercase every ASCII letter of a text file through writable zero-copy
// views of a readWrite mapping, then flush() so the change is on disk.
//
//   node --import @oxc-node/core/register examples/modify-in-place.ts [FILE]
//
// Without an argument it generates a 4 MiB text file in a temp dir. With FILE it rewrites that
// file (use a copy!). UTF-8 stays valid: bytes of multi-byte characters are all >= 0x80 and are
// left alone.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { MemoryMappedFile } from 'mmapkit'

const LOWER_A = 0x61
const LOWER_Z = 0x7a
const CASE_BIT = 0x20 // 'a' - 'A'

let path = process.argv[2]
let tempDir: string | undefined
if (!path) {
  tempDir = mkdtempSync(join(tmpdir(), 'mmapkit-modify-'))
  path = join(tempDir, 'text.txt')
  const line = 'The quick brown fox jumps over the lazy dog: ça coûte 5 € (naïve café).\n'
  writeFileSync(path, line.repeat(Math.ceil((4 << 20) / Buffer.byteLength(line))))
}

try {
  // Only to check the result at the end; a real program would not read the file twice.
  const expected = Buffer.from(readFileSync(path).map((b) => (b >= LOWER_A && b <= LOWER_Z ? b ^ CASE_BIT : b)))

  let changed = 0
  {
    using file = MemoryMappedFile.openRw(path)
    // chunks() hands out zero-copy Buffers over consecutive 1 MiB pieces of the mapping. In
    // readWrite mode, assigning to chunk[i] writes the file's page-cache page directly: no read()
    // into a buffer, no write() back.
    for (const chunk of file.chunks(1 << 20)) {
      for (let i = 0; i < chunk.length; i++) {
        const b = chunk[i]
        if (b >= LOWER_A && b <= LOWER_Z) {
          chunk[i] = b ^ CASE_BIT
          changed++
        }
      }
    }
    // Writes through views are not counted in `pendingBytes`, but flush() syncs the whole mapping
    // (msync MS_SYNC): when it returns, the data is on the storage device.
    file.flush()
    console.log(`uppercased ${changed} letters in ${file.length} bytes, flushed`)
  } // `using`: the mapping is closed here; the views from chunks() are detached

  const actual = readFileSync(path)
  if (!actual.equals(expected)) throw new Error('the file does not match the expected result')
  console.log(`verified with fs.readFileSync; it starts with: ${actual.toString('utf8', 0, actual.indexOf('\n'))}`)
} finally {
  if (tempDir) rmSync(tempDir, { recursive: true, force: true })
}
