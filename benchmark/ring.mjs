// `npm run bench:ring`: messages per second and MB/s between two Node processes over an mmapkit
// RingBuffer, against the IPC channel of child_process.fork (process.send), a Unix domain socket
// and a worker_threads MessageChannel (thread to thread: it cannot cross processes), for 64-byte
// and 4 KiB messages, in one run. Issue 7's target: RingBuffer >= 10x process.send at 64 bytes.
//
// The parent sends, the receiver (a forked child, or a worker for MessageChannel) checks the
// sequence number and length of every message. A run's time is from the parent's first send to the
// receiver's receipt of the last message, both read from CLOCK_MONOTONIC (process.hrtime.bigint(),
// one clock for every process of the machine). The transports take turns within each round (in a
// rotating order), so noise from other jobs on the machine spreads over all of them; the table
// shows medians and the ratios of the medians of the same run.
//
//   node benchmark/ring.mjs [--count64 200000] [--count4k 50000] [--rounds 5] [--capacity 4M]
//                           [--dir /dev/shm] [--no-json-ipc] [--no-write]
import { fork } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { once } from 'node:events'
import { createRequire } from 'node:module'
import { connect } from 'node:net'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { MessageChannel, Worker } from 'node:worker_threads'

import {
  addonSummary,
  benchDir,
  formatNumber,
  formatRatio,
  machineInfo,
  median,
  parseSize as parseSizeOrThrow,
  rotate,
  saveResult,
  snapshotAddon,
  textTable,
} from './lib.mjs'
import { frame, template, writeSeq } from './ring/common.mjs'

const TARGET_RATIO = 10
/** A receiver that has not reported this long after the last send has lost a message. */
const DONE_TIMEOUT_MS = 30_000

// ---------------------------------------------------------------------------------------------
// Options

function usage(message) {
  if (message) console.error(`ring.mjs: ${message}`)
  console.error(
    'usage: node benchmark/ring.mjs [--count64 N] [--count4k N] [--rounds N] [--capacity 4M] [--dir DIR] [--no-json-ipc] [--no-write]',
  )
  process.exit(2)
}

function parseSize(text) {
  try {
    return parseSizeOrThrow(text)
  } catch (error) {
    return usage(error.message)
  }
}

function parseArgs(argv) {
  const options = {
    count64: 200_000,
    count4k: 50_000,
    rounds: 5,
    capacity: 4 * 2 ** 20,
    dir: existsSync('/dev/shm') ? '/dev/shm' : tmpdir(),
    jsonIpc: true,
    write: true,
  }
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2)
    const value = () => inline ?? argv[++i] ?? usage(`${flag} needs a value`)
    const integer = (min) => {
      const text = value()
      const n = Number(text)
      if (!Number.isInteger(n) || n < min) usage(`${flag} must be an integer >= ${min}, not '${text}'`)
      return n
    }
    if (flag === '--count64') options.count64 = integer(1)
    else if (flag === '--count4k') options.count4k = integer(1)
    else if (flag === '--rounds') options.rounds = integer(1)
    else if (flag === '--capacity') options.capacity = parseSize(value())
    else if (flag === '--dir') options.dir = value()
    else if (flag === '--no-json-ipc') options.jsonIpc = false
    else if (flag === '--no-write') options.write = false
    else if (flag === '-h' || flag === '--help') usage()
    else usage(`unknown option ${argv[i]}`)
  }
  if (options.capacity < 2 * (4096 + 8)) usage('--capacity must hold at least two 4 KiB messages')
  return options
}

const options = parseArgs(process.argv.slice(2))
const sizes = [
  { size: 64, count: options.count64 },
  { size: 4096, count: options.count4k },
]

// ---------------------------------------------------------------------------------------------
// The addon and the machine

const scratch = mkdtempSync(join(options.dir, 'mmapkit-ring-bench-'))
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }))
// The loader here, in the child and in the worker (which inherit the environment) uses the copy.
const addon = snapshotAddon(scratch)
const { RingBuffer } = createRequire(import.meta.url)('../index.js')
const machine = machineInfo(addon)

