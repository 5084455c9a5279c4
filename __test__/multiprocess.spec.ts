// Several processes and threads on one mapped file: locks, atomics, crash durability, IPC, and a
// file truncated underneath a running process.
import { spawn, spawnSync } from 'node:child_process'
import { createHash, randomInt } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'

import test from 'ava'

import { MemoryMappedFile } from '../index.js'
import { tempDir, tempFile } from './helpers.mjs'

const posixOnly = process.platform === 'win32' ? test.skip : test

const binding = fileURLToPath(new URL('../index.js', import.meta.url))
const requireBinding = `const { MemoryMappedFile } = require(${JSON.stringify(binding)});`

/** Runs `body` in `count` node processes at once; resolves with their stdout when all exit 0. */
function runProcesses(count: number, body: string, args: string[] = []): Promise<string[]> {
  return Promise.all(
    Array.from(
      { length: count },
      (_, i) =>
        new Promise<string>((resolve, reject) => {
          const child = spawn(process.execPath, ['-e', requireBinding + body, String(i), ...args], {
            stdio: ['ignore', 'pipe', 'pipe'],
          })
          let out = ''
          let err = ''
          child.stdout.on('data', (d) => (out += d))
          child.stderr.on('data', (d) => (err += d))
          // 'close', not 'exit': only then has all of the child's output been read.
          child.on('close', (code, signal) =>
            code === 0 ? resolve(out) : reject(new Error(`child ${i}: exit ${code} ${signal ?? ''}\n${err}`)),
          )
        }),
    ),
  )
}

test('4 processes x 10,000 increments under lock() give exactly 40,000', async (t) => {
  const path = tempFile(t, Buffer.alloc(4096))
  await runProcesses(
    4,
    `
    const file = MemoryMappedFile.openRw(process.argv[2])
    const word = Buffer.alloc(4)
    for (let i = 0; i < 10000; i++) {
      file.lock('exclusive')
      file.readInto(0, word)
      word.writeUInt32LE(word.readUInt32LE(0) + 1)
      file.updateRegion(0, word)
      file.unlock()
    }
    file.close()`,
    [path],
  )
  t.is(readFileSync(path).readUInt32LE(0), 40_000)
})

test('4 processes x 10,000 atomicAddU32 with no lock give exactly 40,000', async (t) => {
  const path = tempFile(t, Buffer.alloc(4096))
  await runProcesses(
    4,
    `
    const file = MemoryMappedFile.openRw(process.argv[2])
    for (let i = 0; i < 10000; i++) { file.atomicAddU32(64, 1); file.atomicAddU64(128, 3n) }
    file.close()`,
    [path],
  )
  const data = readFileSync(path)
  t.is(data.readUInt32LE(64), 40_000)
  t.is(data.readBigUInt64LE(128), 120_000n)
})

test('a readOnly mapping in another process sees the writer’s bytes (IPC)', async (t) => {
  const path = tempFile(t, Buffer.alloc(4096))
  const writer = MemoryMappedFile.openRw(path)
  const reader = runProcesses(
    1,
    `
    const file = MemoryMappedFile.openRo(process.argv[2])
    const deadline = Date.now() + 10000
    while (file.atomicLoadU32(0) !== 1) { if (Date.now() > deadline) throw new Error('timeout') }
    process.stdout.write(file.read(8, 5).toString())`,
    [path],
  )
  writer.updateRegion(8, 'hello')
  writer.atomicStoreU32(0, 1)
  t.deepEqual(await reader, ['hello'])
  writer.close()
})

