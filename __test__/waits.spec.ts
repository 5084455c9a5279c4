// Waits that must end: pending popAsync/lockAsync calls never hold process.exit(),
// worker.terminate() or libuv's threadpool, close() rejects them, and every promise settles even
// when the AbortSignal misbehaves. Children that may hang run in their own process and are judged
// by whether they ended at all within a generous bound, never by tight timing.
import { spawn, spawnSync } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

import test from 'ava'

import { MemoryMappedFile, RingBuffer } from '../index.js'
import { rejectsLike, runChild, tempDir } from './helpers.mjs'

/** Tests that need flock(1) (util-linux) to hold or probe a lock from another process. */
const withFlock = spawnSync('flock', ['--version']).status === 0 ? test : test.skip

/** Whether another process can take an exclusive lock on `path` right now (`flock -n`). */
function lockIsFree(path: string): boolean {
  return spawnSync('flock', ['-n', '-x', path, 'true']).status === 0
}

/** Holds an exclusive lock on `path` in a `flock` process until `release()` (or the test ends). */
async function holdLock(t: import('ava').ExecutionContext, path: string) {
  const holder = spawn('flock', ['-x', path, 'cat'], { stdio: ['pipe', 'ignore', 'ignore'] })
  const exited = new Promise((resolve) => holder.on('exit', resolve))
  const release = async () => {
    holder.stdin.end()
    await exited
  }
  t.teardown(() => holder.kill('SIGKILL'))
  while (lockIsFree(path)) await new Promise((resolve) => setTimeout(resolve, 10))
  return release
}

test('process.exit() is not held by a pending popAsync() without a timeout', async (t) => {
  const path = join(tempDir(t), 'exit.ring')
  RingBuffer.create(path, 1024).close()
  const result = await runChild(
    `const { RingBuffer } = require(binding)
     const ring = RingBuffer.open(process.argv[1])
     const waits = [ring.popAsync(), ring.popAsync(), ring.popAsync(), ring.popAsync(), ring.popAsync()]
     for (const w of waits) w.catch(() => {})
     setTimeout(() => { console.log('exiting'); process.exit(7) }, 200)`,
    [path],
  )
  t.false(result.hung, `the child did not exit: ${result.output}`)
  t.is(result.code, 7, result.output)
})

withFlock('process.exit() is not held by lockAsync() waiting for a lock another process holds', async (t) => {
  const path = join(tempDir(t), 'locked.bin')
  await writeFile(path, 'x')
  await holdLock(t, path)
  const result = await runChild(
    `const { MemoryMappedFile } = require(binding)
     const file = MemoryMappedFile.openRw(process.argv[1])
     for (let i = 0; i < 5; i++) file.lockAsync().catch(() => {})
     setTimeout(() => process.exit(7), 200)`,
    [path],
  )
  t.false(result.hung, `the child did not exit: ${result.output}`)
  t.is(result.code, 7, result.output)
})

withFlock('worker.terminate() settles while the worker has pending popAsync() and lockAsync() calls', async (t) => {
  const dir = tempDir(t)
  const ringPath = join(dir, 'worker.ring')
  RingBuffer.create(ringPath, 1024).close()
  const lockPath = join(dir, 'worker.lock')
  await writeFile(lockPath, 'x')
  await holdLock(t, lockPath)
  const result = await runChild(
    `const { Worker } = require('node:worker_threads')
     const worker = new Worker(\`
       const { RingBuffer, MemoryMappedFile } = require(\${JSON.stringify(binding)})
       const { parentPort, workerData } = require('node:worker_threads')
       const ring = RingBuffer.open(workerData.ringPath)
       const file = MemoryMappedFile.openRw(workerData.lockPath)
       for (let i = 0; i < 3; i++) { ring.popAsync().catch(() => {}); file.lockAsync().catch(() => {}) }
       parentPort.postMessage('waiting')
     \`, { eval: true, workerData: { ringPath: process.argv[1], lockPath: process.argv[2] } })
     worker.on('message', async () => {
       await new Promise((resolve) => setTimeout(resolve, 100))
       const code = await worker.terminate()
       console.log('terminated', code)
       // A second worker still gets threads and settles its own waits.
       process.exitCode = 0
     })
     worker.on('error', (e) => { console.error(e); process.exit(2) })`,
    [ringPath, lockPath],
  )
  t.false(result.hung, `worker.terminate() did not settle: ${result.output}`)
  t.is(result.code, 0, result.output)
  t.regex(result.output, /terminated 1/)
})

test('pending popAsync() calls do not starve the libuv threadpool; close() rejects them with ERR_MMAP_CLOSED', async (t) => {
  const dir = tempDir(t)
  const ring = RingBuffer.create(join(dir, 'pool.ring'), 1024)
  const other = join(dir, 'other.txt')
  await writeFile(other, 'still served')
  // More waits than libuv has threads (4 by default, UV_THREADPOOL_SIZE at most 1024).
  const waits = Array.from({ length: 8 }, () => ring.popAsync())
  // If the waits held the pool, this read would never complete (the waits have no timeout).
  t.is(await readFile(other, 'utf8'), 'still served')
  ring.close()
  for (const wait of waits) await rejectsLike(t, wait, { class: Error, code: 'ERR_MMAP_CLOSED' })
})