// ---------------------------------------------------------------------------------------------
// Statistics and formatting

const int = (n) => formatNumber(Math.round(n))
const fixed = (n, digits = 1) => n.toFixed(digits)

const elapsedNs = () => process.hrtime.bigint()

// ---------------------------------------------------------------------------------------------
// Where a RingBuffer message's time goes, in one process with nobody else touching the ring

function breakdown() {
  const ring = RingBuffer.create(join(scratch, 'breakdown.ring'), options.capacity)
  const results = []
  for (const size of [64, 4096]) {
    const message = template(size)
    const batch = Math.min(5000, Math.floor(ring.capacity / (Math.ceil((size + 4) / 8) * 8)))
    const batches = size === 64 ? 8 : 40
    const samples = { emptyPop: [], push: [], pop: [], copy: [] }
    for (let rep = 0; rep < 6; rep++) {
      let push = 0n
      let pop = 0n
      let emptyPop = 0n
      let copy = 0n
      for (let b = 0; b < batches; b++) {
        let t = elapsedNs()
        for (let i = 0; i < batch; i++) ring.push(message)
        push += elapsedNs() - t
        t = elapsedNs()
        for (let i = 0; i < batch; i++) ring.pop()
        pop += elapsedNs() - t
        t = elapsedNs()
        for (let i = 0; i < batch; i++) ring.pop()
        emptyPop += elapsedNs() - t
        t = elapsedNs()
        for (let i = 0; i < batch; i++) Buffer.from(message)
        copy += elapsedNs() - t
      }
      if (rep === 0) continue // warm-up
      const n = batch * batches
      samples.push.push(Number(push) / n)
      samples.pop.push(Number(pop) / n)
      samples.emptyPop.push(Number(emptyPop) / n)
      samples.copy.push(Number(copy) / n)
    }
    results.push({
      size,
      nsPerCall: Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, Number(median(v).toFixed(1))])),
      samples: Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, v.map((x) => Number(x.toFixed(1)))])),
    })
  }
  ring.close()
  return results
}

// ---------------------------------------------------------------------------------------------
// The receivers and their control channels

/** Resolves the next control message of `type` from `emitter` ('message' events). */
function controlChannel(emitter) {
  const waiting = new Map()
  const arrived = new Map()
  emitter.on('message', (message) => {
    if (message === null || typeof message !== 'object' || !('type' in message)) return
    const resolve = waiting.get(message.type)
    if (resolve) {
      waiting.delete(message.type)
      resolve(message)
    } else {
      arrived.set(message.type, message)
    }
  })
  return (type) => {
    if (arrived.has(type)) {
      const message = arrived.get(type)
      arrived.delete(type)
      return Promise.resolve(message)
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiting.delete(type)
        reject(new Error(`no '${type}' from the receiver within ${DONE_TIMEOUT_MS} ms (a lost message?)`))
      }, DONE_TIMEOUT_MS)
      waiting.set(type, (message) => {
        clearTimeout(timer)
        resolve(message)
      })
    })
  }
}

function forkReceiver(serialization) {
  const child = fork(join(benchDir, 'ring', 'child.mjs'), [], { serialization, stdio: 'inherit' })
  child.on('exit', (code, signal) => {
    if (!shuttingDown) {
      console.error(`ring.mjs: the ${serialization} receiver exited (${signal ?? code}) during the run`)
      process.exit(1)
    }
  })
  return { child, next: controlChannel(child), post: (message) => child.send(message) }
}

let shuttingDown = false
const ringPath = join(scratch, 'bench.ring')
const socketPath = join(scratch, 'bench.sock')
const ring = RingBuffer.create(ringPath, options.capacity)

const advanced = forkReceiver('advanced')
advanced.post({ type: 'init', ringPath, socketPath })
await advanced.next('ready')
const jsonChild = options.jsonIpc ? forkReceiver('json') : null
if (jsonChild) {
  jsonChild.post({ type: 'init' })
  await jsonChild.next('ready')
}

