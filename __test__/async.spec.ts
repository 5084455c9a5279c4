// The Promise twins: same results as the sync methods, off the JS thread, with AbortSignal.
import { readFileSync } from 'node:fs'

import test from 'ava'

import { MemoryMappedFile, pageSize } from '../index.js'
import { rejectsLike, tempFile } from './helpers.mjs'

const ABORT = { class: Error, name: 'AbortError', code: 'ABORT_ERR', message: 'The operation was aborted' }

test('openAsync maps like open, in every mode and with options', async (t) => {
  const path = tempFile(t, Buffer.from('async open contents'))
  for (const mode of ['readOnly', 'readWrite', 'copyOnWrite'] as const) {
    const file = await MemoryMappedFile.openAsync(path, { mode, offset: 6, length: 4, populate: true })
    t.true(file instanceof MemoryMappedFile)
    t.is(file.mode, mode)
    t.is(file.read(0, 4).toString(), 'open')
    file.close()
  }
})

test('flushAsync and flushRangeAsync resolve after the data is on disk', async (t) => {
  const path = tempFile(t, Buffer.alloc(2 * pageSize()))
  const file = MemoryMappedFile.openRw(path)
  file.updateRegion(pageSize() + 1, 'async')
  t.is(await file.flushAsync(), undefined)
  t.is(file.pendingBytes, 0)
  file.updateRegion(3, 'range')
  await file.flushRangeAsync(3, 5)
  const onDisk = readFileSync(path)
  t.is(onDisk.subarray(pageSize() + 1, pageSize() + 6).toString(), 'async')
  t.is(onDisk.subarray(3, 8).toString(), 'range')
  file.close()
})

test('an abort after the call but before settling rejects with AbortError', async (t) => {
  const path = tempFile(t, 'abort me')
  const controller = new AbortController()
  const opening = MemoryMappedFile.openAsync(path, { signal: controller.signal })
  controller.abort()
  const error = await rejectsLike(t, opening, ABORT)
  t.true(error?.cause instanceof DOMException, 'cause is signal.reason')

  const file = MemoryMappedFile.openRw(path)
  const second = new AbortController()
  const flushing = file.flushAsync({ signal: second.signal })
  second.abort('why')
  const flushError = await rejectsLike(t, flushing, ABORT)
  t.is(flushError?.cause, 'why')
  file.close()
})

test('the signal is watched with addEventListener: a user onabort handler survives', async (t) => {
  const path = tempFile(t, 'x')
  const controller = new AbortController()
  let userHandlerCalls = 0
  controller.signal.onabort = () => userHandlerCalls++
  const file = await MemoryMappedFile.openAsync(path, { signal: controller.signal })
  await file.flushAsync({ signal: controller.signal })
  controller.abort()
  t.is(userHandlerCalls, 1)
  file.close()
})

test('many concurrent async calls all settle', async (t) => {
  const path = tempFile(t, Buffer.alloc(pageSize()))
  const files = await Promise.all(
    Array.from({ length: 64 }, () => MemoryMappedFile.openAsync(path, { mode: 'readWrite' })),
  )
  await Promise.all(files.map((file, i) => (file.updateRegion(i, 'z'), file.flushAsync())))
  for (const file of files) file.close()
  t.is(readFileSync(path).subarray(0, 64).toString(), 'z'.repeat(64))
})
