// Known defects left by the last session (issues 11, 12 and 14's leftovers), one whole kind per
// test. Cases that can crash the process (a fault through a view) run in a child process.
import { constants } from 'node:buffer'
import { spawnSync } from 'node:child_process'
import { closeSync, existsSync, ftruncateSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'

import test, { type ExecutionContext } from 'ava'

import { MemoryMappedFile, RingBuffer } from '../index.js'
import { tempFile, throwsLike } from './helpers.mjs'

const INDEX = JSON.stringify(fileURLToPath(new URL('../index.js', import.meta.url)))
const linuxOnly = process.platform === 'linux' ? test : test.skip
const CLOSED = { class: Error, code: 'ERR_MMAP_CLOSED' }

/**
 * Runs `script` (CommonJS, with `MemoryMappedFile`, `RingBuffer`, `truncate(path, size)` done by
 * another process, `codeOf(call)` and `codeOfAsync(call)`) in a child; returns what it printed as
 * JSON, after checking it ended normally.
 */
function child(t: ExecutionContext, script: string): Record<string, unknown> {
  const run = spawnSync(
    process.execPath,
    [
      '-e',
      `const { MemoryMappedFile, RingBuffer } = require(${INDEX})
      const { spawnSync } = require('node:child_process')
      const truncate = (path, size) => {
        const done = spawnSync(process.execPath, ['-e', 'require("fs").truncateSync(process.argv[1], +process.argv[2])', path, String(size)])
        if (done.status !== 0) throw new Error('truncate failed')
      }
      const codeOf = (call) => { try { call(); return 'no error' } catch (error) { return error.code } }
      const codeOfAsync = async (call) => { try { await call(); return 'no error' } catch (error) { return error.code } }
      ;(async () => { ${script} })().catch((error) => { console.error(error); process.exitCode = 3 })`,
    ],
    { encoding: 'utf8', timeout: 120_000 },
  )
  t.is(run.signal, null, `the child was killed by ${run.signal}: ${run.stderr}`)
  t.is(run.status, 0, run.stderr)
  return JSON.parse(run.stdout) as Record<string, unknown>
}

/** Keys of `result` whose value is not `expected`, with their values. */
function unlike(result: Record<string, unknown>, expected: unknown): Record<string, unknown> {
  return Object.fromEntries(Object.entries(result).filter(([, value]) => value !== expected))
}

linuxOnly(
  'after a fault through a view, every call on the file, its segments, iterators and streams throws ERR_MMAP_TRUNCATED',
  (t) => {
    const path = tempFile(t, Buffer.alloc(1 << 20, 'line\n'))
    const result = child(
      t,
      `
    const path = ${JSON.stringify(path)}
    const file = MemoryMappedFile.openRw(path)
    const segment = file.segment(0, 100)
    // Iterators and a stream made before the fault, each past its first step.
    const lines = file.lines(), matches = file.matches('line'), chunks = file.chunks(4096)
    const segmentLines = segment.lines(), segmentChunks = segment.chunks(10), asyncLines = file.lines()
    for (const it of [lines, matches, chunks, segmentLines, segmentChunks, asyncLines]) it.next()
    const stream = file.createReadStream({ highWaterMark: 4096 })
    const view = file.asBuffer()
    truncate(path, 4096)
    let sum = 0
    for (let i = 8192; i < view.length; i += 4096) sum += view[i] // faults, recovered: zeros
    const drain = (it) => () => { for (let i = 0; i < 1e6 && !it.next().done; i++); }
    const calls = {
      read: () => file.read(0, 1), readInto: () => file.readInto(0, new Uint8Array(1)),
      asBuffer: () => file.asBuffer(0, 1), updateRegion: () => file.updateRegion(0, 'x'),
      segment: () => file.segment(0, 1), chunks: () => file.chunks(10), pages: () => file.pages(),
      createReadStream: () => file.createReadStream(), watch: () => file.watch(() => {}),
      flush: () => file.flush(), flushRange: () => file.flushRange(0, 1), resize: () => file.resize(8192),
      advise: () => file.advise('normal'), touchPages: () => file.touchPages(0, 1), prefetch: () => file.prefetch(0, 1),
      lockMemory: () => file.lockMemory(0, 1), unlockMemory: () => file.unlockMemory(0, 1),
      atomicLoadU32: () => file.atomicLoadU32(0), atomicStoreU64: () => file.atomicStoreU64(0, 1n),
      countByte: () => file.countByte(10), countLines: () => file.countLines(), indexOf: () => file.indexOf('x'),
      count: () => file.count('line'), findAll: () => file.findAll('line'), lastIndexOf: () => file.lastIndexOf('line'),
      lines: () => file.lines(), matches: () => file.matches('line'), splitRanges: () => file.splitRanges(2),
      typedArray: () => file.typedArray(Uint8Array, 0, 1), residency: () => file.residency(),
      'segment.read': () => segment.read(0, 1), 'segment.updateRegion': () => segment.updateRegion(0, 'x'),
      'segment.asBuffer': () => segment.asBuffer(), 'segment.flush': () => segment.flush(),
      'segment.chunks': () => segment.chunks(1), 'segment.segment': () => segment.segment(0, 1),
      'segment.countLines': () => segment.countLines(), 'segment.lines': () => segment.lines(),
      'segment.matches': () => segment.matches('line'), 'segment.lastIndexOf': () => segment.lastIndexOf('line'),
      'segment.splitRanges': () => segment.splitRanges(2), 'segment.typedArray': () => segment.typedArray(Uint8Array, 0, 1),
      'segment.residency': () => segment.residency(),
      'lines.next': drain(lines), 'matches.next': drain(matches), 'chunks.next': drain(chunks),
      'segmentLines.next': drain(segmentLines), 'segmentChunks.next': drain(segmentChunks),
    }
    const result = { sum }
    for (const [name, call] of Object.entries(calls)) result[name] = codeOf(call)
    const asyncCalls = {
      countLinesAsync: () => file.countLinesAsync(), findAllAsync: () => file.findAllAsync('line'),
      flushAsync: () => file.flushAsync(), 'segment.countAsync': () => segment.countAsync('line'),
      'stream made before': async () => { for await (const chunk of stream); },
      'for await lines()': async () => { for await (const line of asyncLines); },
    }
    for (const [name, call] of Object.entries(asyncCalls)) result[name] = await codeOfAsync(call)
    result.close = codeOf(() => file.close())
    console.log(JSON.stringify(result))`,
    )
    const { sum, close, ...rest } = result
    t.is(sum, 0, 'pages past the new end read as zeros')
    t.is(close, 'no error')
    t.deepEqual(unlike(rest, 'ERR_MMAP_TRUNCATED'), {}, 'calls that did not throw ERR_MMAP_TRUNCATED')
    t.true(Object.keys(rest).length > 50)
  },
)

test('on a closed mapping ERR_MMAP_CLOSED wins over the mode: every write method, files and segments', (t) => {
  const path = tempFile(t, Buffer.alloc(8192, 1))
  for (const mode of ['readOnly', 'copyOnWrite', 'readWrite'] as const) {
    const file = MemoryMappedFile.open(path, { mode })
    const segment = file.segment(0, 16)
    file.close()
    const writes: [string, () => unknown][] = [
      ['updateRegion', () => file.updateRegion(0, 'x')],
      ['updateRegion past the end', () => file.updateRegion(1 << 20, 'x')],
      ['atomicStoreU32', () => file.atomicStoreU32(0, 1)],
      ['atomicAddU32', () => file.atomicAddU32(0, 1)],
      ['atomicCompareExchangeU32', () => file.atomicCompareExchangeU32(0, 0, 1)],
      ['atomicStoreU64', () => file.atomicStoreU64(0, 1n)],
      ['atomicAddU64', () => file.atomicAddU64(0, 1n)],
      ['atomicCompareExchangeU64', () => file.atomicCompareExchangeU64(0, 0n, 1n)],
      ['resize', () => file.resize(100)],
      ['segment.updateRegion', () => segment.updateRegion(0, 'x')],
    ]
    for (const [name, call] of writes) throwsLike(t, call, CLOSED, `${mode} ${name}`)
  }
  // Open, the mode still decides.
  const readOnly = MemoryMappedFile.openRo(path)
  throwsLike(t, () => readOnly.updateRegion(0, 'x'), { class: Error, code: 'ERR_MMAP_READ_ONLY' })
  throwsLike(t, () => readOnly.atomicStoreU32(0, 1), { class: Error, code: 'ERR_MMAP_READ_ONLY' })
  throwsLike(t, () => readOnly.resize(1), { class: Error, code: 'ERR_MMAP_INVALID_MODE' })
  readOnly.close()
})

test('a segment once invalid stays invalid when the mapping grows back over it', (t) => {
  const path = tempFile(t, Buffer.alloc(8192, 2))
  const file = MemoryMappedFile.openRw(path)
  const late = file.segment(4096, 100)
  const sub = late.segment(10, 10)
  const early = file.segment(0, 10)
  const lines = late.lines()
  file.resize(1000)
  file.resize(8192) // no access in between: the shrink alone makes them invalid
  t.deepEqual([late.valid, sub.valid, early.valid], [false, false, true])
  const calls: [string, () => unknown][] = [
    ['read', () => late.read(0, 1)],
    ['readInto', () => late.readInto(0, new Uint8Array(1))],
    ['asBuffer', () => late.asBuffer()],
    ['updateRegion', () => sub.updateRegion(0, 'x')],
    ['flush', () => late.flush()],
    ['chunks', () => late.chunks(1)],
    ['segment', () => late.segment(0, 1)],
    ['countLines', () => late.countLines()],
    ['residency', () => sub.residency()],
    ['lines().next()', () => lines.next()],
  ]
  for (const [name, call] of calls) throwsLike(t, call, CLOSED, name)
  t.is(file.read(4096, 1)[0], 0, 'the file itself is usable (grown with zeros)')
  t.is(early.read(0, 1)[0], 2)
  // A resize that keeps covering a segment leaves it valid; a refused one changes nothing.
  const kept = file.segment(0, 100)
  file.resize(4096)
  t.throws(() => file.resize(-1))
  t.true(kept.valid)
  file.close()
  t.false(kept.valid)
})

test('a refused resize() leaves lines() iterators going', (t) => {
  const path = tempFile(t, Buffer.from('a\nb\nc\n'.repeat(2000)))
  writeFileSync(path, Buffer.from('a\nb\nc\n'.repeat(2000)))
  const file = MemoryMappedFile.openRo(path)
  const lines = file.lines()
  lines.next()
  throwsLike(t, () => file.resize(10), { class: Error, code: 'ERR_MMAP_INVALID_MODE' })
  let count = 1
  while (!lines.next().done) count++
  t.is(count, 6000)
  file.close()
})

linuxOnly(
  'a ring truncated by another process inside its header page is ERR_MMAP_TRUNCATED, not an empty ring',
  (t) => {
    const dir = tempFile(t, Buffer.alloc(0), 'unused')
    const result = child(
      t,
      `
    const result = {}
    for (const [size, messages] of [[100, 2], [2000, 0], [4095, 1], [4096, 0]]) {
      const path = ${JSON.stringify(dir)} + '.' + size + '.ring'
      const ring = RingBuffer.create(path, 1 << 16)
      for (let i = 0; i < messages; i++) ring.push('message ' + i)
      const popAsync = ring.popAsync({ timeoutMs: 5_000 })
      truncate(path, size)
      for (const [name, call] of Object.entries({
        pop: () => ring.pop(), peek: () => ring.peek(), push: () => ring.push('x'), length: () => ring.length,
      })) result[size + ' ' + name] = codeOf(call)
      if (messages === 0) result[size + ' popAsync'] = await codeOfAsync(() => popAsync)
      else await popAsync.catch(() => {})
      ring.close()
    }
    console.log(JSON.stringify(result))`,
    )
    t.deepEqual(unlike(result, 'ERR_MMAP_TRUNCATED'), {})
    t.is(Object.keys(result).length, 4 * 4 + 2)
  },
)

test('a ring message the u32 length prefix cannot describe (4 GiB) is refused before anything is written', (t) => {
  // A sparse ring of 4 GiB + 8 bytes of data holding one small message: RingBuffer.create would
  // preallocate the blocks, so the header is made by create on a small ring and then edited.
  const path = tempFile(t, Buffer.alloc(0), 'big.ring')
  RingBuffer.create(path, 16).close()
  const capacity = 2 ** 32 + 8
  const fd = openSync(path, 'r+')
  const field = Buffer.alloc(8)
  field.writeBigUInt64LE(BigInt(capacity))
  writeSync(fd, field, 0, 8, 16)
  ftruncateSync(fd, 4096 + capacity)
  closeSync(fd)
  const ring = RingBuffer.open(path)
  t.is(ring.capacity, capacity)
  t.true(ring.push('first'))
  const huge = Buffer.allocUnsafe(2 ** 32) // virtual memory only: never touched
  const error = t.throws(() => ring.push(huge), { instanceOf: RangeError })
  t.is((error as NodeJS.ErrnoException).code, 'ERR_OUT_OF_RANGE')
  t.regex(error.message, /"message\.byteLength".*<= 4294967295\. Received 4294967296/)
  t.is(ring.length, 1, 'nothing was written')
  t.is(ring.pop()?.toString(), 'first')
  t.is(ring.pop(), null)
  ring.close()
})

test('RingBuffer.length is validated: absurd counters and misaligned positions are ERR_MMAP_CORRUPT', (t) => {
  const path = tempFile(t, Buffer.alloc(0), 'counters.ring')
  const ring = RingBuffer.create(path, 64)
  ring.push('a')
  ring.push('b')
  const other = RingBuffer.open(path)
  const fd = openSync(path, 'r+')
  const field = Buffer.alloc(8)
  field.writeBigUInt64LE(2n ** 62n) // messages pushed, at offset 136
  writeSync(fd, field, 0, 8, 136)
  throwsLike(t, () => other.length, { class: Error, code: 'ERR_MMAP_CORRUPT' }, 'far more than the data holds')
  field.writeBigUInt64LE(2n) // back to the truth
  writeSync(fd, field, 0, 8, 136)
  t.is(other.length, 2)
  field.writeBigUInt64LE(3n) // tail, at offset 128: misaligned
  writeSync(fd, field, 0, 8, 128)
  closeSync(fd)
  throwsLike(t, () => other.length, { class: Error, code: 'ERR_MMAP_CORRUPT' })
  other.close()
  ring.close()
})

linuxOnly('a scan asked for more threads than cores uses at most the cores', (t) => {
  // A sparse 256 MiB file (room for 256 threads of 1 MiB each): its pages are zeros, scanned at memory speed without disk space.
  const path = tempFile(t, Buffer.alloc(0), 'sparse.bin')
  const fd = openSync(path, 'r+')
  ftruncateSync(fd, 256 << 20)
  closeSync(fd)
  const result = child(
    t,
    `
    const fs = require('node:fs')
    const tasks = () => fs.readdirSync('/proc/self/task').length
    const file = MemoryMappedFile.openRo(${JSON.stringify(path)})
    await file.countAsync('needle', { threads: 1, length: 1 << 20 }) // starts what any scan starts
    const before = tasks()
    let peak = before, samples = 0, done = false
    const scan = file.countAsync('needle', { threads: 4096 }).finally(() => { done = true })
    while (!done) {
      peak = Math.max(peak, tasks())
      samples++
      await new Promise((resolve) => setImmediate(resolve))
    }
    console.log(JSON.stringify({ extra: peak - before, samples, found: await scan }))`,
  )
  t.is(result.found, 0)
  // The scan's own threads (one part runs on the calling thread) plus the task's thread.
  const cores = availableParallelism()
  t.true((result.extra as number) <= cores + 1, `${JSON.stringify(result)} with ${cores} cores`)
})

const BIN = fileURLToPath(new URL('../bin/mmapkit.mjs', import.meta.url))
const linuxWithDevFull = process.platform === 'linux' && existsSync('/dev/full') ? test : test.skip

linuxWithDevFull('the CLI writing to a full stdout prints one line and exits 2; a closed pipe ends it quietly', (t) => {
  const lines = Buffer.from(Array.from({ length: 200_000 }, (_, i) => `line ${i} x\n`).join(''))
  const path = tempFile(t, lines, 'big.log')
  const commands = [
    ['find', 'x', path],
    ['find', '--json', 'x', path],
    ['lines', path],
    ['count', 'x', path],
    ['stat', path],
    ['--version'],
    ['--help'],
  ]
  for (const args of commands) {
    const full = openSync('/dev/full', 'w')
    const run = spawnSync(process.execPath, [BIN, ...args], { stdio: ['ignore', full, 'pipe'], encoding: 'utf8' })
    closeSync(full)
    const label = args.join(' ')
    t.is(run.signal, null, label)
    t.is(run.status, 2, `${label}: ${run.stderr}`)
    t.is(run.stderr, 'mmapkit: cannot write the output: ENOSPC: no space left on device, write\n', label)
  }
  // A reader that stops early (`| head -c 10`): no message, the status of the work done so far.
  const early = spawnSync(
    'bash',
    [
      '-c',
      `"$0" "$1" find x "$2" 2>"$2.err" | head -c 10 >/dev/null; echo "\${PIPESTATUS[0]}"`,
      process.execPath,
      BIN,
      path,
    ],
    { encoding: 'utf8' },
  )
  t.is(early.stdout.trim(), '0')
  t.is(readFileSync(`${path}.err`, 'utf8'), '')
})

test('range errors name what the caller passed, or describe the length it got by default', (t) => {
  const path = tempFile(t, Buffer.alloc(100, 'a\n'), 'names.bin')
  const file = MemoryMappedFile.openRw(path)
  const segment = file.segment(10, 20)
  const cases: [string, () => unknown, string, number, number][] = [
    // [label, call, name in the message, largest accepted value, value received]
    ['atomicLoadU32 past the end', () => file.atomicLoadU32(100), 'offset', 96, 100],
    ['atomicStoreU64 across the end', () => file.atomicStoreU64(96, 1n), 'offset', 92, 96],
    ['atomicAddU32 far past the end', () => file.atomicAddU32(200, 1), 'offset', 96, 200],
    ['indexOf fromOffset', () => file.indexOf('a', 200), 'fromOffset', 100, 200],
    ['count options.offset', () => file.count('a', { offset: 200 }), 'options.offset', 100, 200],
    ['findAll options.length', () => file.findAll('a', { offset: 50, length: 60 }), 'options.length', 50, 60],
    ['lines options.length', () => file.lines({ length: 200 }), 'options.length', 100, 200],
    ['matches options.offset', () => file.matches('a', { offset: 101 }), 'options.offset', 100, 101],
    ['splitRanges options.length', () => file.splitRanges(2, { length: 101 }), 'options.length', 100, 101],
    ['segment count options.length', () => segment.count('a', { length: 21 }), 'options.length', 20, 21],
    ['read length (passed)', () => file.read(50, 60), 'length', 50, 60],
  ]
  for (const [label, call, name, max, received] of cases) {
    throwsLike(
      t,
      call,
      {
        class: RangeError,
        code: 'ERR_OUT_OF_RANGE',
        message: `The value of "${name}" is out of range. It must be >= 0 && <= ${max}. Received ${received}`,
      },
      label,
    )
  }
  file.close()
})

test('async scans name options.offset/options.length too', async (t) => {
  const path = tempFile(t, Buffer.alloc(100, 'a\n'), 'names-async.bin')
  const file = MemoryMappedFile.openRo(path)
  const error = await t.throwsAsync(file.countLinesAsync({ offset: 200 }), { instanceOf: RangeError })
  t.is(error.message, 'The value of "options.offset" is out of range. It must be >= 0 && <= 100. Received 200')
  file.close()
})

const smallBuffers = constants.MAX_LENGTH < 2 ** 33 ? test : test.skip
smallBuffers('asBuffer() of a mapping longer than a Buffer can be names the default length', (t) => {
  const path = tempFile(t, Buffer.alloc(0), 'huge.bin')
  const fd = openSync(path, 'r+')
  ftruncateSync(fd, constants.MAX_LENGTH + 4096) // sparse
  closeSync(fd)
  const file = MemoryMappedFile.openRo(path)
  const rest = constants.MAX_LENGTH + 4096 - 10
  const error = t.throws(() => file.asBuffer(10), { instanceOf: RangeError })
  t.regex(error.message, /^The value of "this\.length - offset" is out of range\./)
  t.true(error.message.endsWith(`Received ${rest.toLocaleString('en-US').replaceAll(',', '_')}`), error.message)
  throwsLike(t, () => file.asBuffer(0, constants.MAX_LENGTH + 1), {
    class: RangeError,
    code: 'ERR_OUT_OF_RANGE',
    message: /"length"/,
  })
  file.close()
})

linuxOnly(
  "a view of a truncated mapping as readInto's target is that mapping's ERR_MMAP_TRUNCATED, not the healthy source's EIO",
  (t) => {
    const healthy = tempFile(t, Buffer.alloc(64 * 1024, 'h'), 'healthy.bin')
    const shrunk = tempFile(t, Buffer.alloc(64 * 1024, 's'), 'shrunk.bin')
    const result = child(
      t,
      `
    const source = MemoryMappedFile.openRo(${JSON.stringify(healthy)})
    const other = MemoryMappedFile.openRw(${JSON.stringify(shrunk)})
    const target = other.asBuffer(0, 32 * 1024)
    truncate(${JSON.stringify(shrunk)}, 4096)
    const describe = (call) => {
      try { call(); return 'no error' } catch (e) { return { code: e.code, syscall: e.syscall, path: e.path, message: e.message } }
    }
    const segment = source.segment(0, 32 * 1024)
    console.log(JSON.stringify({
      file: describe(() => source.readInto(0, target)),
      segment: describe(() => segment.readInto(0, target)),
      sourceStillWorks: source.read(0, 1).toString(),
      ownView: describe(() => other.readInto(0, target.subarray(8192, 8200))),
    }))`,
    )
    for (const key of ['file', 'segment']) {
      const error = result[key] as Record<string, unknown>
      t.is(error.code, 'ERR_MMAP_TRUNCATED', key)
      t.not(error.path, healthy, `${key}: the healthy file is not blamed`)
      t.is(error.syscall, undefined, key)
    }
    t.is(result.sourceStillWorks, 'h')
    t.is(
      (result.ownView as Record<string, unknown>).code,
      'ERR_MMAP_TRUNCATED',
      'a view of the faulting mapping itself',
    )
  },
)

test('a pattern that is a view of the mapping is taken as it was when the call began, whatever an options getter does', (t) => {
  // Found by the fuzz suite (reentrancy, seed 20261130): the JS layer read the options (whose
  // getter shrank the file, so the view read zeros) before the pattern's bytes were copied.
  const content = Buffer.alloc(10_000, 'x')
  content.write('needle', 100)
  content.write('needle', 5_000)
  const path = tempFile(t, content)
  for (const call of ['count', 'findAll', 'matches'] as const) {
    const file = MemoryMappedFile.openRw(path)
    const pattern = file.asBuffer(100, 6)
    const options = {
      get offset() {
        file.resize(4096) // the pattern's page stays, the second match goes; views read zeros
        return 0
      },
    }
    const result =
      call === 'count'
        ? file.count(pattern, options)
        : call === 'findAll'
          ? file.findAll(pattern, options).length
          : [...file.matches(pattern, options)].length
    t.is(result, 1, `${call}: the 'needle' at 100 is found, by the pattern read before the getter ran`)
    file.close()
    writeFileSync(path, content)
  }
})

test('createReadStream whose option getter closes the file throws ERR_MMAP_CLOSED, not an empty stream', (t) => {
  const path = tempFile(t, Buffer.alloc(1 << 16, 10))
  for (const key of ['start', 'end', 'highWaterMark']) {
    const file = MemoryMappedFile.openRo(path)
    const options = Object.defineProperty({}, key, {
      get() {
        file.close()
        return key === 'end' ? 100 : key === 'highWaterMark' ? 1024 : 0
      },
      enumerable: true,
    })
    throwsLike(t, () => file.createReadStream(options), CLOSED, key)
  }
})
