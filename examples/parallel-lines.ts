// A parallel line processor: splitRanges() cuts a log file into one range per worker at line
// boundaries; each worker thread maps only its own window (open(path, { offset, length })) and
// walks its lines with lines(); the main thread merges the per-worker results and checks them
// against one thread doing the same.
//
//   node --import @oxc-node/core/register examples/parallel-lines.ts [FILE] [WORKERS]
//
// Without a FILE it generates a 200,000-line log in a temp dir.
import { once } from 'node:events'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads'

import { MemoryMappedFile } from 'mmapkit'

interface Task {
  path: string
  offset: number
  length: number
}

/** What one pass over some lines finds: lines per level and the total latency of the errors. */
interface Stats {
  lines: number
  levels: Record<string, number>
  errorLatencyMs: number
}

const LEVEL = Buffer.from(' level=')
const LATENCY = Buffer.from(' latency=')

/** One pass over the lines of a mapping (or window): the work each worker does. */
function analyze(file: MemoryMappedFile): Stats {
  const stats: Stats = { lines: 0, levels: {}, errorLatencyMs: 0 }
  for (const line of file.lines()) {
    stats.lines++
    const at = line.indexOf(LEVEL)
    if (at === -1) continue
    const end = line.indexOf(32, at + LEVEL.length)
    const level = line.toString('latin1', at + LEVEL.length, end === -1 ? line.length : end)
    stats.levels[level] = (stats.levels[level] ?? 0) + 1
    if (level === 'ERROR') {
      const latency = line.indexOf(LATENCY)
      if (latency !== -1) stats.errorLatencyMs += Number(line.toString('latin1', latency + LATENCY.length))
    }
  }
  return stats
}

function merge(all: Stats[]): Stats {
  const total: Stats = { lines: 0, levels: {}, errorLatencyMs: 0 }
  for (const stats of all) {
    total.lines += stats.lines
    total.errorLatencyMs += stats.errorLatencyMs
    for (const [level, n] of Object.entries(stats.levels)) total.levels[level] = (total.levels[level] ?? 0) + n
  }
  return total
}

if (!isMainThread) {
  const { path, offset, length } = workerData as Task
  using window = MemoryMappedFile.openRo(path, { offset, length, advice: 'sequential' })
  parentPort!.postMessage(analyze(window))
} else {
  let path = process.argv[2]
  const workers = Number(process.argv[3] ?? Math.max(2, Math.min(4, availableParallelism())))
  let tempDir: string | undefined
  if (!path) {
    tempDir = mkdtempSync(join(tmpdir(), 'mmapkit-parallel-lines-'))
    path = join(tempDir, 'service.log')
    const levels = ['INFO', 'INFO', 'INFO', 'WARN', 'ERROR', 'DEBUG']
    const lines: string[] = []
    for (let i = 0; i < 200_000; i++) {
      const level = levels[(i * 7) % levels.length]
      lines.push(
        `2026-11-30T12:00:${String(i % 60).padStart(2, '0')}Z level=${level} user=u${i % 977} latency=${(i * 31) % 500}`,
      )
    }
    writeFileSync(path, lines.join('\n') + '\n')
  }
  try {
    let start = performance.now()
    let single: Stats
    let ranges: Array<{ offset: number; length: number }>
    {
      using file = MemoryMappedFile.openRo(path)
      single = analyze(file)
      const oneThreadMs = performance.now() - start
      console.log(`file: ${file.length} bytes, ${single.lines} lines; 1 thread: ${oneThreadMs.toFixed(0)} ms`)
      // Ranges of near-equal size, each ending just after a '\n': no line is cut in two.
      ranges = file.splitRanges(workers).map((range) => ({ offset: file.offset + range.offset, length: range.length }))
    }
    start = performance.now()
    const pool = ranges.map(
      // Worker threads inherit process.execArgv, so the TypeScript loader is active in them too.
      (range) => new Worker(new URL(import.meta.url), { workerData: { path, ...range } satisfies Task }),
    )
    const results = (await Promise.all(pool.map((worker) => once(worker, 'message')))).map(([r]) => r as Stats)
    const merged = merge(results)
    console.log(`${ranges.length} workers: ${(performance.now() - start).toFixed(0)} ms (including worker start-up)`)
    for (const [i, range] of ranges.entries()) {
      console.log(`  worker ${i}: bytes ${range.offset}..${range.offset + range.length}, ${results[i].lines} lines`)
    }
    for (const level of Object.keys(merged.levels).sort()) console.log(`  ${level.padEnd(5)} ${merged.levels[level]}`)
    console.log(`error latency total: ${merged.errorLatencyMs} ms`)
    console.log(`match: ${JSON.stringify(merged) === JSON.stringify(merge([single])) ? 'yes' : 'NO'}`)
  } finally {
    if (tempDir) rmSync(tempDir, { recursive: true, force: true })
  }
}