const socket = connect(socketPath)
await once(socket, 'connect')
socket.setNoDelay(true)

const { port1, port2 } = new MessageChannel()
const worker = new Worker(join(benchDir, 'ring', 'worker.mjs'), { workerData: { port: port2 }, transferList: [port2] })
const workerControl = { next: controlChannel(worker), post: (message) => worker.postMessage(message) }

// ---------------------------------------------------------------------------------------------
// The senders: `count` messages of `message.length` bytes, numbered 0..count-1

/** For the producer's short waits on a full ring (Atomics.wait on a word nobody changes). */
const pause = new Int32Array(new SharedArrayBuffer(4))
const stats = { fullWaits: 0 }

function sendRing(message, count) {
  for (let i = 0; i < count; i++) {
    writeSeq(message, 0, i)
    if (ring.push(message)) continue
    // Full: wait ~50 us at a time for the consumer to make room.
    let waits = 0
    do {
      Atomics.wait(pause, 0, 0, 0.05)
      if (++waits * 0.05 > DONE_TIMEOUT_MS) {
        throw new Error(`the RingBuffer stayed full for ${DONE_TIMEOUT_MS} ms (is the consumer alive?)`)
      }
    } while (!ring.push(message))
    stats.fullWaits += waits
  }
}

async function sendIpc(child, message, count) {
  for (let i = 0; i < count;) {
    writeSeq(message, 0, i++)
    // The write is serialised (copied) at once, so the one message Buffer is reused.
    if (child.send(message) || i === count) continue
    // Over 128 KiB queued in the channel: send the next one with a callback and wait until it is
    // written (the IPC channel has no 'drain' event).
    writeSeq(message, 0, i++)
    await new Promise((resolve, reject) => child.send(message, (error) => (error ? reject(error) : resolve())))
  }
}

async function sendIpcJson(child, message, count) {
  for (let i = 0; i < count;) {
    writeSeq(message, 0, i++)
    if (child.send(message.toString('base64')) || i === count) continue
    writeSeq(message, 0, i++)
    await new Promise((resolve, reject) =>
      child.send(message.toString('base64'), (error) => (error ? reject(error) : resolve())),
    )
  }
}

async function sendSocket(message, count) {
  for (let i = 0; i < count; i++) {
    if (!socket.write(frame(message, i))) await once(socket, 'drain')
  }
}

function sendPort(message, count) {
  for (let i = 0; i < count; i++) {
    writeSeq(message, 0, i)
    port1.postMessage(message) // structured clone: copied at once
  }
}

const transports = [
  {
    id: 'ring',
    label: 'mmapkit RingBuffer',
    receiver: advanced,
    send: sendRing,
  },
  {
    id: 'ipc',
    label: "process.send (fork IPC, 'advanced')",
    receiver: advanced,
    send: (message, count) => sendIpc(advanced.child, message, count),
  },
  ...(jsonChild
    ? [
        {
          id: 'ipcJson',
          label: "process.send (fork IPC, 'json', base64)",
          receiver: jsonChild,
          send: (message, count) => sendIpcJson(jsonChild.child, message, count),
        },
      ]
    : []),
  {
    id: 'socket',
    label: 'Unix domain socket (net, length-prefixed)',
    receiver: advanced,
    send: sendSocket,
  },
  {
    id: 'port',
    label: 'MessageChannel (worker thread, in-process)',
    receiver: workerControl,
    send: sendPort,
  },
]

/** One run: arms the receiver, sends, and waits for its report. Returns seconds and counters. */
async function run(transport, size, count) {
  const { receiver } = transport
  receiver.post({ type: 'expect', transport: transport.id, size, count })
  await receiver.next('armed')
  const message = template(size)
  const fullWaitsBefore = stats.fullWaits
  const done = receiver.next('done')
  const start = elapsedNs()
  await transport.send(message, count)
  const report = await done
  if (report.error) throw new Error(`${transport.label}, ${size}-byte messages: ${report.error}`)
  if (report.received !== count) throw new Error(`${transport.label}: ${report.received} of ${count} messages`)
  const seconds = Number(BigInt(report.endNs) - start) / 1e9
  return {
    seconds,
    msgsPerSec: count / seconds,
    MBps: (count * size) / seconds / 1e6,
    ...(transport.id === 'ring'
      ? { consumerSleeps: report.sleeps, producerFullWaits: stats.fullWaits - fullWaitsBefore }
      : {}),
  }
}

