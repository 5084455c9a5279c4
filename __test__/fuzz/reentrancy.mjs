// Property: user code that runs in the middle of a call (option getters, valueOf/toString/
// Symbol.toPrimitive on numbers, AbortSignal getters, onProgress) and closes the mapping, resizes
// it, truncates or replaces the file, or detaches the buffers involved. Acceptable outcomes: the
// call succeeds with the model's bytes (as they were before or after the interference), or throws
// a typed error; the file then holds what the model says. Never a crash, a hang, an untyped error
// or wrong bytes.
import fc from 'fast-check'
import { mkdtempSync, readFileSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { attempt, attemptAsync, describeError, expectTyped, violation } from './errors.mjs'
import { findAllModel } from './file-model.mjs'
import { allowed } from './known.mjs'
import { detach, fillPattern } from './values.mjs'

const ACTIONS = ['noop', 'close', 'grow', 'shrink', 'truncateFile', 'unlinkFile', 'detachPattern', 'closeAndMapAnother']
const SCAN_CALLS = ['count', 'findAll', 'countAsync', 'findAllAsync', 'countLinesAsync']
const SCAN_KEYS = ['offset', 'length', 'limit', 'threads', 'signal', 'onProgress']
const OPEN_KEYS = [
  'mode',
  'offset',
  'length',
  'size',
  'create',
  'flushPolicy',
  'lock',
  'advice',
  'populate',
  'hugePages',
]
const OPEN_ACTIONS = ['noop', 'truncateFile', 'growFile', 'unlinkFile', 'replaceWithDir', 'rewriteFile']
const COERCE_METHODS = [
  'read',
  'readInto',
  'asBuffer',
  'updateRegion',
  'segment',
  'chunks',
  'countByte',
  'flushRange',
  'resize',
  'atomicLoadU32',
  'indexOf',
]
const ASYNC_CALLS = ['countAsync', 'findAllAsync', 'countLinesAsync', 'flushAsync', 'flushRangeAsync']
const AFTER_ACTIONS = ['close', 'grow', 'shrink', 'truncateFile']
// A promise that has not settled after this long is a hang (generous: CI machines are busy).
const SETTLE_MS = 20_000

const scenario = fc.oneof(
  fc.record({
    kind: fc.constant('scanOptionGetter'),
    call: fc.constantFrom(...SCAN_CALLS),
    key: fc.constantFrom(...SCAN_KEYS),
    action: fc.constantFrom(...ACTIONS),
    onSegment: fc.boolean(),
    patternKind: fc.constantFrom('string', 'plain', 'shared', 'resizable', 'odd', 'viewOfMapping'),
  }),
  fc.record({
    kind: fc.constant('openOptionGetter'),
    factory: fc.constantFrom('open', 'openRo', 'openRw', 'openCow', 'createRw', 'openOrCreate', 'openAsync'),
    key: fc.constantFrom(...OPEN_KEYS),
    action: fc.constantFrom(...OPEN_ACTIONS),
  }),
  fc.record({
    kind: fc.constant('coercion'),
    method: fc.constantFrom(...COERCE_METHODS),
    via: fc.constantFrom('valueOf', 'toString', 'toPrimitive'),
    action: fc.constantFrom(...ACTIONS),
  }),
  fc.record({
    kind: fc.constant('afterCall'),
    call: fc.constantFrom(...ASYNC_CALLS),
    action: fc.constantFrom(...AFTER_ACTIONS),
  }),
  fc.record({
    kind: fc.constant('iterate'),
    size: fc.constantFrom(1, 100, 4096, 5000),
    at: fc.nat({ max: 4 }),
    action: fc.constantFrom('close', 'grow', 'shrink'),
    async: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('signal'),
    call: fc.constantFrom('countAsync', 'countLinesAsync', 'flushAsync', 'flushRangeAsync', 'lockAsync'),
    getter: fc.constantFrom('aborted', 'reason', 'addEventListener', 'throwIfAborted'),
    action: fc.constantFrom('close', 'shrink', 'abortOther', 'throw'),
    preAborted: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('ringGetter'),
    key: fc.constantFrom('timeoutMs', 'signal', 'overwrite'),
    action: fc.constantFrom('close', 'push', 'replaceRing', 'unlinkRing'),
  }),
  fc.record({
    kind: fc.constant('provenance'),
    call: fc.constantFrom('readInto', 'updateRegion', 'count'),
    from: fc.constantFrom(
      'sameMapping',
      'otherMapping',
      'closedMapping',
      'shared',
      'resizableShrunk',
      'resizableGrown',
      'detached',
      'transferredView',
    ),
    off: fc.nat({ max: 200 }),
    len: fc.nat({ max: 64 }),
  }),
)

export function arbitrary() {
  return fc.record({
    size: fc.constantFrom(0, 1, 100, 4096, 4097, 10000),
    mode: fc.constantFrom('readOnly', 'readWrite', 'copyOnWrite'),
    scenario,
  })
}

/** File content with something for every scan to find. */
function content(size) {
  const b = fillPattern(size, 7)
  for (let i = 0; i + 2 <= size; i += 37) b.write('ab', i, 'latin1')
  for (let i = 20; i < size; i += 53) b[i] = 10
  return b
}

export async function run(input, { M, lib }) {
  const dir = mkdtempSync(join(tmpdir(), 'mmapkit-fuzz-re-'))
  try {
    await runIn(input, M, lib, dir)
  } catch (error) {
    if (error instanceof Error) error.message += `\n  scenario: ${JSON.stringify(input)}`
    throw error
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Checks a call's outcome: success must match one of `models(result)`; failure must be typed. */
function judge(r, what, check) {
  if (!r.ok) return expectTyped(r.error, undefined, what)
  if (check) check(r.value)
}

async function runIn(input, M, lib, dir) {
  const path = join(dir, 'data.bin')
  const original = content(input.size)
  writeFileSync(path, original)
  const s = input.scenario
  const others = []
  const cleanup = () => {
    for (const o of others) attempt(() => o.close())
  }
  try {
    if (s.kind === 'openOptionGetter') return await openGetter(s, M, path, dir, original)
    if (s.kind === 'ringGetter') return await ringGetter(s, lib.RingBuffer, dir)
    const file = attempt(() => M.open(path, { mode: input.mode })).value
    if (!file) throw violation(`open(${input.mode}) of a ${input.size}-byte file failed`)
    others.push(file)
    // Interference, recorded so the outcome can be judged against the state before or after it.
    const states = [Buffer.from(original)] // the bytes the mapping may show
    const canResize = input.mode === 'readWrite'
    const act = (action, extra = {}) => {
      switch (action) {
        case 'close':
          file.close()
          break
        case 'grow':
          if (canResize && !file.closed) {
            file.resize(input.size + 5000)
            states.push(Buffer.concat([states.at(-1), Buffer.alloc(5000)]))
          }
          break
        case 'shrink':
          if (canResize && !file.closed) {
            const n = Math.floor(input.size / 2)
            file.resize(n)
            states.push(Buffer.from(states.at(-1).subarray(0, n)))
          }
          break
        case 'truncateFile':
          // another process truncates the file (only native accesses are guarded: no views are touched after this)
          truncateSync(path, Math.floor(input.size / 3))
          states.push(null) // anything goes for bytes now; only typed errors are checked
          break
        case 'unlinkFile':
          unlinkSync(path)
          break
        case 'detachPattern':
          if (
            extra.pattern?.buffer &&
            extra.pattern.byteLength &&
            !(extra.pattern.buffer instanceof SharedArrayBuffer)
          ) {
            if (extra.patternIsView) break // a view of the mapping: detaching it is known-broken (issue 11)
            detach(extra.pattern.buffer)
          }
          break
        case 'closeAndMapAnother': {
          file.close()
          const p2 = join(dir, 'other.bin')
          writeFileSync(p2, Buffer.alloc(Math.max(1, input.size), 0x5a))
          others.push(M.openRw(p2))
          break
        }
      }
    }
    if (s.kind === 'scanOptionGetter') await scanGetter(s, file, act, states)
    else if (s.kind === 'coercion') await coercion(s, file, act, states, input)
    else if (s.kind === 'afterCall') await afterCall(s, file, act, states)
    else if (s.kind === 'iterate') await iterate(s, file, act, states)
    else if (s.kind === 'signal') await signalGetter(s, file, act, states)
    else if (s.kind === 'provenance') await provenance(s, file, M, dir, input, states)
    // Whatever happened, the file holds what the model says (cow/readOnly: the original bytes).
    attempt(() => file.close())
    if (states.at(-1) !== null && existsFile(path)) {
      const disk = readFileSync(path)
      const expected = input.mode === 'readWrite' ? states.at(-1) : original
      if (!disk.equals(expected) && !(input.mode === 'readWrite' && s.kind === 'provenance')) {
        throw violation(`the file on disk (${disk.length} bytes) differs from the model (${expected.length} bytes)`)
      }
    }
  } finally {
    cleanup()
  }
}

function existsFile(p) {
  try {
    readFileSync(p, { flag: 'r' })
    return true
  } catch {
    return false
  }
}

function makePattern(kind, file) {
  const text = 'ab'
  switch (kind) {
    case 'string':
      return { value: text }
    case 'plain':
      return { value: new Uint8Array(Buffer.from(text)) }
    case 'shared': {
      const u = new Uint8Array(new SharedArrayBuffer(4), 1, 2)
      u.set(Buffer.from(text))
      return { value: u }
    }
    case 'resizable': {
      const u = new Uint8Array(new ArrayBuffer(2, { maxByteLength: 16 }))
      u.set(Buffer.from(text))
      return { value: u }
    }
    case 'odd': {
      const u = new Uint8Array(new ArrayBuffer(5), 3, 2)
      u.set(Buffer.from(text))
      return { value: u }
    }
    case 'viewOfMapping': {
      // the pattern is a view of the mapping itself, where the content has 'ab' at 0
      if (file.length < 2) return { value: text }
      return { value: file.asBuffer(0, 2), isView: true }
    }
  }
}

async function scanGetter(s, file, act, states) {
  const target = s.onSegment && file.length >= 10 ? file.segment(5, file.length - 10) : file
  const base = target === file ? 0 : 5
  const span = (st) => st.subarray(base, base + (target === file ? st.length : file.length - 10))
  const { value: pattern, isView } = makePattern(s.patternKind, file)
  let ran = false
  const options = {}
  const defaults = { offset: 0, length: undefined, limit: 1000, threads: 2, signal: undefined, onProgress: undefined }
  Object.defineProperty(options, s.key, {
    enumerable: true,
    get() {
      if (!ran) {
        ran = true
        act(s.action, { pattern, patternIsView: isView })
      }
      return defaults[s.key]
    },
  })
  const isAsync = s.call.endsWith('Async')
  const call = () => (s.call === 'countLinesAsync' ? target.countLinesAsync(options) : target[s.call](pattern, options))
  const r = isAsync ? await attemptAsync(call) : attempt(call)
  judge(r, `${s.call} with a getter on options.${s.key} that does ${s.action}`, (value) => {
    const needle = s.call === 'countLinesAsync' ? Buffer.from('\n') : Buffer.from('ab')
    const answers = states.filter(Boolean).map((st) => {
      const found = findAllModel(span(st), needle)
      return s.call.startsWith('findAll') ? JSON.stringify(found) : JSON.stringify(found.length)
    })
    if (states.includes(null)) return
    if (!answers.includes(JSON.stringify(value))) {
      throw violation(
        `${s.call} (getter on ${s.key} doing ${s.action}) returned ${JSON.stringify(value)}; the model says ${answers.join(' or ')}`,
      )
    }
  })
}

async function coercion(s, file, act, states, input) {
  let ran = false
  const hook = () => {
    if (!ran) {
      ran = true
      act(s.action)
    }
  }
  const number = {
    valueOf: { valueOf: () => (hook(), 1) },
    toString: { toString: () => (hook(), '1') },
    toPrimitive: { [Symbol.toPrimitive]: () => (hook(), 1) },
  }[s.via]
  const calls = {
    read: () => file.read(number, 1),
    readInto: () => file.readInto(number, new Uint8Array(1)),
    asBuffer: () => file.asBuffer(number, 1),
    updateRegion: () => file.updateRegion(number, 'x'),
    segment: () => file.segment(number, 1),
    chunks: () => file.chunks(number),
    countByte: () => file.countByte(number),
    flushRange: () => file.flushRange(number, 1),
    resize: () => file.resize(number),
    atomicLoadU32: () => file.atomicLoadU32(number),
    indexOf: () => file.indexOf('a', number),
  }
  const r = attempt(calls[s.method])
  // The contract: a number argument that is not a number is ERR_INVALID_ARG_TYPE (no coercion).
  if (r.ok) throw violation(`${s.method}(${s.via} object) succeeded; expected ERR_INVALID_ARG_TYPE`)
  expectTyped(r.error, ['ERR_INVALID_ARG_TYPE'], `${s.method}(${s.via} object)`)
  if (ran) throw violation(`${s.method} coerced its ${s.via} argument (user code ran inside the call)`)
  void input
  void states
}

async function afterCall(s, file, act, states) {
  const calls = {
    countAsync: () => file.countAsync('ab'),
    findAllAsync: () => file.findAllAsync('ab'),
    countLinesAsync: () => file.countLinesAsync(),
    flushAsync: () => file.flushAsync(),
    flushRangeAsync: () => file.flushRangeAsync(0, file.length),
  }
  let promise
  const started = attempt(() => calls[s.call]())
  if (!started.ok) return expectTyped(started.error, undefined, s.call)
  promise = started.value
  act(s.action)
  const r = await attemptAsync(() => withTimeout(promise, SETTLE_MS, `${s.call} then ${s.action}`))
  judge(r, `${s.call} then ${s.action}`, (value) => {
    if (s.call.startsWith('flush') || states.includes(null)) return
    const needle = s.call === 'countLinesAsync' ? Buffer.from('\n') : Buffer.from('ab')
    const answers = states.map((st) => {
      const found = findAllModel(st, needle)
      return JSON.stringify(s.call === 'findAllAsync' ? found : found.length)
    })
    if (!answers.includes(JSON.stringify(value)))
      throw violation(`${s.call} then ${s.action}: ${JSON.stringify(value)}, model ${answers.join(' or ')}`)
  })
}

function withTimeout(promise, ms, what) {
  let timer
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(violation(`${what}: the promise did not settle within ${ms} ms`)), ms)
    }),
  ]).finally(() => clearTimeout(timer))
}

