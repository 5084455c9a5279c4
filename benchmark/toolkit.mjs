#!/usr/bin/env node
// `npm run bench:toolkit`: the Performance targets of issue 12 (the big-file toolkit), every case
// run once untimed (warm-up), then measured in every round, in an order shuffled afresh each round (seeded, the same every run), so
// that noise from other jobs, and what the case before leaves behind (a worker's teardown, cold
// caches), spread over all of them; medians over the rounds, ratios of medians of the same run.
//
//   node benchmark/toolkit.mjs [--size 1G] [--vectors 512M] [--dir DIR] [--rounds 5] [--only WORD,...] [--no-save]
//
// On a warm --size file of ~80-byte log lines (bin/lib/demo/generate.mjs):
// - lines: counting the lines and summing their lengths in JS with lines(), with readline over
//   fs.createReadStream, and with a JS loop of view.indexOf(10, i) + subarray over asBuffer();
// - workers: splitRanges(2) + 2 worker threads doing the same on their own windows, against one
//   worker doing the whole file (workers are started and have mapped their window before timing);
// - matches: iterating matches() of a pattern found about once per 100 lines, against count() of it;
// - count of a rare pattern (the 1000 planted 'disk-full') against a C program running glibc memmem
//   on 2 pthreads over its own mapping of the file (benchmark/toolkit/memmem_count.c);
// - C references for lines (benchmark/toolkit/split_lines.c): a memchr loop counting the lines and
//   summing their lengths, on 1 thread (the hardware's speed for what lines() does) and on 2 (the
//   speedup C gets from the second core, beside the workers' one).
// The C programs are compiled with gcc -O2 -pthread into a temp dir, map the file themselves
// (MAP_POPULATE) and time their own work (the time of the child process is not counted).
// On a warm --vectors file of float32: dot products of every 256-float vector with a query, through
// typedArray(Float32Array) over the mapping, against the same JS loop over a Float32Array in the heap.
// Every answer is checked. The table gives each case's median wall-clock time (what the ratios use)
// and the median CPU time of this process during it (all threads, workers included), which a busy
// machine disturbs less. At the end: each target, MET or MISSED with the measured ratio, then the
// references (no target). Results go to benchmark/results/toolkit-<date>-<commit>.json unless
// --no-save.
import { spawnSync } from 'node:child_process'
import { once } from 'node:events'
import {
  closeSync,
  createReadStream,
  fdatasyncSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeSync,
} from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import { Worker } from 'node:worker_threads'

import { generateLog, RARE } from '../bin/lib/demo/generate.mjs'
import {
  addonSummary,
  benchDir,
  compileC,
  formatBytes,
  machineInfo,
  median,
  parseSize,
  repoRoot,
  saveResult,
  snapshotAddon,
  textTable,
  warmPageCache,
} from './lib.mjs'

const require = createRequire(import.meta.url)
const benchTemp = mkdtempSync(join(tmpdir(), 'mmapkit-bench-addon-'))
const addon = snapshotAddon(benchTemp)
const mmapkit = require('../index.js')
const { MemoryMappedFile } = mmapkit

const { values: args } = parseArgs({
  options: {
    size: { type: 'string', default: '1G' },
    vectors: { type: 'string', default: '512M' },
    dir: { type: 'string', default: tmpdir() },
    rounds: { type: 'string', default: '5' },
    only: { type: 'string' },
    'no-save': { type: 'boolean', default: false },
  },
})
const size = parseSize(args.size)
const vectorBytes = parseSize(args.vectors)
const rounds = Number(args.rounds)
/** About once per 100 lines in the generated log (checked below). */
const PATTERN = '/v1/items/00'
const DIM = 256

const cFlags = ['-O2', '-pthread']
const memmemCount = compileC(join(benchDir, 'toolkit', 'memmem_count.c'), join(benchTemp, 'memmem_count'), cFlags)
const splitLines = compileC(join(benchDir, 'toolkit', 'split_lines.c'), join(benchTemp, 'split_lines'), cFlags)

/** Runs a C reference; returns its JSON output, with `ms` (its own timing). */
function runC(reference, commandArgs) {
  const run = spawnSync(reference.binary, commandArgs.map(String), { encoding: 'utf8' })
  if (run.status !== 0) throw new Error(`${reference.binary} failed (${run.status}): ${run.stderr}`)
  const out = JSON.parse(run.stdout)
  return { ...out, ms: out.ns / 1e6 }
}