test('two worker threads write disjoint halves of one file at once; the main thread sees both', async (t) => {
  const size = 1 << 20
  const path = tempFile(t, Buffer.alloc(size))
  const file = MemoryMappedFile.openRw(path)
  const view = file.asBuffer()
  const worker = (half: number) =>
    new Promise<void>((resolve, reject) => {
      const w = new Worker(
        `${requireBinding}
        const { workerData } = require('node:worker_threads')
        const file = MemoryMappedFile.openRw(workerData.path)
        const half = file.length / 2
        file.asBuffer(workerData.half * half, half).fill(workerData.half + 1)
        file.close()`,
        { eval: true, workerData: { path, half } },
      )
      w.on('error', reject)
      w.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker exit ${code}`))))
    })
  await Promise.all([worker(0), worker(1)])
  t.true(view.subarray(0, size / 2).every((b) => b === 1))
  t.true(view.subarray(size / 2).every((b) => b === 2))
  file.close()
})

test('crash durability: every acknowledged record survives a SIGKILL (50 rounds)', async (t) => {
  const dir = tempDir(t)
  const RECORD = 64
  const writerScript = `
    const { createHash } = require('node:crypto')
    const file = MemoryMappedFile.openRw(process.argv[2])
    const record = Buffer.alloc(${RECORD})
    for (let n = 0; n < file.length / ${RECORD}; n++) {
      record.fill(0)
      record.writeUInt32LE(n, 0)
      record.write('record-' + n + '-' + process.pid, 4)
      createHash('sha256').update(record.subarray(0, 32)).digest().copy(record, 32)
      file.updateRegion(n * ${RECORD}, record)
      file.flushRange(n * ${RECORD}, ${RECORD})
      process.stdout.write(n + '\\n') // the acknowledgement: only after the durable flush
    }`
  let checked = 0
  for (let round = 0; round < 50; round++) {
    const path = join(dir, `records-${round}.bin`)
    writeFileSync(path, Buffer.alloc(RECORD * 5000))
    const child = spawn(process.execPath, ['-e', requireBinding + writerScript, '0', path], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let acked = -1
    let buffered = ''
    // Kill at a random moment after the first acknowledgement (a busy machine may take long to
    // start the child: the clock starts when it has done durable work, not at spawn).
    let timer: NodeJS.Timeout | undefined
    child.stdout.on('data', (chunk) => {
      buffered += chunk
      const lines = buffered.split('\n')
      buffered = lines.pop() ?? ''
      for (const line of lines) acked = Number(line)
      if (acked >= 0 && !timer) timer = setTimeout(() => child.kill('SIGKILL'), randomInt(0, 150))
    })
    const killed = new Promise((resolve) => child.on('exit', resolve))
    await killed
    clearTimeout(timer)
    if (acked < 0) return t.fail(`round ${round}: the writer exited before acknowledging a record`)
    const data = readFileSync(path)
    for (let n = 0; n <= acked; n++) {
      const record = data.subarray(n * RECORD, (n + 1) * RECORD)
      const ok =
        record.readUInt32LE(0) === n &&
        createHash('sha256').update(record.subarray(0, 32)).digest().equals(record.subarray(32))
      if (!ok) return t.fail(`round ${round}: acknowledged record ${n} of ${acked} is damaged`)
      checked++
    }
  }
  t.log(`${checked} acknowledged records verified over 50 SIGKILLed writers`)
  t.true(checked >= 50, 'every round acknowledged work before the kill')
})

// Windows refuses to truncate a file that has a mapped view (ERROR_USER_MAPPED_FILE): no hazard there.
posixOnly(
  'a file truncated by another process: native accesses throw ERR_MMAP_TRUNCATED, the process lives',
  async (t) => {
    const path = tempFile(t, Buffer.alloc(8 << 20, 'line\n'))
    const script = `
    const { spawnSync } = require('node:child_process')
    const path = process.argv[1]
    const file = MemoryMappedFile.openRo(path)
    const target = Buffer.alloc(4096)
    const seen = {}
    let truncated = false
    for (let i = 0; i < 300; i++) {
      if (i === 100) {
        // A child process truncates the file to zero under our mapping.
        const child = spawnSync(process.execPath, ['-e', 'require("fs").truncateSync(process.argv[1], 0)', path])
        if (child.status !== 0) throw new Error('truncation failed')
        truncated = true
      }
      for (const [name, call] of [
        ['readInto', () => file.readInto((i * 4096) % (8 << 20), target)],
        ['countLines', () => file.countLines()],
        ['count', () => file.count('line')],
        ['read', () => file.read(1 << 20, 100)],
        ['atomicLoadU32', () => file.atomicLoadU32(4096)],
        ['touchPages', () => file.touchPages()],
      ]) {
        try { call() } catch (error) {
          if (!truncated || error.code !== 'ERR_MMAP_TRUNCATED') throw error
          seen[name] = error.code
        }
      }
    }
    process.stdout.write(JSON.stringify(seen))`
    const child = spawn(process.execPath, ['-e', requireBinding + script, path], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const [status, signal] = await new Promise<[number | null, string | null]>((resolve) =>
      child.on('close', (code, sig) => resolve([code, sig])),
    )
    t.is(signal, null, 'no signal killed the process')
    t.is(status, 0, stderr)
    t.deepEqual(JSON.parse(stdout), {
      readInto: 'ERR_MMAP_TRUNCATED',
      countLines: 'ERR_MMAP_TRUNCATED',
      count: 'ERR_MMAP_TRUNCATED',
      read: 'ERR_MMAP_TRUNCATED',
      atomicLoadU32: 'ERR_MMAP_TRUNCATED',
      touchPages: 'ERR_MMAP_TRUNCATED',
    })
  },
)

test.serial('lockAsync waits without blocking the JS thread and can be aborted', async (t) => {
  const path = tempFile(t, 'locked')
  const holder = MemoryMappedFile.openRw(path)
  holder.lock('exclusive')
  const waiter = MemoryMappedFile.openRw(path)
  t.false(waiter.tryLock('shared'))
  const controller = new AbortController()
  const aborted = waiter.lockAsync('shared', { signal: controller.signal })
  // Progress, not wall time: the abort comes from the event loop's 10th tick while the wait is
  // pending, so a wait that blocked the JS thread would never end.
  let ticks = 0
  const interval = setInterval(() => {
    if (++ticks === 10) controller.abort()
  }, 1)
  await t.throwsAsync(aborted, { code: 'ABORT_ERR', name: 'AbortError' })
  clearInterval(interval)
  t.true(ticks >= 10, `${ticks} ticks while waiting`)
  const granted = waiter.lockAsync('shared')
  setTimeout(() => holder.unlock(), 30)
  await granted
  t.false(holder.tryLock('exclusive'), 'the waiter holds a shared lock now')
  waiter.close()
  t.true(holder.tryLock('exclusive'), 'close() released it')
  holder.close()
  const viaOption = MemoryMappedFile.open(path, { lock: 'exclusive' })
  const other = MemoryMappedFile.openRo(path)
  t.false(other.tryLock('shared'), 'options.lock holds the lock for the life of the mapping')
  viaOption.close()
  t.true(other.tryLock('shared'))
  other.close()
})

test('createRw, openOrCreate and a growing resize fail with ENOSPC on a full disk, never SIGBUS', (t) => {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) {
    return t.pass('needs root on Linux to mount a 1 MiB tmpfs; run in CI (root)')
  }
  const mountPoint = tempDir(t)
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mountPoint])
  if (mounted.status !== 0) return t.pass(`cannot mount a tmpfs here: ${mounted.stderr}`)
  t.teardown(() => spawnSync('umount', [mountPoint]))
  const enospc = { code: 'ENOSPC' }
  t.throws(() => MemoryMappedFile.createRw(join(mountPoint, 'big.bin'), 4 << 20), enospc)
  const precious = join(mountPoint, 'precious.bin')
  writeFileSync(precious, Buffer.alloc(100_000, 'p'))
  t.throws(() => MemoryMappedFile.createRw(precious, 4 << 20), enospc)
  t.true(readFileSync(precious).equals(Buffer.alloc(100_000, 'p')), 'a failed createRw loses no data')
  t.throws(() => MemoryMappedFile.openOrCreate(join(mountPoint, 'other.bin'), 4 << 20), enospc)
  const small = MemoryMappedFile.createRw(join(mountPoint, 'small.bin'), 64 * 1024)
  small.updateRegion(0, 'still fine')
  const error = t.throws(() => small.resize(8 << 20), enospc)
  t.like(error, { syscall: 'ftruncate', path: join(mountPoint, 'small.bin') })
  t.is(small.length, 64 * 1024, 'a failed resize leaves the mapping as it was')
  t.is(small.read(0, 10).toString(), 'still fine')
  small.close()
})