async function iterate(s, file, act, states) {
  const it = attempt(() => file.chunks(s.size))
  if (!it.ok) return expectTyped(it.error, undefined, 'chunks')
  const seen = []
  let k = 0
  let failed = null
  try {
    const loop = s.async ? it.value : it.value
    if (s.async) {
      for await (const chunk of loop) {
        seen.push(chunk)
        if (k++ === s.at) act(s.action)
      }
    } else {
      for (const chunk of loop) {
        seen.push(chunk)
        if (k++ === s.at) act(s.action)
      }
    }
  } catch (error) {
    failed = error
  }
  const changed = k > s.at && (s.action === 'close' || (file.mode === 'readWrite' && states.length > 1))
  if (failed) {
    // close: ERR_MMAP_CLOSED (README); a shrinking resize: the iterator may also say the range is gone
    expectTyped(
      failed,
      s.action === 'close' ? ['ERR_MMAP_CLOSED'] : ['ERR_MMAP_CLOSED', 'ERR_OUT_OF_RANGE'],
      `iterating chunks(${s.size}) after ${s.action}`,
    )
  } else if (changed && k > s.at + 1 - 1 && seen.length * s.size < states[0].length && s.action === 'close') {
    throw violation(
      `iteration after close() ended quietly after ${seen.length} chunks (the README: it ends with ERR_MMAP_CLOSED)`,
    )
  }
  if (changed) {
    for (const c of seen.slice(0, s.at + 1)) {
      // It keeps its length and reads zeros from then on (README, Lifetime rules).
      const bytes = Buffer.from(c.buffer, c.byteOffset, c.byteLength)
      if (bytes.some((byte) => byte !== 0)) throw violation(`a chunk handed out before ${s.action} still shows bytes`)
    }
  }
}

