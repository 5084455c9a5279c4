// Flush policies: close() never waits for the background flusher's interval, and pendingBytes
// counts exactly the updateRegion bytes not yet synced (0 after every policy-driven full sync and
// after each synced write of 'always').
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

import test from 'ava'

import { MemoryMappedFile } from '../index.js'
import { tempFile } from './helpers.mjs'

const INDEX = fileURLToPath(new URL('../index.js', import.meta.url))

test('close() returns at once whatever everyMillis is (in a child: a hang fails, not blocks)', (t) => {
  const path = tempFile(t, Buffer.alloc(4096))
  // 20 closes with a 5 s interval take 100 s if close waits for the interval; 2**53 - 1 never ends.
  const script = `
    const { MemoryMappedFile } = require(${JSON.stringify(INDEX)})
    const path = ${JSON.stringify(path)}
    for (let i = 0; i < 20; i++) MemoryMappedFile.openRw(path, { flushPolicy: { everyMillis: 5000 } }).close()
    for (let i = 0; i < 5; i++) {
      const file = MemoryMappedFile.openRw(path, { flushPolicy: { everyMillis: 2 ** 53 - 1 } })
      file.updateRegion(0, 'pending')
      file.close()
    }
    process.stdout.write('closed')
  `
  const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000 })
  t.is(child.signal, null, `killed after 60 s: close() waited for the flusher. ${child.stderr}`)
  t.is(child.status, 0, child.stderr)
  t.is(child.stdout, 'closed')
})

test("'always': a synced updateRegion leaves nothing pending", (t) => {
  const file = MemoryMappedFile.openRw(tempFile(t, Buffer.alloc(8192)), { flushPolicy: 'always' })
  file.updateRegion(0, Buffer.alloc(10, 1))
  t.is(file.pendingBytes, 0)
  file.updateRegion(5000, 'more bytes')
  t.is(file.pendingBytes, 0)
  file.close()
})

test('everyBytes and everyWrites: the policy-driven sync of everything written leaves 0 pending', (t) => {
  const bytes = MemoryMappedFile.openRw(tempFile(t, Buffer.alloc(8192)), { flushPolicy: { everyBytes: 10 } })
  bytes.updateRegion(0, '12345')
  t.is(bytes.pendingBytes, 5)
  bytes.updateRegion(5, '67890')
  t.is(bytes.pendingBytes, 0)
  bytes.close()
  const writes = MemoryMappedFile.openRw(tempFile(t, Buffer.alloc(8192)), { flushPolicy: { everyWrites: 2 } })
  writes.updateRegion(0, 'a')
  t.is(writes.pendingBytes, 1)
  writes.updateRegion(1, 'b')
  t.is(writes.pendingBytes, 0)
  writes.close()
})

test('everyMillis: the background sync brings pendingBytes to 0', async (t) => {
  const file = MemoryMappedFile.openRw(tempFile(t, Buffer.alloc(8192)), { flushPolicy: { everyMillis: 5 } })
  file.updateRegion(0, 'background')
  t.is(file.pendingBytes, 10)
  // Progress, not wall time: wait as long as it takes (ava's own timeout ends a real hang).
  while (file.pendingBytes !== 0) await new Promise((resolve) => setTimeout(resolve, 5))
  t.is(file.pendingBytes, 0)
  file.close()
})

test('flush() and a whole-range flushRange() leave 0 pending', (t) => {
  const file = MemoryMappedFile.openRw(tempFile(t, Buffer.alloc(8192)))
  file.updateRegion(0, 'abc')
  file.flushRange(0, 10)
  t.is(file.pendingBytes, 3, 'a partial flushRange does not know which counted bytes it covered')
  file.flushRange(0, file.length)
  t.is(file.pendingBytes, 0)
  file.updateRegion(0, 'abc')
  file.flush()
  t.is(file.pendingBytes, 0)
  file.close()
})
