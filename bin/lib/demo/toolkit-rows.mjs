// The demo's toolkit rows: lines() against readline, and splitRanges + worker threads against one
// worker, on the demo's generated file. Every count is checked against what the generator wrote.
import { once } from 'node:events'
import { createReadStream } from 'node:fs'
import { createRequire } from 'node:module'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'

import { formatCount, formatSpeedup } from '../format.mjs'
import { median } from './measure.mjs'

const require = createRequire(import.meta.url)
const INDEX = fileURLToPath(new URL('../../../index.js', import.meta.url))

const { MemoryMappedFile } = require(INDEX)

const RUNS = 3

/** @param {import('../../../index.js').MemoryMappedFile} file */
function countLines(file) {
  let lines = 0
  let bytes = 0
  for (const line of file.lines()) {
    lines++
    bytes += line.length
  }
  return { lines, bytes }
}

/** @param {string} path */
async function readlineLines(path) {
  let lines = 0
  let bytes = 0
  const input = createInterface({ input: createReadStream(path, { highWaterMark: 1 << 20 }), crlfDelay: Infinity })
  for await (const line of input) {
    lines++
    bytes += line.length
  }
  return { lines, bytes }
}

/** A worker mapping its window; on 'go' it counts its lines and answers. */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads')
const { MemoryMappedFile } = require(${JSON.stringify(INDEX)})
const file = MemoryMappedFile.openRo(workerData.path, { offset: workerData.offset, length: workerData.length })
file.touchPages()
parentPort.postMessage('ready')
parentPort.on('message', () => {
  let lines = 0, bytes = 0
  for (const line of file.lines()) { lines++; bytes += line.length }
  parentPort.postMessage({ lines, bytes })
})`

/**
 * Workers over `ranges`, started and mapped before the clock starts; `median` runs of 'go'.
 * @param {string} path @param {{ offset: number, length: number }[]} ranges
 */
async function inWorkers(path, ranges) {
  const workers = ranges.map((range) => new Worker(WORKER, { eval: true, workerData: { path, ...range } }))
  try {
    await Promise.all(workers.map((worker) => once(worker, 'message')))
    return await median(RUNS, async () => {
      for (const worker of workers) worker.postMessage('go')
      const answers = await Promise.all(workers.map((worker) => once(worker, 'message')))
      return answers.reduce((total, [answer]) => total + answer.lines, 0)
    })
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()))
  }
}

/** @param {import('./sections.mjs').Setup} setup @returns {Promise<import('./sections.mjs').Row[]>} */
export async function toolkit(setup) {
  const { path, generated, threads } = setup
  const check = (/** @type {string} */ label, /** @type {number} */ got) => {
    if (got !== generated.lines) setup.problems.push(`${label}: got ${got}, expected ${generated.lines}`)
  }
  const file = MemoryMappedFile.openRo(path)
  try {
    file.touchPages()
    setup.status('lines() and readline')
    const mapped = await median(RUNS, () => countLines(file))
    const read = await median(RUNS, () => readlineLines(path))
    check('lines()', mapped.result.lines)
    check('readline', read.result.lines)
    const parts = Math.max(2, threads)
    setup.status(`splitRanges(${parts}) and worker threads`)
    const ranges = file.splitRanges(parts)
    const parallel = await inWorkers(path, ranges)
    const single = await inWorkers(path, [{ offset: 0, length: file.length }])
    check('splitRanges workers', parallel.result)
    check('one worker', single.result)
    const same = (/** @type {number} */ n) => (n === generated.lines ? 'same count' : 'MISMATCH')
    return [
      {
        measurement: 'lines: lines(), count + sum lengths',
        ms: mapped.ms,
        bytes: generated.bytes,
        result: formatCount(mapped.result.lines),
        note: formatSpeedup(read.ms / mapped.ms, 'readline'),
      },
      {
        measurement: 'lines: readline over createReadStream',
        ms: read.ms,
        bytes: generated.bytes,
        result: formatCount(read.result.lines),
        note: same(read.result.lines),
      },
      {
        measurement: `lines: splitRanges(${parts}) + ${ranges.length} workers`,
        ms: parallel.ms,
        bytes: generated.bytes,
        result: formatCount(parallel.result),
        note: formatSpeedup(single.ms / parallel.ms, 'one worker'),
      },
      {
        measurement: 'lines: 1 worker',
        ms: single.ms,
        bytes: generated.bytes,
        result: formatCount(single.result),
        note: same(single.result),
      },
    ]
  } finally {
    file.close()
  }
}