async function signalGetter(s, file, act, states) {
  const controller = new AbortController()
  if (s.preAborted) controller.abort()
  const signal = controller.signal
  let ran = false
  const hook = () => {
    if (ran) return
    ran = true
    if (s.action === 'throw') throw new Error('getter threw')
    if (s.action === 'abortOther') return controller.abort()
    act(s.action)
  }
  if (s.getter === 'reason' && !allowed('untyped-napi-errors') && s.action === 'throw') return // issue 14: a reason getter that throws
  const original = Reflect.get(AbortSignal.prototype, s.getter, signal)
  Object.defineProperty(signal, s.getter, {
    get() {
      hook()
      return typeof original === 'function'
        ? original.bind(signal)
        : Reflect.get(AbortSignal.prototype, s.getter, signal)
    },
  })
  const calls = {
    countAsync: () => file.countAsync('ab', { signal }),
    countLinesAsync: () => file.countLinesAsync({ signal }),
    flushAsync: () => file.flushAsync({ signal }),
    flushRangeAsync: () => file.flushRangeAsync(0, file.length, { signal }),
    lockAsync: () => file.lockAsync('exclusive', { signal }),
  }
  const r = await attemptAsync(() =>
    withTimeout(calls[s.call](), SETTLE_MS, `${s.call} with a ${s.getter} getter doing ${s.action}`),
  )
  if (!r.ok && r.error?.message === 'getter threw') return // the user's own exception, passed through
  judge(r, `${s.call} with a signal whose ${s.getter} getter does ${s.action}`, (value) => {
    if (s.call !== 'countAsync' && s.call !== 'countLinesAsync') return
    if (states.includes(null)) return
    const needle = s.call === 'countLinesAsync' ? Buffer.from('\n') : Buffer.from('ab')
    const answers = states.map((st) => findAllModel(st, needle).length)
    if (!answers.includes(value)) throw violation(`${s.call}: ${value}, model ${answers.join(' or ')}`)
  })
  if (s.call === 'lockAsync' && r.ok) attempt(() => file.unlock())
}

