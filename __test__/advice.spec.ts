// Advice never loses data: advise('dontNeed') is a hint. On private memory (anonymous,
// copyOnWrite, readOnly), whose written pages exist nowhere else, it must not discard them (as
// MADV_DONTNEED would); on readWrite file mappings the written bytes stay in the file.
import { readFileSync } from 'node:fs'

import test from 'ava'

import { MemoryMappedFile, pageSize } from '../index.js'
import { tempFile } from './helpers.mjs'

const SIZE = 16 * 4096

/** Writes a marker into every page (through `write`), advises dontNeed, and checks it is still there. */
function survives(
  t: import('ava').ExecutionContext,
  file: MemoryMappedFile,
  write: (at: number, byte: number) => void,
  label: string,
) {
  for (let at = 0; at < file.length; at += pageSize()) write(at, ((at / pageSize()) % 250) + 1)
  file.advise('dontNeed')
  file.advise('dontNeed', pageSize(), pageSize() * 2)
  const data = file.read(0, file.length)
  for (let at = 0; at < file.length; at += pageSize()) {
    if (data[at] !== ((at / pageSize()) % 250) + 1) {
      t.fail(`${label}: the byte written at ${at} was lost (now ${data[at]})`)
      return
    }
  }
  t.pass(label)
}

test("advise('dontNeed') keeps what was written to anonymous, copyOnWrite, readOnly and readWrite mappings", (t) => {
  const original = Buffer.alloc(SIZE, 0xee)
  const anonymous = MemoryMappedFile.anonymous(SIZE)
  survives(t, anonymous, (at, b) => anonymous.updateRegion(at, Buffer.from([b])), 'anonymous updateRegion')
  const anonymousView = MemoryMappedFile.anonymous(SIZE)
  const anonymousBuffer = anonymousView.asBuffer()
  survives(t, anonymousView, (at, b) => (anonymousBuffer[at] = b), 'anonymous view')

  const cowPath = tempFile(t, original)
  const cow = MemoryMappedFile.openCow(cowPath)
  survives(t, cow, (at, b) => cow.updateRegion(at, Buffer.from([b])), 'copyOnWrite updateRegion')
  t.true(readFileSync(cowPath).equals(original), 'copyOnWrite writes still never reach the file')

  const roPath = tempFile(t, original)
  const readOnly = MemoryMappedFile.openRo(roPath)
  const view = readOnly.asBuffer()
  survives(t, readOnly, (at, b) => (view[at] = b), 'readOnly view (private)')
  t.true(readFileSync(roPath).equals(original), 'readOnly view writes still never reach the file')

  const rwPath = tempFile(t, original)
  const readWrite = MemoryMappedFile.openRw(rwPath)
  survives(t, readWrite, (at, b) => readWrite.updateRegion(at, Buffer.from([b])), 'readWrite updateRegion')
  readWrite.flush()
  t.is(readFileSync(rwPath)[pageSize()], 2, 'readWrite data reached the file')

  for (const file of [anonymous, anonymousView, cow, readOnly, readWrite]) file.close()
})

test("the open option advice: 'dontNeed' is accepted in every mode and loses nothing afterwards", (t) => {
  const path = tempFile(t, Buffer.alloc(SIZE, 3))
  for (const mode of ['readOnly', 'readWrite', 'copyOnWrite'] as const) {
    const file = MemoryMappedFile.open(path, { mode, advice: 'dontNeed' })
    t.is(file.read(0, 1)[0], 3, mode)
    file.close()
  }
})
