// Issue 11: a view's memory outlives close()/resize() for as long as anything can reach it (native
// code working on it, a buffer moved by transfer() or to another thread), as private zero pages
// that no other mapping can take; a view's .buffer holds its own bytes only; views do not depend
// on globals JavaScript can replace. Every case that could crash runs in a child process, which
// must exit normally.
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync as tempFileAt } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import test, { type ExecutionContext } from 'ava'

import { MemoryMappedFile, pageSize } from '../index.js'
import { sha256, tempDir, tempFile } from './helpers.mjs'

const INDEX = JSON.stringify(fileURLToPath(new URL('../index.js', import.meta.url)))
const major = Number(process.versions.node.split('.')[0])
/** Node 20 has ArrayBuffer.prototype.transfer behind a flag; 22+ by default. */
const TRANSFER_FLAGS = major < 22 ? ['--harmony-rab-gsab-transfer'] : []

/** Runs `script` (CommonJS, `mmapkit` bound to the package) in a child; returns its stdout lines. */
function child(t: ExecutionContext, script: string, flags: string[] = []): string[] {
  const run = spawnSync(
    process.execPath,
    ['--expose-gc', ...flags, '-e', `const mmapkit = require(${INDEX});\n${script}`],
    { encoding: 'utf8', timeout: 60_000 },
  )
  t.is(run.signal, null, `the child was killed by ${run.signal}: ${run.stderr}`)
  t.is(run.status, 0, run.stderr)
  return run.stdout.trim().split('\n')
}

test('zlib.deflate(file.asBuffer()) survives close() 50 ms later', (t) => {
  const path = tempFile(t, Buffer.alloc(32 << 20, 'compressible text, '))
  const [line] = child(
    t,
    `
    const zlib = require('node:zlib')
    const file = mmapkit.MemoryMappedFile.openRo(${JSON.stringify(path)})
    zlib.deflate(file.asBuffer(), (error, out) => console.log(error ? error.code : 'deflated ' + (out.length > 0)))
    setTimeout(() => file.close(), 50)`,
  )
  t.is(line, 'deflated true')
})

test('a pending fs.read into a view never writes into a file mapped after close()', (t) => {
  const dir = tempDir(t)
  const first = join(dir, 'first.bin')
  const other = join(dir, 'other.bin')
  const fifo = join(dir, 'pipe')
  if (spawnSync('mkfifo', [fifo]).status !== 0) return t.pass('no mkfifo here')
  tempFileAt(first, Buffer.alloc(64 * 1024, 1))
  tempFileAt(other, Buffer.alloc(64 * 1024, 2))
  const before = sha256(other)
  const lines = child(
    t,
    `
    const fs = require('node:fs')
    const fd = fs.openSync(${JSON.stringify(fifo)}, fs.constants.O_RDWR)
    const file = mmapkit.MemoryMappedFile.openRw(${JSON.stringify(first)})
    const view = file.asBuffer()
    fs.read(fd, view, 0, view.length, null, (error, bytes) => {
      console.log(error ? error.code : 'read ' + bytes + ' ' + view.subarray(0, bytes).toString())
      otherFile.flush()
      otherFile.close()
      fs.closeSync(fd)
    })
    let otherFile
    setTimeout(() => {
      file.close()
      otherFile = mmapkit.MemoryMappedFile.openRw(${JSON.stringify(other)})
      otherFile.asBuffer()
      setTimeout(() => fs.writeSync(fd, 'PIPE DATA'), 20)
    }, 20)`,
  )
  t.deepEqual(lines, ['read 9 PIPE DATA'])
  t.is(sha256(other), before, 'the other file is untouched')
  t.true(
    readFileSync(first).every((byte) => byte === 1),
    'the closed file is untouched',
  )
})

