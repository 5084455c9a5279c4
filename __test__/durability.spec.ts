// flush() is a real synchronous msync on every call: proven by tracing the system calls of a child
// process, not by rereading the file (the page cache would make that pass without any sync).
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import test from 'ava'

import { tempDir } from './helpers.mjs'

const binding = fileURLToPath(new URL('../index.js', import.meta.url))
const hasStrace = process.platform === 'linux' && spawnSync('strace', ['-V']).status === 0
// strace exists only on Linux; there it is required (.ci/run installs it), so a missing strace fails.
const linuxOnly = process.platform === 'linux' ? test : test.skip

/** Runs `body` (async code) in a child node under `strace -e trace=msync,fsync,fdatasync`; returns the traced calls. */
function traceSyncCalls(t: import('ava').ExecutionContext, path: string, body: string): string[] {
  const log = join(tempDir(t), 'strace.log')
  const script = `
    const { MemoryMappedFile } = require(${JSON.stringify(binding)})
    const path = ${JSON.stringify(path)}
    ;(async () => {
      process.stdout.write('BEGIN\\n')
      ${body}
      process.stdout.write('END\\n')
    })().catch((error) => { console.error(error); process.exit(1) })`
  const child = spawnSync(
    'strace',
    ['-f', '-e', 'trace=msync,fsync,fdatasync,write', '-o', log, process.execPath, '-e', script],
    {
      encoding: 'utf8',
    },
  )
  t.is(child.status, 0, child.stderr)
  t.is(child.stdout, 'BEGIN\nEND\n')
  const lines = readFileSync(log, 'utf8').split('\n')
  // Keep only the calls made between the BEGIN and END markers.
  const begin = lines.findIndex((l) => l.includes('"BEGIN\\n"'))
  const end = lines.findIndex((l) => l.includes('"END\\n"'))
  t.true(begin >= 0 && end > begin, 'markers traced')
  return lines.slice(begin + 1, end).filter((l) => /\b(msync|fsync|fdatasync)\(/.test(l))
}

linuxOnly('flush() issues one msync(MS_SYNC) over the whole mapping on every call', (t) => {
  t.true(hasStrace, 'strace must be installed on Linux (apt-get install strace)')
  const path = join(tempDir(t), 'durable.bin')
  const calls = traceSyncCalls(
    t,
    path,
    `const file = MemoryMappedFile.createRw(path, 3 * 4096)
     file.updateRegion(5000, 'durable')
     file.flush()
     file.flush() // nothing written since: still a real sync
     file.asBuffer(100, 4).write('view') // writes through views cannot be counted
     file.flush()
     file.close()`,
  )
  t.is(calls.length, 3, calls.join('\n'))
  for (const call of calls) t.regex(call, /msync\(0x[0-9a-f]+, 12288, MS_SYNC\) = 0/)
  t.is(readFileSync(path).subarray(5000, 5007).toString(), 'durable')
})

linuxOnly('flushRange() syncs the pages covering the range with MS_SYNC', (t) => {
  t.true(hasStrace, 'strace must be installed on Linux (apt-get install strace)')
  const path = join(tempDir(t), 'range.bin')
  const calls = traceSyncCalls(
    t,
    path,
    `const file = MemoryMappedFile.createRw(path, 4 * 4096)
     file.updateRegion(4097, 'x')
     file.flushRange(4097, 1)
     file.close()`,
  )
  t.is(calls.length, 1, calls.join('\n'))
  t.regex(calls[0], /msync\(0x[0-9a-f]+000, \d+, MS_SYNC\) = 0/)
})

linuxOnly('flushAsync() and flushRangeAsync() issue MS_SYNC too', (t) => {
  t.true(hasStrace, 'strace must be installed on Linux (apt-get install strace)')
  const path = join(tempDir(t), 'async.bin')
  const calls = traceSyncCalls(
    t,
    path,
    `const file = MemoryMappedFile.createRw(path, 2 * 4096)
     file.updateRegion(0, 'a')
     await file.flushAsync()
     await file.flushRangeAsync(0, 1)
     file.close()`,
  )
  t.is(calls.length, 2, calls.join('\n'))
  for (const call of calls) t.regex(call, /MS_SYNC\) = 0/)
})

linuxOnly('flush policies: always, everyBytes and everyWrites sync inside updateRegion', (t) => {
  t.true(hasStrace, 'strace must be installed on Linux (apt-get install strace)')
  const path = join(tempDir(t), 'policies.bin')
  const calls = traceSyncCalls(
    t,
    path,
    `MemoryMappedFile.createRw(path, 4 * 4096).close()
     const always = MemoryMappedFile.open(path, { mode: 'readWrite', flushPolicy: 'always' })
     always.updateRegion(4097, 'a') // 1 msync of the page
     always.close()
     const bytes = MemoryMappedFile.open(path, { mode: 'readWrite', flushPolicy: { everyBytes: 10 } })
     bytes.updateRegion(0, '12345')
     bytes.updateRegion(5, '67890') // 10 bytes pending: 1 msync of everything
     bytes.updateRegion(0, 'x')
     bytes.close()
     const writes = MemoryMappedFile.open(path, { mode: 'readWrite', flushPolicy: { everyWrites: 3 } })
     for (let i = 0; i < 7; i++) writes.updateRegion(i, 'w') // after the 3rd and the 6th: 2 msyncs
     writes.close()`,
  )
  t.is(calls.length, 4, calls.join('\n'))
  t.regex(calls[0], /msync\(0x[0-9a-f]+, \d+, MS_SYNC\) = 0/)
  for (const call of calls.slice(1)) t.regex(call, /msync\(0x[0-9a-f]+, 16384, MS_SYNC\) = 0/)
})

linuxOnly('flush policy everyMillis syncs from a background thread, and stops at close', (t) => {
  t.true(hasStrace, 'strace must be installed on Linux (apt-get install strace)')
  const path = join(tempDir(t), 'timed.bin')
  const calls = traceSyncCalls(
    t,
    path,
    `MemoryMappedFile.createRw(path, 4096).close()
     const file = MemoryMappedFile.open(path, { mode: 'readWrite', flushPolicy: { everyMillis: 20 } })
     file.updateRegion(0, 'timed')
     await new Promise((resolve) => setTimeout(resolve, 300)) // one msync: nothing new after it
     const pendingAfter = file.pendingBytes
     file.close()
     if (pendingAfter !== 0) throw new Error('still pending: ' + pendingAfter)`,
  )
  t.is(calls.length, 1, calls.join('\n'))
  t.regex(calls[0], /^\d+ +msync\(0x[0-9a-f]+, 4096, MS_SYNC\) = 0/)
})