// ---------------------------------------------------------------------------------------------
// The measurement

const started = Date.now()
console.log(
  'mmapkit bench:ring: messages between two Node processes, RingBuffer vs process.send, socket, MessageChannel',
)
console.log(
  `machine: ${machine.cpu}, ${machine.cores} cores, ${machine.kernel}, Node ${machine.node}, mmapkit ${machine.mmapkitCommit}` +
    (machine.mmapkitSourceModified ? ' (+ uncommitted src/core changes)' : ''),
)
console.log(addonSummary(machine))
console.log(
  `ring: ${(ring.capacity / 2 ** 20).toFixed(1)} MiB in ${options.dir}; ${options.rounds} rounds; ` +
    `${int(options.count64)} x 64 B and ${int(options.count4k)} x 4 KiB messages per run; load average ${machine.loadAverageAtStart.join(' ')}`,
)

const perMessage = breakdown()

const cases = []
for (const { size, count } of sizes) {
  const samples = new Map(transports.map((t) => [t.id, []]))
  // Warm-up: a fifth of a run on each transport (JIT, socket buffers, page faults in the ring).
  for (const transport of transports) await run(transport, size, Math.max(1, Math.floor(count / 5)))
  for (let round = 0; round < options.rounds; round++) {
    for (const transport of rotate(transports, round)) samples.get(transport.id).push(await run(transport, size, count))
    if (process.stderr.isTTY) {
      process.stderr.write(
        `  ${size} B: round ${round + 1}/${options.rounds} (${((Date.now() - started) / 1000).toFixed(0)} s)\n`,
      )
    }
  }
  for (const transport of transports) {
    const runs = samples.get(transport.id)
    const ringRuns = samples.get('ring')
    cases.push({
      transport: transport.id,
      label: transport.label,
      crossesProcesses: transport.id !== 'port',
      messageBytes: size,
      messages: count,
      medianMsgsPerSec: Math.round(median(runs.map((r) => r.msgsPerSec))),
      medianMBps: Number(median(runs.map((r) => r.MBps)).toFixed(2)),
      medianSeconds: Number(median(runs.map((r) => r.seconds)).toFixed(4)),
      // RingBuffer's median over this one's, and the median of the ratios within each round.
      ringRatio: Number((median(ringRuns.map((r) => r.msgsPerSec)) / median(runs.map((r) => r.msgsPerSec))).toFixed(2)),
      ringRatioPerRoundMedian: Number(median(runs.map((r, i) => ringRuns[i].msgsPerSec / r.msgsPerSec)).toFixed(2)),
      samples: runs.map((r) => ({
        ...r,
        seconds: Number(r.seconds.toFixed(4)),
        msgsPerSec: Math.round(r.msgsPerSec),
        MBps: Number(r.MBps.toFixed(2)),
      })),
    })
  }
}

shuttingDown = true
advanced.post({ type: 'exit' })
jsonChild?.post({ type: 'exit' })
workerControl.post({ type: 'exit' })
socket.destroy()
port1.close()
ring.close()
await Promise.all([once(advanced.child, 'exit'), jsonChild && once(jsonChild.child, 'exit'), once(worker, 'exit')])

// ---------------------------------------------------------------------------------------------
// Report