test('a pending fs.write of a view never sends a file mapped after close()', (t) => {
  const dir = tempDir(t)
  const pub = join(dir, 'public.bin')
  const secret = join(dir, 'secret.bin')
  const fifo = join(dir, 'pipe')
  if (spawnSync('mkfifo', [fifo]).status !== 0) return t.pass('no mkfifo here')
  tempFileAt(pub, Buffer.alloc(1 << 20, 'p'))
  tempFileAt(secret, Buffer.alloc(1 << 20, 'S'))
  const lines = child(
    t,
    `
    const fs = require('node:fs')
    const reader = fs.openSync(${JSON.stringify(fifo)}, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK)
    const writer = fs.openSync(${JSON.stringify(fifo)}, fs.constants.O_WRONLY)
    const file = mmapkit.MemoryMappedFile.openRo(${JSON.stringify(pub)})
    let done = false
    fs.write(writer, file.asBuffer(), (error, written) => { done = true; console.log(error ? error.code : 'wrote ' + written) })
    let secretFile
    setTimeout(() => {
      file.close()
      secretFile = mmapkit.MemoryMappedFile.openRo(${JSON.stringify(secret)})
      secretFile.asBuffer()
      const counts = { p: 0, zero: 0, S: 0, other: 0 }
      const chunk = Buffer.alloc(65536)
      const drain = () => {
        for (;;) {
          let n = 0
          try { n = fs.readSync(reader, chunk) } catch (error) { if (error.code !== 'EAGAIN') throw error }
          if (n <= 0) break
          for (const byte of chunk.subarray(0, n)) {
            if (byte === 0x70) counts.p++
            else if (byte === 0) counts.zero++
            else if (byte === 0x53) counts.S++
            else counts.other++
          }
        }
        if (done && counts.p + counts.zero + counts.S + counts.other >= 1 << 20) {
          console.log(JSON.stringify(counts))
          secretFile.close()
          fs.closeSync(reader)
          fs.closeSync(writer)
        } else setTimeout(drain, 5)
      }
      drain()
    }, 20)`,
  )
  t.is(lines[0], `wrote ${1 << 20}`)
  const counts = JSON.parse(lines[1]!) as Record<string, number>
  t.is(counts.S, 0, 'no byte of the secret file reached the pipe')
  t.is(counts.other, 0)
  t.is(counts.p! + counts.zero!, 1 << 20)
})

for (const [name, move, end] of [
  ['transfer() + close()', 'file.asBuffer().buffer.transfer()', 'file.close()'],
  ['transferToFixedLength() + close()', 'file.asBuffer().buffer.transferToFixedLength()', 'file.close()'],
  ['transfer() + resize()', 'file.asBuffer().buffer.transfer()', 'file.resize(2 * 4096)'],
  ['transfer() of a chunk + close()', 'file.chunks(4096).next().value.buffer.transfer()', 'file.close()'],
] as const) {
  test(`a buffer moved by ${name} stays readable and writable (zeros), never unmapped`, (t) => {
    const path = tempFile(t, Buffer.alloc(8 * pageSize(), 7))
    const marker = tempFile(t, Buffer.alloc(8 * pageSize(), 0x5a), 'marker.bin')
    const before = sha256(path)
    const lines = child(
      t,
      `
      const file = mmapkit.MemoryMappedFile.openRw(${JSON.stringify(path)})
      let moved
      try {
        moved = new Uint8Array(${move})
      } catch (error) {
        // Views over SharedArrayBuffers (Node 24.16+, 26.1+) cannot be moved at all.
        console.log(file.asBuffer().buffer instanceof SharedArrayBuffer ? 'refused' : error.stack)
        process.exit(0)
      }
      console.log(moved[0])
      ${end}
      gc()
      setTimeout(() => {
        gc()
        // Mappings made now would take a freed address (and show 0x5a there).
        const others = []
        for (let i = 0; i < 20; i++) others.push(mmapkit.MemoryMappedFile.openRo(${JSON.stringify(marker)}))
        moved[1] = 9
        console.log(moved[0] + ' ' + moved[1] + ' ' + moved.length)
        file.close()
      }, 20)`,
      TRANSFER_FLAGS,
    )
    if (lines[0] === 'refused') return
    t.is(lines[0], '7')
    t.regex(lines[1]!, /^0 9 \d+$/)
    if (!name.includes('resize')) t.is(sha256(path), before, 'moved writes never reach the file')
  })
}