/** `list` in an order given by `seed` (Fisher-Yates over a 32-bit LCG). */
function shuffled(list, seed) {
  const out = [...list]
  let state = seed >>> 0
  for (let i = out.length - 1; i > 0; i--) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    const j = state % (i + 1)
    ;[out[i], out[j]] = [out[j], out[i]]
  }
  return out
}

/** What every line loop computes: the number of lines and the sum of their lengths. */
function linesWithMmapkit(file) {
  let count = 0
  let bytes = 0
  for (const line of file.lines()) {
    count++
    bytes += line.length
  }
  return { count, bytes }
}

function linesWithIndexOf(file) {
  const view = file.asBuffer()
  let count = 0
  let bytes = 0
  let at = 0
  while (at < view.length) {
    let end = view.indexOf(10, at)
    if (end === -1) end = view.length
    const line = view.subarray(at, end)
    count++
    bytes += line.length
    at = end + 1
  }
  return { count, bytes }
}

async function linesWithReadline(path) {
  let count = 0
  let bytes = 0
  const lines = createInterface({ input: createReadStream(path, { highWaterMark: 1 << 20 }), crlfDelay: Infinity })
  for await (const line of lines) {
    count++
    bytes += line.length // UTF-16 units; the log is ASCII, so the same as bytes
  }
  return { count, bytes }
}