withFlock('close() rejects a pending lockAsync() with ERR_MMAP_CLOSED and leaves no lock held', async (t) => {
  const dir = tempDir(t)
  const path = join(dir, 'close.lock')
  await writeFile(path, 'x')
  const release = await holdLock(t, path)
  const file = MemoryMappedFile.openRw(path)
  const waiting = file.lockAsync()
  await new Promise((resolve) => setTimeout(resolve, 50))
  file.close()
  await rejectsLike(t, waiting, { class: Error, code: 'ERR_MMAP_CLOSED' })
  await release()
  t.true(lockIsFree(path), 'another process can take the lock')
})

withFlock('a lock granted as the file closes is released at once, whatever the order', async (t) => {
  const dir = tempDir(t)
  const path = join(dir, 'race.lock')
  await writeFile(path, 'x')
  const outcomes = new Set<string>()
  for (let round = 0; round < 12; round++) {
    const release = await holdLock(t, path)
    const file = MemoryMappedFile.openRw(path)
    const waiting = file.lockAsync().then(
      () => 'granted',
      (e: NodeJS.ErrnoException) => e.code ?? String(e),
    )
    // Release the holder, then close after a varying pause: the grant and the close race.
    const released = release()
    await new Promise((resolve) => setTimeout(resolve, round % 4 === 0 ? 0 : round * 2))
    file.close()
    await released
    const outcome = await waiting
    outcomes.add(outcome)
    t.true(['granted', 'ERR_MMAP_CLOSED'].includes(outcome), outcome)
    t.true(lockIsFree(path), `round ${round} (${outcome}): the lock outlived close()`)
  }
  t.log([...outcomes])
})

test('an aborted signal whose reason getter throws still settles every promise with an AbortError', async (t) => {
  const path = join(tempDir(t), 'reason.ring')
  RingBuffer.create(path, 1024).close()
  const result = await runChild(
    `const { RingBuffer, MemoryMappedFile } = require(binding)
     let uncaught = 0
     process.on('uncaughtException', (e) => { uncaught++; console.log('uncaught', e && e.message) })
     const hostile = (abortFirst) => {
       const controller = new AbortController()
       if (abortFirst) controller.abort()
       Object.defineProperty(controller.signal, 'reason', { get() { throw new Error('reason getter') } })
       return controller
     }
     const describe = (p) => p.then((v) => 'resolved ' + v, (e) => e.name + ' ' + e.code)
     ;(async () => {
       const ring = RingBuffer.open(process.argv[1])
       const file = MemoryMappedFile.openRo(process.argv[1])
       const outcomes = []
       for (const abortFirst of [true, false]) {
         const calls = [
           (signal) => ring.popAsync({ signal }),
           (signal) => file.lockAsync('shared', { signal }).then(() => { file.unlock(); throw Object.assign(new Error('granted'), { name: 'NotAborted' }) }),
           (signal) => file.countLinesAsync({ signal }),
           (signal) => MemoryMappedFile.openAsync(process.argv[1], { signal }),
         ]
         for (const call of calls) {
           const controller = hostile(abortFirst)
           const promise = describe(call(controller.signal))
           if (!abortFirst) controller.abort()
           outcomes.push(await promise)
         }
       }
       await new Promise((resolve) => setTimeout(resolve, 50))
       console.log(JSON.stringify({ outcomes, uncaught }))
       ring.close()
       file.close()
     })()`,
    [path],
  )
  t.false(result.hung, `a promise never settled: ${result.output}`)
  t.is(result.code, 0, result.output)
  const report = JSON.parse(result.output.trim().split('\n').pop() ?? '{}')
  t.is(report.uncaught, 0, result.output)
  t.is(report.outcomes.length, 8, result.output)
  for (const outcome of report.outcomes.slice(0, 4)) t.is(outcome, 'AbortError ABORT_ERR', result.output)
  // Aborted after the call: popAsync and lockAsync were waiting; the others may have finished first.
  t.is(report.outcomes[4], 'AbortError ABORT_ERR', result.output)
})

test('a signal whose aborted getter throws rejects the call with what it threw', async (t) => {
  const path = join(tempDir(t), 'aborted.ring')
  const ring = RingBuffer.create(path, 1024)
  const file = MemoryMappedFile.openRo(path)
  const controller = new AbortController()
  Object.defineProperty(controller.signal, 'aborted', {
    get() {
      throw new Error('aborted getter')
    },
  })
  for (const promise of [
    ring.popAsync({ signal: controller.signal }),
    file.lockAsync('shared', { signal: controller.signal }),
    file.countLinesAsync({ signal: controller.signal }),
  ]) {
    await t.throwsAsync(promise, { message: 'aborted getter' })
  }
  ring.close()
  file.close()
})