test('a worker that moves a view to the main thread and exits without close() leaves it readable', (t) => {
  const path = tempFile(t, Buffer.alloc(1 << 20, 9))
  const marker = tempFile(t, Buffer.alloc(1 << 20, 0x5a), 'marker.bin')
  const lines = child(
    t,
    `
    const { Worker } = require('node:worker_threads')
    const worker = new Worker(\`
      const { parentPort } = require('node:worker_threads')
      const file = require(${JSON.stringify(INDEX).slice(1, -1)}).MemoryMappedFile.openRo(${JSON.stringify(path)})
      const view = file.asBuffer()
      // A view over a SharedArrayBuffer (Node 24.16+, 26.1+) is shared, not moved.
      if (view.buffer instanceof SharedArrayBuffer) parentPort.postMessage(view)
      else {
        const memory = view.buffer.transfer()
        parentPort.postMessage(memory, [memory])
      }
    \`, { eval: true })
    worker.on('message', (memory) => {
      const view = ArrayBuffer.isView(memory) ? memory : new Uint8Array(memory)
      console.log(view[0])
      worker.on('exit', () => {
        gc()
        setTimeout(() => {
          gc()
          const others = []
          for (let i = 0; i < 20; i++) others.push(mmapkit.MemoryMappedFile.openRo(${JSON.stringify(marker)}))
          view[5] = 1
          console.log(view[0] + ' ' + view[5] + ' ' + view.length)
        }, 50)
      })
    })`,
    TRANSFER_FLAGS,
  )
  // 9 while the worker lives, 0 once it has exited (its mapping closed); never another file's bytes.
  t.regex(lines[0]!, /^[09]$/)
  t.regex(lines[1]!, /^[09] 1 1048576$/)
})

test("a view's .buffer holds that view's bytes only: cloning and posting copy the view", async (t) => {
  const path = tempFile(t, Buffer.alloc(0))
  const file = MemoryMappedFile.openOrCreate(path, 0, { mode: 'readWrite' })
  file.resize(256 << 20) // sparse
  const small = file.asBuffer(4096, 16)
  t.is(small.buffer.byteLength, 16)
  t.is(structuredClone(small).buffer.byteLength, 16)
  const chunk = file.chunks(1 << 20).next().value as Buffer
  t.is(chunk.buffer.byteLength, 1 << 20)
  const { port1, port2 } = new MessageChannel()
  const received = new Promise<Uint8Array>((resolve) => port2.once('message', resolve))
  port1.postMessage(chunk)
  t.is((await received).buffer.byteLength, 1 << 20)
  port1.close()
  file.close()
})

test('open + asBuffer + close cycles give their address ranges back once the views are collected', (t) => {
  if (process.platform !== 'linux') return t.pass('counts /proc/self/maps')
  const path = tempFile(t, Buffer.alloc(16 * pageSize(), 3))
  const [baseline, after] = child(
    t,
    `
    const fs = require('node:fs')
    const maps = () => fs.readFileSync('/proc/self/maps', 'utf8').split('\\n').length
    const cycle = () => {
      const file = mmapkit.MemoryMappedFile.openRo(${JSON.stringify(path)})
      const view = file.asBuffer()
      file.close()
      return view[0]
    }
    for (let i = 0; i < 50; i++) cycle()
    const settle = (then) => { gc(); setTimeout(() => { gc(); setTimeout(then, 20) }, 20) }
    settle(() => {
      const before = maps()
      for (let i = 0; i < 2000; i++) cycle()
      settle(() => console.log(before + '\\n' + maps()))
    })`,
  )
  t.true(Number(after) - Number(baseline) < 100, `${baseline} -> ${after} lines in /proc/self/maps`)
})

test('asBuffer does not use globals that JavaScript can replace', (t) => {
  const path = tempFile(t, 'globals')
  const lines = child(
    t,
    `
    const file = mmapkit.MemoryMappedFile.openRo(${JSON.stringify(path)})
    Buffer.from = () => 42
    globalThis.Buffer = 42
    const view = file.asBuffer(1, 3)
    console.log(typeof view + ' ' + require('node:buffer').Buffer.isBuffer(view) + ' ' + view.toString())`,
  )
  t.deepEqual(lines, ['object true lob'])
})