/** A worker that maps its window, says 'ready', and on 'go' counts its lines. */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads')
const mmapkit = require(${JSON.stringify(join(repoRoot, 'index.js'))})
const file = mmapkit.MemoryMappedFile.openRo(workerData.path, { offset: workerData.offset, length: workerData.length })
file.touchPages()
parentPort.postMessage('ready')
parentPort.once('message', () => {
  const start = performance.now()
  let count = 0, bytes = 0
  for (const line of file.lines()) { count++; bytes += line.length }
  parentPort.postMessage({ count, bytes, ms: performance.now() - start })
  file.close()
})`

/** Time from 'go' to the last worker's answer, the workers started and mapped beforehand. */
async function inWorkers(path, ranges) {
  const workers = ranges.map((range) => new Worker(WORKER, { eval: true, workerData: { path, ...range } }))
  await Promise.all(workers.map((worker) => once(worker, 'message')))
  const start = performance.now()
  for (const worker of workers) worker.postMessage('go')
  const answers = (await Promise.all(workers.map((worker) => once(worker, 'message')))).map(([answer]) => answer)
  const ms = performance.now() - start
  await Promise.all(workers.map((worker) => worker.terminate()))
  return { ms, count: answers.reduce((s, a) => s + a.count, 0), bytes: answers.reduce((s, a) => s + a.bytes, 0) }
}

function dotProducts(vectors, query) {
  const count = vectors.length / DIM
  let best = -Infinity
  let bestIndex = -1
  for (let v = 0; v < count; v++) {
    let score = 0
    const base = v * DIM
    for (let i = 0; i < DIM; i++) score += vectors[base + i] * query[i]
    if (score > best) {
      best = score
      bestIndex = v
    }
  }
  return { bestIndex, best }
}

const dir = mkdtempSync(join(args.dir, 'mmapkit-bench-toolkit-'))
try {
  const logPath = join(dir, 'log.txt')
  await generateLog(logPath, size, () => {})
  warmPageCache(logPath, size)
  const vectorPath = join(dir, 'vectors.f32')
  {
    const chunk = new Float32Array(1 << 20)
    const fd = openSync(vectorPath, 'w')
    for (let at = 0, k = 0; at < vectorBytes; at += chunk.byteLength) {
      for (let i = 0; i < chunk.length; i++, k++) chunk[i] = ((k * 2654435761) % 2001) / 1000 - 1
      writeSync(fd, new Uint8Array(chunk.buffer), 0, Math.min(chunk.byteLength, vectorBytes - at))
    }
    fdatasyncSync(fd)
    closeSync(fd)
    warmPageCache(vectorPath, vectorBytes)
  }
  const file = MemoryMappedFile.openRo(logPath)
  file.touchPages() // every page in the page table before timing, as the workers and the C programs do
  // Lines as lines() and readline see them: a last line without '\n' counts too.
  const logBytes = file.length // the generator stops at a line end at or before --size
  const newlines = file.countLines()
  const unterminated = logBytes > 0 && file.read(logBytes - 1, 1)[0] !== 10 ? 1 : 0
  const expected = { count: newlines + unterminated, bytes: logBytes - newlines }
  const occurrences = file.count(PATTERN)
  const rareOccurrences = file.count(RARE)
  const ranges = file.splitRanges(2)
  const query = Float32Array.from({ length: DIM }, (_, i) => Math.sin(i))
  const heapCopy = readFileSync(vectorPath)
  const heap = new Float32Array(heapCopy.buffer, heapCopy.byteOffset, vectorBytes / 4)
  const vectorFile = MemoryMappedFile.openRo(vectorPath)
  vectorFile.touchPages() // in the page table, as the heap copy is in memory, before timing
  const mapped = vectorFile.typedArray(Float32Array, 0, vectorBytes / 4)
  const expectedDot = dotProducts(heap, query)

  const same = (a, b) => a.count === b.count && a.bytes === b.bytes
  /** @type {Record<string, () => unknown>} */
  const cases = {
    'lines(): count + sum lengths': () => linesWithMmapkit(file),
    'readline over createReadStream': () => linesWithReadline(logPath),
    'JS indexOf(10) + subarray loop over asBuffer()': () => linesWithIndexOf(file),
    'splitRanges(2) + 2 workers, lines()': () => inWorkers(logPath, ranges),
    '1 worker, lines()': () => inWorkers(logPath, [{ offset: 0, length: logBytes }]),
    [`matches('${PATTERN}') iterated`]: () => {
      let n = 0
      for (const _ of file.matches(PATTERN)) n++
      return n
    },
    [`count('${PATTERN}')`]: () => file.count(PATTERN),
    [`count('${RARE}') (rare)`]: () => file.count(RARE),
    [`C memmem count('${RARE}'), 2 threads`]: () => runC(memmemCount, [logPath, RARE, 2]),
    'C memchr line split, 1 thread': () => {
      const out = runC(splitLines, [logPath, 1])
      return { ...out, count: out.lines }
    },
    'C memchr line split, 2 threads': () => {
      const out = runC(splitLines, [logPath, 2])
      return { ...out, count: out.lines }
    },
    'typedArray(Float32Array) dot products': () => dotProducts(mapped, query),
    'heap Float32Array dot products': () => dotProducts(heap, query),
  }
  const checks = {
    'lines(): count + sum lengths': (r) => same(r, expected),
    'readline over createReadStream': (r) => same(r, expected),
    'JS indexOf(10) + subarray loop over asBuffer()': (r) => same(r, expected),
    'splitRanges(2) + 2 workers, lines()': (r) => same(r, expected),
    '1 worker, lines()': (r) => same(r, expected),
    [`matches('${PATTERN}') iterated`]: (r) => r === occurrences,
    [`count('${PATTERN}')`]: (r) => r === occurrences,
    [`count('${RARE}') (rare)`]: (r) => r === rareOccurrences,
    [`C memmem count('${RARE}'), 2 threads`]: (r) => r.count === rareOccurrences,
    'C memchr line split, 1 thread': (r) => same(r, expected),
    'C memchr line split, 2 threads': (r) => same(r, expected),
    'typedArray(Float32Array) dot products': (r) => r.bestIndex === expectedDot.bestIndex,
    'heap Float32Array dot products': (r) => r.bestIndex === expectedDot.bestIndex,
  }
  // --only a,b: the cases whose name contains one of the words (targets need both of their cases).
  const only = args.only?.split(',').filter(Boolean)
  const names = Object.keys(cases).filter((name) => !only || only.some((word) => name.includes(word)))
  /** @type {Record<string, number[]>} */
  const times = Object.fromEntries(names.map((name) => [name, []]))
  /** CPU time of this process (all its threads, workers included; not the C children) per case. */
  const cpuTimes = Object.fromEntries(names.map((name) => [name, []]))
  // One untimed round first: every case's code optimized by V8 and its pages in the page table
  // (a first call of a JS loop runs partly in the interpreter).
  for (const name of names) {
    if (!checks[name](await cases[name]())) throw new Error(`${name}: wrong answer in the warm-up round`)
  }
  process.stderr.write('warm-up round done\n')
  for (let round = 0; round < rounds; round++) {
    for (const name of shuffled(names, round + 1)) {
      const cpuStart = process.cpuUsage()
      const start = performance.now()
      const result = await cases[name]()
      const elapsed = performance.now() - start
      const cpu = process.cpuUsage(cpuStart)
      if (!checks[name](result)) throw new Error(`${name}: wrong answer ${JSON.stringify(result)}`)
      times[name].push(typeof result === 'object' && result && 'ms' in result ? result.ms : elapsed)
      cpuTimes[name].push((cpu.user + cpu.system) / 1000)
    }
    process.stderr.write(`round ${round + 1}/${rounds} done\n`)
  }
  const ms = Object.fromEntries(names.map((name) => [name, median(times[name])]))
  const cpuMs = Object.fromEntries(names.map((name) => [name, median(cpuTimes[name])]))
  const machine = machineInfo(addon)
  console.log(addonSummary(machine))
  console.log(
    `${machine.cpu}, ${machine.cores} cores; log ${formatBytes(logBytes)}, ${expected.count} lines; ` +
      `'${PATTERN}' ${occurrences} times (1 per ${Math.round(expected.count / occurrences)} lines); ` +
      `'${RARE}' ${rareOccurrences} times; vectors ${formatBytes(vectorBytes)}`,
  )
  console.log(
    textTable(
      ['case', 'median ms', 'MiB/s', 'CPU ms'],
      names.map((name) => {
        const bytes = name.includes('dot products') ? vectorBytes : logBytes
        // The C programs run in child processes: their CPU time is not this process's.
        const cpu = name.startsWith('C ') ? '-' : cpuMs[name].toFixed(0)
        return [name, ms[name].toFixed(0), (bytes / 2 ** 20 / (ms[name] / 1000)).toFixed(0), cpu]
      }),
    ),
  )
  const ratio = (slow, fast) => ms[slow] / ms[fast]
  const within = ' (speed / reference speed; within 1.2x: >= 0.83)'
  const targets = [
    ['lines() >= 10x readline', ratio('readline over createReadStream', 'lines(): count + sum lengths'), 10],
    [
      'lines() >= 1.5x the indexOf loop',
      ratio('JS indexOf(10) + subarray loop over asBuffer()', 'lines(): count + sum lengths'),
      1.5,
    ],
    [
      'splitRanges(2) + 2 workers >= 1.6x one worker',
      ratio('1 worker, lines()', 'splitRanges(2) + 2 workers, lines()'),
      1.6,
    ],
    ['matches() >= 0.9x count()', ratio(`count('${PATTERN}')`, `matches('${PATTERN}') iterated`), 0.9],
    [
      `count('${RARE}') within 1.2x of C memmem on 2 threads`,
      ratio(`C memmem count('${RARE}'), 2 threads`, `count('${RARE}') (rare)`),
      1 / 1.2,
      within,
    ],
    [
      'typedArray dot products within 1.1x of the heap',
      // mapped speed / heap speed: within 1.1x means at least 1 / 1.1
      ratio('heap Float32Array dot products', 'typedArray(Float32Array) dot products'),
      1 / 1.1,
      ' (mapped speed / heap speed)',
    ],
  ]
  for (const [label, value, goal, note = 'x'] of targets) {
    if (Number.isNaN(value)) continue // --only left out one of its cases
    console.log(`${value >= goal ? 'MET   ' : 'MISSED'} ${label}: ${value.toFixed(2)}${note}`)
  }
  const references = [
    [
      'lines() speed / C memchr line split (1 thread)',
      ratio('C memchr line split, 1 thread', 'lines(): count + sum lengths'),
    ],
    [
      'C memchr line split: 2 threads / 1 thread',
      ratio('C memchr line split, 1 thread', 'C memchr line split, 2 threads'),
    ],
    ['splitRanges(2) + 2 workers / 1 worker', ratio('1 worker, lines()', 'splitRanges(2) + 2 workers, lines()')],
    [
      `count('${RARE}') speed / C memmem on 2 threads`,
      ratio(`C memmem count('${RARE}'), 2 threads`, `count('${RARE}') (rare)`),
    ],
  ]
  for (const [label, value] of references)
    if (!Number.isNaN(value)) console.log(`REF    ${label}: ${value.toFixed(2)}x`)
  file.close()
  vectorFile.close()
  if (!args['no-save'])
    await saveResult(
      {
        date: new Date().toISOString(),
        command: `node benchmark/toolkit.mjs ${process.argv.slice(2).join(' ')}`.trim(),
        machine,
        size,
        logBytes,
        lines: expected.count,
        vectorBytes,
        rounds,
        ms,
        times,
        cpuMs,
        cpuTimes,
        targets: targets.map(([label, value, goal]) => ({ label, value, goal, met: value >= goal })),
        references: Object.fromEntries(references),
        cReferences: {
          memmemCount: { source: 'benchmark/toolkit/memmem_count.c', ...memmemCount.info },
          splitLines: { source: 'benchmark/toolkit/split_lines.c', ...splitLines.info },
        },
      },
      'toolkit-',
    )
} finally {
  rmSync(dir, { recursive: true, force: true })
  rmSync(benchTemp, { recursive: true, force: true })
}