console.log()
console.log('Where a RingBuffer message goes: one process, nobody else on the ring (ns per call, median):')
console.log(
  textTable(
    ['message', 'push', 'pop', 'pop of an empty ring', 'pop minus that', 'Buffer.from(message) in JS'],
    perMessage.map(({ size, nsPerCall: ns }) => [
      size === 64 ? '64 B' : '4 KiB',
      fixed(ns.push, 0),
      fixed(ns.pop, 0),
      fixed(ns.emptyPop, 0),
      fixed(ns.pop - ns.emptyPop, 0),
      fixed(ns.copy, 0),
    ]),
  ),
)
console.log(
  '(pop of an empty ring: the native call and the header check alone; pop minus that: copying the message out and making its Buffer)',
)

const rows = cases.map((c) => {
  const msgs = c.samples.map((s) => s.msgsPerSec)
  return [
    c.messageBytes === 64 ? '64 B' : '4 KiB',
    c.label,
    int(c.medianMsgsPerSec),
    fixed(c.medianMBps, 1),
    fixed(1e6 / c.medianMsgsPerSec, 2),
    `${int(Math.min(...msgs))}..${int(Math.max(...msgs))}`,
    c.transport === 'ring' ? '' : formatRatio(c.ringRatio),
  ]
})
console.log()
console.log(
  `Medians of ${options.rounds} rounds (MB = 10^6 bytes of payload; time from the first send to the receipt of the last message):`,
)
console.log(textTable(['message', 'transport', 'msgs/s', 'MB/s', 'us/msg', 'range msgs/s', 'RingBuffer is'], rows))

const ring64 = cases.find((c) => c.messageBytes === 64 && c.transport === 'ring')
const ipc64 = cases.find((c) => c.messageBytes === 64 && c.transport === 'ipc')
const ratio = ring64.medianMsgsPerSec / ipc64.medianMsgsPerSec
const target = {
  description: `RingBuffer >= ${TARGET_RATIO}x process.send ('advanced') for 64-byte messages (issue 7)`,
  ratio: Number(ratio.toFixed(2)),
  ratioPerRoundMedian: ipc64.ringRatioPerRoundMedian,
  met: ratio >= TARGET_RATIO,
}
const ringStats = sizes.map(({ size }) => {
  const c = cases.find((x) => x.messageBytes === size && x.transport === 'ring')
  return {
    size,
    sleeps: median(c.samples.map((s) => s.consumerSleeps)),
    fullWaits: median(c.samples.map((s) => s.producerFullWaits)),
  }
})
console.log()
console.log(
  `RingBuffer runs, median per run: the consumer found the ring empty and slept in popAsync ` +
    `${ringStats.map((s) => `${int(s.sleeps)}x at ${s.size} B`).join(', ')}; the producer found it full and waited 50 us ` +
    `${ringStats.map((s) => `${int(s.fullWaits)}x at ${s.size} B`).join(', ')}.`,
)
console.log()
console.log(
  `target: ${target.met ? 'MET' : 'MISSED'}: RingBuffer is ${ratio.toFixed(1)}x process.send for 64-byte messages ` +
    `(target ${TARGET_RATIO}x; median of per-round ratios ${target.ratioPerRoundMedian.toFixed(1)}x)`,
)

const wallSeconds = (Date.now() - started) / 1000
const result = {
  benchmark: 'ring',
  date: new Date(started).toISOString(),
  command: `node benchmark/ring.mjs ${process.argv.slice(2).join(' ')}`.trim(),
  machine: { ...machine, loadAverageAtEnd: loadavg().map((value) => Number(value.toFixed(2))) },
  config: {
    rounds: options.rounds,
    ringCapacityBytes: options.capacity,
    ringDir: options.dir,
    producerWaitWhenFullMicros: 50,
    consumer: 'ring.pop() ?? await ring.popAsync({ timeoutMs })',
    timing: 'first send (parent) to receipt of the last message (receiver), CLOCK_MONOTONIC',
    order: 'transports take turns within each round, in a rotating order, after one warm-up run each',
    sizes,
  },
  perMessageNs: perMessage,
  cases,
  ringStats,
  target,
  wallSeconds: Number(wallSeconds.toFixed(1)),
}
if (options.write) console.log(`wrote ${await saveResult(result, 'ring-')} (${wallSeconds.toFixed(0)} s)`)
