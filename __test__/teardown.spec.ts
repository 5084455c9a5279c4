// Every wait ends and close() never waits for a scan (a hostile tester's reproductions):
// - openAsync's wait for `options.lock` holds no libuv pool thread and never delays process.exit()
//   or worker.terminate(); an abort ends it and changes nothing;
// - close() and resize() stop the async scans running on the mapping (or its segments), which
//   reject with ERR_MMAP_CLOSED; process.exit() and worker.terminate() do not wait for a scan;
// - an exception thrown by onProgress stops the scan and rejects its Promise with it.
// Children that could hang run in their own process and are judged by whether (and in which order)
// things ended within a generous bound, never by tight timing. The scans run over sparse files far
// too large to scan within that bound (a whole 256 GiB scan takes minutes), so a scan that was not
// stopped shows as a hang or as a full count.
import { spawn, spawnSync } from 'node:child_process'
import { statSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

import test from 'ava'

import { MemoryMappedFile } from '../index.js'
import { rejectsLike, runChild, tempDir } from './helpers.mjs'

const GiB = 2 ** 30

// Windows has no flock(1), and NTFS files are not sparse by default.
const posixOnly = process.platform === 'win32' ? test.skip : test
// The tests that run long scans in this process run one at a time (and on one thread each): they
// share the running slots of the async scans, and on a busy machine many long scans at once would
// only slow each other down.
const posixSerial = process.platform === 'win32' ? test.serial.skip : test.serial
/** Tests that need flock(1) (util-linux) to hold a lock from another process. */
const withFlock = posixOnly === test && spawnSync('flock', ['--version']).status === 0 ? test : test.skip

/** A sparse file of `size` bytes (zeros, no disk blocks). */
function sparseFile(t: import('ava').ExecutionContext, size: number): string {
  const path = join(tempDir(t), 'sparse.bin')
  writeFileSync(path, '')
  truncateSync(path, size)
  return path
}

/** Holds an exclusive lock on `path` in a `flock` process until the test ends. */
async function holdLock(t: import('ava').ExecutionContext, path: string) {
  const holder = spawn('flock', ['-x', path, 'cat'], { stdio: ['pipe', 'ignore', 'ignore'] })
  t.teardown(() => holder.kill('SIGKILL'))
  while (spawnSync('flock', ['-n', '-x', path, 'true']).status === 0) {
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

// 1. openAsync's lock wait

withFlock(
  'openAsync waiting for a lock held by another process: fs and zlib still run, process.exit() exits',
  async (t) => {
    const path = join(tempDir(t), 'locked.bin')
    writeFileSync(path, 'x'.repeat(4096))
    await holdLock(t, path)
    const result = await runChild(
      `const { MemoryMappedFile } = require(binding)
       const fs = require('node:fs'), zlib = require('node:zlib')
       // More waits than libuv has pool threads (4).
       for (let i = 0; i < 6; i++) {
         MemoryMappedFile.openAsync(process.argv[1], { lock: 'shared' }).then(
           () => console.log('opened'), (e) => console.log('rejected', e.code))
       }
       fs.promises.stat(process.argv[1])
         .then(() => { console.log('stat'); return new Promise((ok, ko) => zlib.gzip('abc', (e) => e ? ko(e) : ok())) })
         .then(() => { console.log('gzip'); process.exit(7) })`,
      [path],
    )
    t.false(result.hung, `the child did not exit: ${result.output}`)
    t.is(result.code, 7, result.output)
    t.is(result.output, 'stat\ngzip\n')
  },
)

test('openAsync waiting for a lock this process holds does not delay process.exit()', async (t) => {
  const path = join(tempDir(t), 'locked.bin')
  writeFileSync(path, 'x'.repeat(4096))
  const result = await runChild(
    `const { MemoryMappedFile } = require(binding)
     const holder = MemoryMappedFile.openRw(process.argv[1], { lock: 'exclusive' })
     MemoryMappedFile.openAsync(process.argv[1], { lock: 'shared' }).then(() => console.log('opened'))
     setTimeout(() => { console.log('exiting'); process.exit(7) }, 200)`,
    [path],
  )
  t.false(result.hung, `the child did not exit: ${result.output}`)
  t.is(result.code, 7, result.output)
  t.is(result.output, 'exiting\n')
})

test('worker.terminate() settles while the worker waits in openAsync for a lock', async (t) => {
  const path = join(tempDir(t), 'locked.bin')
  writeFileSync(path, 'x'.repeat(4096))
  const result = await runChild(
    `const { Worker } = require('node:worker_threads')
     const { MemoryMappedFile } = require(binding)
     const holder = MemoryMappedFile.openRw(process.argv[1], { lock: 'exclusive' })
     const worker = new Worker(\`
       const { parentPort, workerData } = require('node:worker_threads')
       const { MemoryMappedFile } = require(workerData.binding)
       for (let i = 0; i < 4; i++) MemoryMappedFile.openAsync(workerData.path, { lock: 'shared' })
       setTimeout(() => parentPort.postMessage('waiting'), 100)
     \`, { eval: true, workerData: { binding, path: process.argv[1] } })
     worker.once('message', async () => {
       await worker.terminate()
       console.log('terminated')
       holder.close()
     })`,
    [path],
  )
  t.false(result.hung, `worker.terminate() never settled: ${result.output}`)
  t.is(result.code, 0, result.output)
  t.is(result.output, 'terminated\n')
})

test('an abort ends openAsync waiting for a lock; the rejected call changed nothing', async (t) => {
  const path = join(tempDir(t), 'locked.bin')
  writeFileSync(path, 'x'.repeat(4096))
  const holder = MemoryMappedFile.openRw(path, { lock: 'exclusive' })
  t.teardown(() => holder.close())
  const controller = new AbortController()
  const opening = MemoryMappedFile.openAsync(path, {
    mode: 'readWrite',
    size: 1 << 20,
    lock: 'exclusive',
    signal: controller.signal,
  })
  setTimeout(() => controller.abort(), 50)
  await rejectsLike(t, opening, { name: 'AbortError', code: 'ABORT_ERR' })
  t.is(statSync(path).size, 4096)
  // The lock is still the holder's alone, and it is free once the holder lets go.
  t.false(MemoryMappedFile.openRo(path).tryLock('shared'))
  holder.unlock()
  const file = await MemoryMappedFile.openAsync(path, { lock: 'shared' })
  t.is(file.length, 4096)
  file.close()
})

// 2. close(), resize() and teardown stop async scans

/** The scans, each started on `target` with `onProgress`. */
const scans = {
  countLinesAsync: (target: any, onProgress: any) => target.countLinesAsync({ onProgress, threads: 1 }),
  countAsync: (target: any, onProgress: any) => target.countAsync('abc', { onProgress, threads: 1 }),
  findAllAsync: (target: any, onProgress: any) => target.findAllAsync('abc', { onProgress, threads: 1 }),
}

for (const [name, scan] of Object.entries(scans)) {
  posixSerial(`close() stops a running ${name}, which rejects with ERR_MMAP_CLOSED and reports no more`, async (t) => {
    const size = 256 * GiB
    const file = MemoryMappedFile.openRo(sparseFile(t, size))
    const reported: number[] = []
    const scanning = scan(file, (done: number) => reported.push(done))
    // Closed once the scan has started scanning (and so holds the mapping).
    while (reported.length === 0) await new Promise((resolve) => setTimeout(resolve, 5))
    file.close()
    await rejectsLike(t, scanning, { code: 'ERR_MMAP_CLOSED' })
    const afterSettle = reported.length
    await new Promise((resolve) => setTimeout(resolve, 200))
    t.is(reported.length, afterSettle, 'onProgress was called after the Promise settled')
    t.true(reported.every((done) => done < size))
  })
}

posixSerial('resize() of the file stops an async scan of its segment; the file scans again after', async (t) => {
  const file = MemoryMappedFile.openRw(sparseFile(t, 256 * GiB))
  const segment = file.segment(GiB, 128 * GiB)
  let started = 0
  const ofSegment = segment.countLinesAsync({ onProgress: () => started++, threads: 1 })
  while (started === 0) await new Promise((resolve) => setTimeout(resolve, 5))
  file.resize(4096)
  await rejectsLike(t, ofSegment, { code: 'ERR_MMAP_CLOSED' })
  t.is(file.length, 4096)
  // After resize the file scans again, to its new end.
  t.is(await file.countLinesAsync(), 0)
  file.close()
})

posixOnly('process.exit() does not wait for running async scans, and fs still runs beside them', async (t) => {
  const path = sparseFile(t, 256 * GiB)
  const result = await runChild(
    `const { MemoryMappedFile } = require(binding)
     const file = MemoryMappedFile.openRo(process.argv[1])
     let progress = 0
     for (let i = 0; i < 6; i++) {
       file.countAsync('abc', { onProgress: () => progress++ }).then(() => console.log('scanned'), (e) => console.log(e.code))
     }
     require('node:fs').promises.stat(process.argv[1]).then(async () => {
       console.log('stat')
       while (progress === 0) await new Promise((resolve) => setTimeout(resolve, 5))
       process.exit(7)
     })`,
    [path],
  )
  t.false(result.hung, `the child did not exit: ${result.output}`)
  t.is(result.code, 7, result.output)
  t.is(result.output, 'stat\n')
})

posixOnly('worker.terminate() settles while the worker runs async scans', async (t) => {
  const path = sparseFile(t, 256 * GiB)
  const result = await runChild(
    `const { Worker } = require('node:worker_threads')
     const worker = new Worker(\`
       const { parentPort, workerData } = require('node:worker_threads')
       const { MemoryMappedFile } = require(workerData.binding)
       const file = MemoryMappedFile.openRo(workerData.path)
       let told = false
       const onProgress = () => { if (!told) { told = true; parentPort.postMessage('scanning') } }
       file.findAllAsync('abc', { onProgress })
       file.segment(0, 2 ** 37).countLinesAsync({ onProgress })
     \`, { eval: true, workerData: { binding, path: process.argv[1] } })
     worker.once('message', async () => {
       await worker.terminate()
       console.log('terminated')
     })`,
    [path],
  )
  t.false(result.hung, `worker.terminate() never settled: ${result.output}`)
  t.is(result.code, 0, result.output)
  t.is(result.output, 'terminated\n')
})

test('sync scans, line iteration and flushAsync still work beside async scans and close()', async (t) => {
  const path = join(tempDir(t), 'lines.bin')
  writeFileSync(path, 'one\ntwo\nthree\n')
  const file = MemoryMappedFile.openRw(path)
  const counting = file.countLinesAsync()
  t.is(file.countLines(), 3)
  t.deepEqual(
    [...file.lines()].map((line) => Buffer.from(line).toString()),
    ['one', 'two', 'three'],
  )
  t.is(await counting, 3)
  file.updateRegion(0, 'ONE')
  await file.flushAsync()
  file.close()
  await rejectsLike(t, file.countLinesAsync(), { code: 'ERR_MMAP_CLOSED' })
})

// 3. onProgress that throws

test.serial('an exception thrown by onProgress stops the scan and rejects its Promise with it', async (t) => {
  const size = 256 * GiB
  const path = process.platform === 'win32' ? null : sparseFile(t, size)
  if (path !== null) {
    const file = MemoryMappedFile.openRo(path)
    const boom = new Error('boom')
    let calls = 0
    const error = await t.throwsAsync(
      file.countLinesAsync({
        threads: 1,
        onProgress: () => {
          calls++
          throw boom
        },
      }),
    )
    t.is(error, boom)
    t.is(calls, 1, 'onProgress is not called again once it threw')
    file.close()
  }
  // The last call (bytesDone === bytesTotal) comes before the Promise settles: it rejects too.
  const small = join(tempDir(t), 'small.bin')
  writeFileSync(small, 'abc\n')
  const file = MemoryMappedFile.openRo(small)
  const last = new TypeError('last')
  const error = await t.throwsAsync(
    file.countAsync('abc', {
      onProgress: (done: number, total: number) => {
        if (done === total) throw last
      },
    }),
  )
  t.is(error, last)
  // A caller's signal still aborts a scan with a guarded onProgress, with the caller's reason.
  const controller = new AbortController()
  const reason = new Error('why')
  controller.abort(reason)
  await rejectsLike(t, file.countAsync('abc', { signal: controller.signal, onProgress() {} }), {
    name: 'AbortError',
    code: 'ABORT_ERR',
  })
  file.close()
})

test('an onProgress that throws is never an uncaughtException, even without a handler', async (t) => {
  const path = join(tempDir(t), 'small.bin')
  writeFileSync(path, 'a\nb\n')
  const result = await runChild(
    `const { MemoryMappedFile } = require(binding)
     const file = MemoryMappedFile.openRo(process.argv[1])
     ;(async () => {
       try {
         await file.countLinesAsync({ onProgress: () => { throw new Error('boom') } })
         console.log('resolved')
       } catch (e) {
         console.log('caught', e.message)
       }
     })()`,
    [path],
  )
  t.false(result.hung, result.output)
  t.is(result.code, 0, result.output)
  t.is(result.output, 'caught boom\n')
})

posixOnly('async scans beyond the running slots wait their turn in order, holding no thread', async (t) => {
  // At most max(cores, 4) scans run at once; the others wait in the order they were started,
  // without a thread each. In a process of its own, so that the thread count is this test's alone.
  // Every step waits for an event (a progress report, a settled Promise), never for a duration.
  const result = await runChild(
    `const { MemoryMappedFile } = require(binding)
     const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
     const threads = () => process.platform !== 'linux' ? 0
       : Number(/Threads:\\s+(\\d+)/.exec(require('node:fs').readFileSync('/proc/self/status', 'utf8'))[1])
     const settled = (p) => p.then(() => 'resolved', (e) => e.code)
     const slots = Math.max(require('node:os').availableParallelism(), 4)
     const x = MemoryMappedFile.openRo(process.argv[1])
     const y = MemoryMappedFile.openRo(process.argv[2])
     ;(async () => {
       const before = threads()
       // Every slot busy with a scan of x (256 GiB: none can finish), each with its own signal.
       const running = Array.from({ length: slots }, () => {
         const controller = new AbortController()
         let started = false
         const scan = settled(x.countLinesAsync({ threads: 1, signal: controller.signal, onProgress: () => { started = true } }))
         return { controller, scan, started: () => started }
       })
       while (!running.every((r) => r.started())) await sleep(5)
       // Next in line: a, then b (scans of y), then 200 more scans of x.
       let aStarted = false
       let bStarted = false
       const a = settled(y.countLinesAsync({ threads: 1, onProgress: () => { aStarted = true } }))
       const b = settled(y.countLinesAsync({ threads: 1, onProgress: () => { bStarted = true } }))
       const more = Array.from({ length: 200 }, () => settled(x.countLinesAsync({ threads: 1 })))
       // A running scan has its own thread (it scans on it) and, with onProgress, a reporter; the
       // queue's watcher is one more.
       const grown = threads() - before
       console.log('threads within bound:', grown <= 2 * slots + 3 || grown)
       console.log('the waiting ones wait:', !aStarted && !bStarted)
       // One slot frees: the first in line takes it, the one after it waits on.
       running[0].controller.abort()
       console.log(await running[0].scan)
       while (!aStarted) await sleep(5)
       console.log('the next in line runs, the one after it waits:', !bStarted)
       x.close()
       console.log(JSON.stringify([...new Set(await Promise.all([...running.slice(1).map((r) => r.scan), ...more]))]))
       while (!bStarted) await sleep(5)
       y.close()
       console.log(await a, await b)
       const small = MemoryMappedFile.anonymous(4096)
       small.updateRegion(0, 'a\\nb\\nc\\n')
       console.log(JSON.stringify([...new Set(await Promise.all(Array.from({ length: 24 }, () => small.countLinesAsync())))]))
     })()`,
    [sparseFile(t, 256 * GiB), sparseFile(t, 256 * GiB)],
  )
  t.false(result.hung, result.output)
  t.is(result.code, 0, result.output)
  t.is(
    result.output,
    [
      'threads within bound: true',
      'the waiting ones wait: true',
      'ABORT_ERR',
      'the next in line runs, the one after it waits: true',
      '["ERR_MMAP_CLOSED"]',
      'ERR_MMAP_CLOSED ERR_MMAP_CLOSED',
      '[3]',
      '',
    ].join('\n'),
  )
})

posixOnly('aborting or closing thousands of waiting async scans settles them all, quickly', async (t) => {
  // Waiting scans hold no thread: 3,000 of them cost a queue entry each, and settle within the
  // watcher's interval once aborted or closed (the bound here is generous: a hang or a thread per
  // scan shows as minutes, or as a refused thread).
  const result = await runChild(
    `const { MemoryMappedFile } = require(binding)
     const settled = (p) => p.then(() => 'resolved', (e) => e.code)
     const x = MemoryMappedFile.openRo(process.argv[1])
     ;(async () => {
       const controller = new AbortController()
       // One signal for 1,500 calls: as with Node's own APIs, say so, or Node warns of a leak.
       require('node:events').setMaxListeners(0, controller.signal)
       const aborted = Array.from({ length: 1500 }, () => settled(x.countLinesAsync({ threads: 1, signal: controller.signal })))
       const closed = Array.from({ length: 1500 }, () => settled(x.countAsync('abc', { threads: 1 })))
       controller.abort()
       console.log(JSON.stringify([...new Set(await Promise.all(aborted))]))
       x.close()
       console.log(JSON.stringify([...new Set(await Promise.all(closed))]))
     })()`,
    [sparseFile(t, 256 * GiB)],
  )
  t.false(result.hung, result.output)
  t.is(result.code, 0, result.output)
  t.is(result.output, '["ABORT_ERR"]\n["ERR_MMAP_CLOSED"]\n')
})

test('close() or resize() before an async scan settles always rejects it, even if the scan had ended', async (t) => {
  // The scan may finish on its thread before close() runs; its Promise still settles after, on the
  // JS thread, and then says ERR_MMAP_CLOSED: a count of a mapping the caller gave up is not given.
  const path = join(tempDir(t), 'small.bin')
  writeFileSync(path, Buffer.alloc(1 << 20, 'a\n'))
  const outcomes = new Set<string>()
  for (let i = 0; i < 1000; i++) {
    const file = MemoryMappedFile.openRw(path)
    const scan = (i % 3 === 0 ? file.countAsync('a', { threads: 1 }) : file.countLinesAsync({ threads: 1 })).then(
      (n: number) => `resolved ${n}`,
      (error: NodeJS.ErrnoException) => String(error.code),
    )
    if (i % 2 === 0) file.close()
    else file.resize(1 << 20)
    outcomes.add(await scan)
    file.close()
  }
  t.deepEqual([...outcomes], ['ERR_MMAP_CLOSED'])
})