async function ringGetter(s, R, dir) {
  const path = join(dir, 'q.ring')
  const ring = R.create(path, 256)
  ring.push('first')
  let ran = false
  const hook = () => {
    if (ran) return
    ran = true
    if (s.action === 'close') ring.close()
    if (s.action === 'push') ring.push('second')
    if (s.action === 'replaceRing') R.create(path, 64).close()
    if (s.action === 'unlinkRing') unlinkSync(path)
  }
  // never an endless wait: a signal getter comes with a timeout (pending waits starve the libuv pool)
  const options = s.key === 'signal' ? { timeoutMs: 5 } : {}
  const values = { timeoutMs: 5, signal: undefined, overwrite: true }
  Object.defineProperty(options, s.key, {
    enumerable: true,
    get() {
      hook()
      return values[s.key]
    },
  })
  if (s.key === 'overwrite') {
    const r = attempt(() => R.create(path, 128, options))
    judge(r, `RingBuffer.create with an overwrite getter doing ${s.action}`, (q) => {
      if (q.length !== 0 || q.capacity !== 128)
        throw violation(`a new ring has length ${q.length}, capacity ${q.capacity}`)
      q.close()
    })
  } else {
    const r = await attemptAsync(() =>
      withTimeout(ring.popAsync(options), SETTLE_MS, `popAsync with a ${s.key} getter doing ${s.action}`),
    )
    judge(r, `popAsync with a ${s.key} getter doing ${s.action}`, (message) => {
      if (message !== null && message.toString() !== 'first')
        throw violation(`popAsync returned ${JSON.stringify(message.toString())}`)
    })
  }
  attempt(() => ring.close())
}

