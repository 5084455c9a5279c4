// Files beyond 4 GiB: offsets past 2**32 work for readInto/updateRegion/asBuffer/windows, and a
// view longer than buffer.constants.MAX_LENGTH throws instead of being shortened.
import { constants } from 'node:buffer'
import { closeSync, openSync, readFileSync, readSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

import test from 'ava'

import { MemoryMappedFile } from '../index.js'
import { tempDir, throwsLike } from './helpers.mjs'

// Windows has no POSIX permissions or uid switching, and NTFS files are not sparse by default.
const posixOnly = process.platform === 'win32' ? test.skip : test

const GiB = 2 ** 30
const SIZE = 6 * GiB
const FAR = 5 * GiB + 123

function sparseFile(t: import('ava').ExecutionContext): string {
  const path = join(tempDir(t), 'sparse-6g.bin')
  writeFileSync(path, '')
  truncateSync(path, SIZE)
  return path
}

function fsRead(path: string, position: number, length: number): Buffer {
  const fd = openSync(path, 'r')
  try {
    const out = Buffer.alloc(length)
    readSync(fd, out, 0, length, position)
    return out
  } finally {
    closeSync(fd)
  }
}

posixOnly('readInto and updateRegion work beyond 4 GiB on a 6 GiB sparse file', (t) => {
  const path = sparseFile(t)
  const file = MemoryMappedFile.openRw(path)
  t.is(file.length, SIZE)
  file.updateRegion(FAR, 'beyond four gibibytes')
  file.updateRegion(SIZE - 3, 'end')
  file.flush()
  t.is(fsRead(path, FAR, 21).toString(), 'beyond four gibibytes')
  t.is(fsRead(path, SIZE - 3, 3).toString(), 'end')
  const target = Buffer.alloc(21)
  t.is(file.readInto(FAR, target), 21)
  t.is(target.toString(), 'beyond four gibibytes')
  t.is(file.read(SIZE - 3, 3).toString(), 'end')
  throwsLike(t, () => file.readInto(SIZE - 2, Buffer.alloc(3)), { class: RangeError, code: 'ERR_OUT_OF_RANGE' })
  throwsLike(t, () => file.updateRegion(SIZE - 2, 'abc'), { class: RangeError, code: 'ERR_OUT_OF_RANGE' })
  file.close()
})

posixOnly('zero-copy views and windows at offsets beyond 4 GiB', (t) => {
  const path = sparseFile(t)
  const file = MemoryMappedFile.openRw(path)
  file.updateRegion(FAR, 'view me')
  const view = file.asBuffer(FAR, 4096)
  t.is(view.subarray(0, 7).toString(), 'view me')
  view.write('VIEW', 0)
  file.flush()
  t.is(fsRead(path, FAR, 7).toString(), 'VIEW me')
  file.close()

  const window = MemoryMappedFile.openRo(path, { offset: FAR, length: 100 })
  t.is(window.offset, FAR)
  t.is(window.length, 100)
  t.is(window.read(0, 7).toString(), 'VIEW me')
  if (process.platform === 'linux') {
    // Only the window (widened to whole pages) is mapped, not the 6 GiB file.
    const lines = readFileSync('/proc/self/maps', 'utf8')
      .split('\n')
      .filter((line) => line.endsWith(path))
    t.is(lines.length, 1, lines.join('\n'))
    const [start, end] = lines[0]
      .split(' ')[0]
      .split('-')
      .map((hex) => parseInt(hex, 16))
    t.true(end - start <= 2 * 4096 * 16, `mapped ${end - start} bytes`)
  }
  window.close()
})

posixOnly('a view longer than buffer.constants.MAX_LENGTH throws ERR_OUT_OF_RANGE, never a shorter view', (t) => {
  const path = sparseFile(t)
  const file = MemoryMappedFile.openRo(path)
  if (SIZE > constants.MAX_LENGTH) {
    const error = throwsLike(t, () => file.asBuffer(), { class: RangeError, code: 'ERR_OUT_OF_RANGE' })
    t.regex(error?.message ?? '', new RegExp(`It must be >= 0 && <= ${constants.MAX_LENGTH}\\. Received 6_442_450_944`))
    throwsLike(t, () => file.read(0, constants.MAX_LENGTH + 1), { class: RangeError, code: 'ERR_OUT_OF_RANGE' })
    const max = file.asBuffer(0, constants.MAX_LENGTH)
    t.is(max.length, constants.MAX_LENGTH)
  } else {
    t.is(file.asBuffer().length, SIZE)
  }
  file.close()
})

posixOnly('a 100 GiB file maps in every mode, larger than RAM and swap', (t) => {
  const path = join(tempDir(t), 'huge.bin')
  writeFileSync(path, '')
  truncateSync(path, 100 * GiB)
  for (const mode of ['readOnly', 'copyOnWrite', 'readWrite'] as const) {
    const file = MemoryMappedFile.open(path, { mode })
    t.is(file.length, 100 * GiB, mode)
    t.deepEqual(file.read(99 * GiB, 4), Buffer.alloc(4), mode)
    if (mode !== 'readOnly') file.updateRegion(99 * GiB, 'deep')
    t.is(file.countByte(0, 50 * GiB, 1 << 20), 1 << 20)
    file.close()
  }
})
