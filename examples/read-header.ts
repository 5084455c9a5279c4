// Read the first bytes of files: detect the file type from its "magic number" and print the first
// line of text files.
//
//   node --import @oxc-node/core/register examples/read-header.ts [FILE...]
//
// Without arguments it creates a few sample files (PNG, gzip, ELF, text, empty) in a temp dir.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { gzipSync } from 'node:zlib'

import { MemoryMappedFile } from 'mmapkit'

const MAGICS: [name: string, magic: number[]][] = [
  ['PNG image', [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]],
  ['gzip data', [0x1f, 0x8b]],
  ['ELF executable', [0x7f, 0x45, 0x4c, 0x46]],
  ['PDF document', [0x25, 0x50, 0x44, 0x46, 0x2d]],
  ['ZIP archive', [0x50, 0x4b, 0x03, 0x04]],
]

// One buffer, reused for every file: `readInto` copies into it, nothing is allocated per file.
const header = Buffer.alloc(16)

function describe(path: string): string {
  // `using` closes (unmaps) the file at the end of this function, even if something throws.
  using file = MemoryMappedFile.openRo(path)
  if (file.length === 0) return 'empty file'

  // `readInto` copies exactly `target.byteLength` bytes and throws ERR_OUT_OF_RANGE if the file is
  // shorter, so pass a target no longer than the file.
  const head = header.subarray(0, Math.min(header.length, file.length))
  file.readInto(0, head)
  for (const [name, magic] of MAGICS) {
    if (head.length >= magic.length && magic.every((byte, i) => head[i] === byte)) {
      return `${name} (${head.subarray(0, magic.length).toString('hex')})`
    }
  }

  // Not a known binary format: show the first line. `asBuffer` is a zero-copy view of the mapping,
  // so looking at the first 4 KiB of a huge file reads only those pages.
  const start = file.asBuffer(0, Math.min(file.length, 4096))
  const newline = start.indexOf('\n')
  const firstLine = start.toString('utf8', 0, newline === -1 ? start.length : newline)
  return `text, first line: ${JSON.stringify(firstLine)}`
}

let paths = process.argv.slice(2)
let tempDir: string | undefined
if (paths.length === 0) {
  tempDir = mkdtempSync(join(tmpdir(), 'mmapkit-read-header-'))
  const samples: Record<string, Uint8Array | string> = {
    'image.png': Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), // signature + IHDR chunk start
    'notes.txt.gz': gzipSync('compressed text\n'),
    'program.elf': Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]), Buffer.alloc(57)]), // 64-bit LE header
    'notes.txt': 'Memory-mapped files are fun.\nSecond line.\n',
    'empty.bin': '',
  }
  paths = Object.entries(samples).map(([name, contents]) => {
    const path = join(tempDir!, name)
    writeFileSync(path, contents)
    return path
  })
}

try {
  for (const path of paths) {
    try {
      console.log(`${basename(path)}: ${describe(path)}`)
    } catch (error) {
      // mmapkit throws Node-style errors: `code` is 'ENOENT', 'EISDIR', 'EACCES', ...
      console.error(`${basename(path)}: ${(error as Error).message}`)
      process.exitCode = 1
    }
  }
} finally {
  if (tempDir) rmSync(tempDir, { recursive: true, force: true })
}