async function openGetter(s, M, path, dir, original) {
  let ran = false
  const hook = () => {
    if (ran) return
    ran = true
    switch (s.action) {
      case 'truncateFile':
        truncateSync(path, Math.floor(original.length / 2))
        break
      case 'growFile':
        truncateSync(path, original.length + 8192)
        break
      case 'unlinkFile':
        unlinkSync(path)
        break
      case 'replaceWithDir':
        unlinkSync(path)
        process.getBuiltinModule('node:fs').mkdirSync(path)
        break
      case 'rewriteFile':
        writeFileSync(path, Buffer.alloc(original.length, 0x33))
        break
    }
  }
  const defaults = {
    mode: undefined,
    offset: 0,
    length: undefined,
    size: undefined,
    create: undefined,
    flushPolicy: undefined,
    lock: undefined,
    advice: 'normal',
    populate: false,
    hugePages: false,
  }
  const options = {}
  Object.defineProperty(options, s.key, {
    enumerable: true,
    get() {
      hook()
      return defaults[s.key]
    },
  })
  const what = `${s.factory} with a getter on options.${s.key} doing ${s.action}`
  const calls = {
    open: () => M.open(path, options),
    openRo: () => M.openRo(path, options),
    openRw: () => M.openRw(path, options),
    openCow: () => M.openCow(path, options),
    createRw: () => M.createRw(path, original.length, options),
    openOrCreate: () => M.openOrCreate(path, 100, options),
    openAsync: () => M.openAsync(path, options),
  }
  const r =
    s.factory === 'openAsync'
      ? await attemptAsync(() => withTimeout(calls.openAsync(), SETTLE_MS, what))
      : attempt(calls[s.factory])
  judge(r, what, (file) => {
    // The mapping reads (natively, so guarded) as some version of the file, or throws a typed error.
    const read = attempt(() => file.read(0, file.length))
    if (!read.ok) expectTyped(read.error, undefined, `${what}: reading the mapping`)
    else if (s.action === 'noop' && s.factory !== 'createRw' && !read.value.equals(original)) {
      throw violation(`${what}: the mapping does not hold the file's bytes`)
    }
    file.close()
  })
  void dir
}

