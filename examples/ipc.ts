// Two processes sharing one memory-mapped file: a writer publishes messages, a reader sees them.
//
//   node --import @oxc-node/core/register examples/ipc.ts              # both, in one run
//   node --import @oxc-node/core/register examples/ipc.ts writer FILE  # or in two terminals,
//   node --import @oxc-node/core/register examples/ipc.ts reader FILE  # the writer first
//
// File layout:
//   bytes 0-3    u32: how many messages are published (written last, atomically)
//   byte  64...  one 64-byte slot per message: a length byte, then UTF-8 text
//
// The protocol: the writer fills slot n with updateRegion, and only then publishes it by storing
// n + 1 into the counter with atomicStoreU32. The reader polls the counter with atomicLoadU32 and
// reads only slots below it. The atomics are sequentially consistent, so a reader that sees the
// new count also sees the slot written before it, on every CPU (plain writes could become visible
// out of order on ARM). Slots are never rewritten, so no lock is needed for reading; there must be
// only one writer (a second one could be kept out with `file.tryLock('exclusive')`).
import { fork } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'

import { MemoryMappedFile } from 'mmapkit'

const HEADER = 64
const SLOT = 64
const MESSAGES = 20
const SIZE = HEADER + (MESSAGES + 1) * SLOT // the messages, then 'bye'

async function writer(path: string, onCreated?: () => Promise<void>): Promise<void> {
  // createRw creates (or truncates) the file, preallocates SIZE zero bytes and maps it readWrite.
  using file = MemoryMappedFile.createRw(path, SIZE)
  await onCreated?.()
  const slot = Buffer.alloc(SLOT)
  for (let n = 0; n <= MESSAGES; n++) {
    const text = n < MESSAGES ? `message ${n + 1}` : 'bye'
    slot.fill(0)
    slot[0] = slot.write(text, 1)
    file.updateRegion(HEADER + n * SLOT, slot) // 1. the payload
    file.atomicStoreU32(0, n + 1) // 2. then publish it
    await sleep(10) // give the reader time to see the messages arrive one by one
  }
  // The reader saw every message without this: both processes map the same page-cache pages.
  // flush() is about durability: the messages are on disk once it returns.
  file.flush()
  console.log(`writer: published ${MESSAGES} messages and 'bye', flushed`)
}

async function reader(path: string): Promise<void> {
  // A readOnly mapping sees the writer's stores: both map the same page-cache pages. (It is a
  // private mapping: a page this process wrote into through a view would stop following the file.)
  using file = MemoryMappedFile.openRo(path)
  process.send?.('mapped') // tell a parent writer (if any) that we are ready
  const slot = Buffer.alloc(SLOT) // reused for every message: readInto copies into it
  let next = 0
  let lastNews = Date.now()
  for (;;) {
    const count = file.atomicLoadU32(0)
    for (; next < count; next++) {
      file.readInto(HEADER + next * SLOT, slot)
      const text = slot.toString('utf8', 1, 1 + slot[0])
      if (text === 'bye') {
        console.log(`reader: received ${next} messages in order`)
        return
      }
      if (text !== `message ${next + 1}`) throw new Error(`reader: expected message ${next + 1}, got ${text}`)
      console.log(`reader: ${text}`)
      lastNews = Date.now()
    }
    if (Date.now() - lastNews > 10_000) throw new Error('reader: no message for 10 s, giving up')
    await sleep(2) // poll (a lower-latency design would wake the reader, e.g. with a pipe)
  }
}

const [role, file] = process.argv.slice(2)
if (role === 'writer' && file) {
  await writer(file)
} else if (role === 'reader' && file) {
  await reader(file)
} else {
  const dir = mkdtempSync(join(tmpdir(), 'mmapkit-ipc-'))
  try {
    const path = join(dir, 'channel.bin')
    let readerExit: Promise<unknown[]> | undefined
    // Once the file exists, start the reader as a separate process and wait until it has mapped
    // the file. fork() reuses this process's node flags (process.execArgv), so the TypeScript
    // loader is active in the child too.
    await writer(path, async () => {
      const child = fork(fileURLToPath(import.meta.url), ['reader', path])
      readerExit = once(child, 'exit')
      const exited = readerExit.then(() => Promise.reject(new Error('the reader exited before mapping the file')))
      await Promise.race([once(child, 'message'), exited])
      child.disconnect() // the IPC channel was only for this handshake
    })
    const [code] = await readerExit!
    console.log(`reader process exited with code ${code}`)
    if (code !== 0) process.exitCode = 1
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
