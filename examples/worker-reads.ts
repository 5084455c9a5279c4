// Concurrent reads from worker threads: each worker maps its own range of the same file readOnly
// and sums its bytes; the main thread checks the total against a single-threaded sum.
//
//   node --import @oxc-node/core/register examples/worker-reads.ts [FILE]
//
// Without an argument it generates a 32 MiB file of random bytes in a temp dir.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { once } from 'node:events'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads'

import { MemoryMappedFile } from 'mmapkit'

interface Task {
  path: string
  offset: number
  length: number
}

interface Result {
  sum: number
  ms: number
}

/** Sums the bytes of a range, reading them through zero-copy views in 1 MiB chunks. */
function sumBytes(file: MemoryMappedFile): number {
  let sum = 0
  for (const chunk of file.chunks(1 << 20)) {
    for (let i = 0; i < chunk.length; i++) sum += chunk[i]
  }
  return sum
}

if (!isMainThread) {
  // A worker: map only its window of the file. Mappings are per thread here; the OS shares the
  // underlying page-cache pages, so N workers do not mean N copies of the file in memory.
  const { path, offset, length } = workerData as Task
  using file = MemoryMappedFile.openRo(path, { offset, length, advice: 'sequential' })
  parentPort!.postMessage('ready')
  await new Promise((resolve) => parentPort!.once('message', resolve))
  const start = performance.now()
  const result: Result = { sum: sumBytes(file), ms: performance.now() - start }
  parentPort!.postMessage(result)
} else {
  let path = process.argv[2]
  let tempDir: string | undefined
  if (!path) {
    tempDir = mkdtempSync(join(tmpdir(), 'mmapkit-workers-'))
    path = join(tempDir, 'random.bin')
    writeFileSync(path, randomBytes(32 << 20))
  }
  const pool: Worker[] = []
  try {
    const start = performance.now()
    let expected: number
    let size: number
    {
      using file = MemoryMappedFile.openRo(path)
      size = file.length
      expected = sumBytes(file)
    }
    const oneThreadMs = performance.now() - start

    // Split the file into one contiguous range per worker.
    const workers = Math.max(2, Math.min(4, availableParallelism()))
    const step = Math.ceil(size / workers)
    for (let i = 0; i < workers; i++) {
      const task: Task = { path, offset: i * step, length: Math.max(0, Math.min(step, size - i * step)) }
      // The worker runs this same file. Worker threads inherit process.execArgv, so the
      // TypeScript loader (--import @oxc-node/core/register) is active in them too.
      pool.push(new Worker(new URL(import.meta.url), { workerData: task }))
    }
    await Promise.all(pool.map((worker) => once(worker, 'message'))) // all have mapped their range
    for (const worker of pool) worker.postMessage('go')
    const results = (await Promise.all(pool.map((worker) => once(worker, 'message')))).map(([r]) => r as Result)
    const total = results.reduce((sum, result) => sum + result.sum, 0)
    const workersMs = Math.max(...results.map((result) => result.ms)) // the slowest worker

    console.log(`file: ${size} bytes`)
    console.log(`1 thread:  sum ${expected} in ${oneThreadMs.toFixed(0)} ms`)
    console.log(`${workers} workers: sum ${total} in ${workersMs.toFixed(0)} ms (without worker startup)`)
    console.log(`per worker: ${results.map((result) => result.sum).join(', ')}`)
    if (total !== expected) throw new Error(`mismatch: ${total} !== ${expected}`)
    console.log('match: yes')
  } finally {
    await Promise.all(pool.map((worker) => worker.terminate())) // if one failed, stop the others
    if (tempDir) rmSync(tempDir, { recursive: true, force: true })
  }
}