async function provenance(s, file, M, dir, input, states) {
  const len = Math.min(s.len, file.length)
  const off = Math.min(s.off, Math.max(0, file.length - len))
  let source
  let expected = null // bytes the call must see
  switch (s.from) {
    case 'sameMapping':
      source = file.asBuffer(Math.max(0, off - 1 > 0 ? off - 1 : 0), len) // overlapping, shifted by one
      expected = Buffer.from(source)
      break
    case 'otherMapping': {
      const p2 = join(dir, 'src.bin')
      writeFileSync(p2, fillPattern(Math.max(len, 1), 99))
      const other = M.openRw(p2)
      source = other.asBuffer(0, len)
      expected = Buffer.from(source)
      break
    }
    case 'closedMapping': {
      const p2 = join(dir, 'src.bin')
      writeFileSync(p2, fillPattern(Math.max(len, 1), 99))
      const other = M.openRw(p2)
      source = other.asBuffer(0, len)
      other.close()
      expected = Buffer.alloc(len) // a view of a closed mapping keeps its length and reads zeros
      break
    }
    case 'shared':
      source = new Uint8Array(new SharedArrayBuffer(len + 3), 3, len)
      source.set(fillPattern(len, 5))
      expected = Buffer.from(source)
      break
    case 'resizableShrunk': {
      const ab = new ArrayBuffer(len + 8, { maxByteLength: len + 64 })
      source = new Uint8Array(ab, 0) // length-tracking
      source.set(fillPattern(len + 8, 6))
      ab.resize(Math.floor(len / 2))
      expected = Buffer.from(source)
      break
    }
    case 'resizableGrown': {
      const ab = new ArrayBuffer(len, { maxByteLength: len + 64 })
      const fixed = new Uint8Array(ab, 0, len)
      fixed.set(fillPattern(len, 8))
      ab.resize(len + 32)
      source = fixed
      expected = Buffer.from(source)
      break
    }
    case 'detached':
      source = new Uint8Array(len)
      detach(source.buffer)
      expected = Buffer.alloc(0)
      break
    case 'transferredView': {
      if (!allowed('transfer-view-buffer')) return
      const view = file.asBuffer(0, len)
      const moved = new Uint8Array(structuredClone(view.buffer, { transfer: [view.buffer] }))
      file.close()
      // issue 11: the moved buffer still points at the unmapped pages
      void moved[0]
      return
    }
  }
  const what = `${s.call} with a source/target from ${s.from}`
  if (s.call === 'readInto') {
    const r = attempt(() => file.readInto(off, source))
    judge(r, what, () => {
      const want = states[0].subarray(off, off + expected.length)
      const got = source.byteLength ? Buffer.from(source.buffer, source.byteOffset, source.byteLength) : Buffer.alloc(0)
      if (!got.equals(want)) throw violation(`${what}: the target holds the wrong bytes`)
    })
  } else if (s.call === 'updateRegion') {
    const r = attempt(() => file.updateRegion(off, source))
    if (input.mode === 'readOnly') {
      if (r.ok) throw violation(`${what}: a readOnly mapping accepted a write`)
      return expectTyped(r.error, ['ERR_MMAP_READ_ONLY', 'ERR_OUT_OF_RANGE'], what)
    }
    judge(r, what, () => {
      const now = file.read(off, expected.length)
      if (!now.equals(expected)) throw violation(`${what}: the mapping holds other bytes than the source had`)
      const next = Buffer.from(states.at(-1))
      expected.copy(next, off)
      states.push(next)
    })
  } else if (s.call === 'count') {
    const r = attempt(() => file.count(source, { threads: 2 }))
    if (expected.length === 0) {
      if (r.ok) throw violation(`${what}: an empty pattern was accepted`)
      return expectTyped(r.error, ['ERR_INVALID_ARG_VALUE'], what)
    }
    judge(r, what, (count) => {
      const want = findAllModel(states.at(-1), expected).length
      if (count !== want) throw violation(`${what}: ${count}, model ${want}`)
    })
  } else if (s.call === 'push') {
    const R = M.constructor === Function ? null : null
    void R
  }
  void describeError
}
