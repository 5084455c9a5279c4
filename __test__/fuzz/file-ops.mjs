// Property: random sequences of public-API calls on one mapping (a file in readOnly, readWrite or
// copyOnWrite mode, a window of one, or anonymous memory), its segments and sub-segments, agree
// with the JS model: every result equals the model's bytes, every failure is a typed error with a
// code the contract allows, a rejected call changes nothing, and at the end the file on disk holds
// exactly the model's bytes.
import fc from 'fast-check'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { attempt, attemptAsync, describeError, expectTyped, violation } from './errors.mjs'
import {
  CLOSED,
  INVALID_MODE,
  MISALIGNED,
  MappingModel,
  RANGE,
  READ_ONLY,
  TYPE,
  VALUE,
  countByteModel,
  findAllModel,
  resolveArgs,
} from './file-model.mjs'
import { allowed } from './known.mjs'
import {
  bytesSpec,
  classify,
  fillPattern,
  hostileNumber,
  makeBytes,
  materialize,
  n,
  offsetSpec,
  show,
} from './values.mjs'

const SIZES = [0, 1, 7, 100, 4095, 4096, 4097, 9000]
const MODES = ['readOnly', 'readWrite', 'copyOnWrite', 'anonymous']
const ADVICE = ['normal', 'random', 'sequential', 'willNeed', 'dontNeed']

// ---------------------------------------------------------------------------------------------
// Generation

function setupArb() {
  return fc
    .record({
      size: fc.constantFrom(...SIZES),
      mode: fc.constantFrom(...MODES),
      factory: fc.constantFrom('open', 'short'),
      window: fc.option(
        fc.record({ offset: offsetSpec(9000), length: fc.option(offsetSpec(9000), { nil: undefined }) }),
        {
          nil: null,
          freq: 3,
        },
      ),
      policy: fc.constantFrom('manual', 'manual', 'always', 'everyBytes', 'everyWrites'),
      policyN: fc.integer({ min: 1, max: 200 }),
      seed: fc.integer({ min: 0, max: 255 }),
    })
    .map((s) => ({ ...s, window: s.mode === 'anonymous' ? null : s.window }))
}

const L = 9100 // offsets are drawn against the largest size; most land near real boundaries
const target = fc.nat({ max: 7 })
const opt = (arb) => fc.option(arb, { nil: undefined, freq: 3 })
const pattern = fc.oneof(
  fc.constantFrom('\n', 'a', 'ab', '\0', 'é', ''),
  fc.uint8Array({ minLength: 0, maxLength: 3 }).map((u) => ({ bytes: Array.from(u) })),
  fc.constant({ wrong: 5 }),
)
const scanOptions = fc.option(
  fc.record(
    {
      offset: offsetSpec(L),
      length: offsetSpec(L),
      threads: fc.oneof(fc.constantFrom(1, 2, 3, 1024).map(n), hostileNumber()),
      limit: fc.oneof(fc.constantFrom(0, 1, 2, 100).map(n), hostileNumber()),
    },
    { requiredKeys: [] },
  ),
  { nil: undefined },
)

function commandArb() {
  return fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({ op: fc.constant('readInto'), target, off: offsetSpec(L), bytes: bytesSpec(L) }),
    },
    { weight: 5, arbitrary: fc.record({ op: fc.constant('read'), target, off: offsetSpec(L), len: offsetSpec(L) }) },
    {
      weight: 5,
      arbitrary: fc.record({
        op: fc.constant('asBuffer'),
        target,
        off: opt(offsetSpec(L)),
        len: opt(offsetSpec(L)),
        keep: fc.boolean(),
        poke: fc.option(fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }), { nil: null }),
      }),
    },
    {
      weight: 8,
      arbitrary: fc.record({
        op: fc.constant('updateRegion'),
        target,
        off: offsetSpec(L),
        data: fc.oneof(
          { weight: 4, arbitrary: bytesSpec(64) },
          { weight: 1, arbitrary: bytesSpec(L) },
          { weight: 1, arbitrary: fc.string({ maxLength: 8, unit: 'binary' }).map((s) => ({ str: s })) },
          { weight: 1, arbitrary: fc.record({ self: fc.nat({ max: L }), len: fc.nat({ max: 64 }) }) },
        ),
      }),
    },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('segment'), target, off: offsetSpec(L), len: offsetSpec(L) }) },
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant('chunks'),
        target,
        size: fc.oneof(fc.constantFrom(1, 7, 4096, 5000, 100000).map(n), hostileNumber()),
        closeAfter: fc.option(fc.nat({ max: 3 }), { nil: null, freq: 6 }),
      }),
    },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('flush'), target }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('flushRange'), off: offsetSpec(L), len: offsetSpec(L) }) },
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant('resize'),
        // valid sizes stay small: a huge resize really preallocates the disk blocks
        len: fc.oneof(
          fc.constantFrom(0, 1, 4095, 4096, 4097, 9000, 20000).map(n),
          hostileNumber().filter((v) => classify(v).kind !== 'int' || classify(v).value <= 1 << 20),
        ),
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        op: fc.constant('countByte'),
        target,
        byte: fc.oneof(fc.constantFrom(0, 10, 97, 255, 256).map(n), hostileNumber()),
        off: opt(offsetSpec(L)),
        len: opt(offsetSpec(L)),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({ op: fc.constant('countLines'), target, off: opt(offsetSpec(L)), len: opt(offsetSpec(L)) }),
    },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('indexOf'), target, pattern, from: opt(offsetSpec(L)) }) },
    {
      weight: 3,
      arbitrary: fc.record({ op: fc.constantFrom('count', 'findAll'), target, pattern, options: scanOptions }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constantFrom('countLinesAsync', 'countAsync', 'findAllAsync', 'flushAsync'),
        target,
        pattern,
        options: scanOptions,
      }),
    },
    {
      weight: 4,
      arbitrary: fc.record({
        op: fc.constant('atomic'),
        kind: fc.constantFrom('load', 'store', 'add', 'cas'),
        width: fc.constantFrom(32, 64),
        off: fc.oneof(
          fc.integer({ min: 0, max: 9100 }).map(n),
          fc.constantFrom(0, 4, 8, 3, 4092, 4096, 8992).map(n),
          hostileNumber(),
        ),
        a: fc.oneof(fc.nat({ max: 2 ** 32 - 1 }), fc.constantFrom(-1, 2 ** 32, 0.5, -(2 ** 32))),
        b: fc.nat({ max: 2 ** 32 - 1 }),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constantFrom('advise', 'touchPages', 'prefetch'),
        advice: fc.constantFrom(...ADVICE, 'bogus'),
        off: opt(offsetSpec(L)),
        len: opt(offsetSpec(L)),
      }),
    },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('checkViews') }) },
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant('stream'),
        target: fc.constant(0),
        start: opt(fc.nat({ max: L })),
        end: opt(fc.nat({ max: L })),
        hwm: fc.constantFrom(1, 7, 4096, 65536),
      }),
    },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('secondMapping'), target: fc.constant(0) }) },
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant('writeMmap'),
        target: fc.constant(0),
        off: fc.nat({ max: L }),
        data: fc.uint8Array({ maxLength: 16 }).map((u) => Array.from(u)),
      }),
    },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('close') }) },
  )
}

export function arbitrary() {
  return fc.record({ setup: setupArb(), cmds: fc.array(commandArb(), { maxLength: 30 }) })
}

// ---------------------------------------------------------------------------------------------
// Execution

function patternValue(p) {
  if (typeof p === 'string') return { value: p, bytes: Buffer.from(p, 'utf8') }
  if (p.wrong !== undefined) return { value: p.wrong, bytes: null }
  return { value: new Uint8Array(p.bytes), bytes: Buffer.from(p.bytes) }
}

function policyValue(setup) {
  if (setup.policy === 'everyBytes') return { everyBytes: setup.policyN }
  if (setup.policy === 'everyWrites') return { everyWrites: Math.min(setup.policyN, 5) }
  return setup.policy
}

function equalBytes(actual, expected, what) {
  const a = actual.byteLength === 0 ? Buffer.alloc(0) : Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength)
  if (!a.equals(expected)) {
    let i = 0
    while (i < a.length && i < expected.length && a[i] === expected[i]) i++
    throw violation(
      `${what}: wrong bytes (length ${a.length}, expected ${expected.length}; first difference at ${i}: ${a[i]} != ${expected[i]})`,
    )
  }
}

function expectEqual(actual, expected, what) {
  const same =
    typeof expected === 'bigint' || typeof expected === 'number'
      ? actual === expected
      : JSON.stringify(actual) === JSON.stringify(expected)
  if (!same) throw violation(`${what}: got ${show0(actual)}, expected ${show0(expected)}`)
}

const show0 = (x) => (typeof x === 'bigint' ? `${x}n` : JSON.stringify(x))

/**
 * The outcome of a call: must throw one of `codes` (a Set) if `codes` is given, else must succeed.
 * `orOk`: also accept success (where the contract leaves the order of checks open).
 */
function judge(result, codes, what, { orOk = false } = {}) {
  if (codes && codes.size) {
    if (result.ok) {
      if (orOk) return true
      throw violation(
        `${what}: succeeded (returned ${show0(safeShow(result.value))}), expected ${[...codes].join(' or ')}`,
      )
    }
    expectTyped(result.error, codes, what)
    return false
  }
  if (!result.ok) {
    expectTyped(result.error, undefined, what)
    throw violation(`${what}: threw ${describeError(result.error)}, expected success`)
  }
  return true
}

const safeShow = (v) =>
  v instanceof Uint8Array ? `<${v.constructor.name} ${v.length}>` : typeof v === 'bigint' ? `${v}n` : v

/** Opens the mapping the setup describes; returns `{ file, model }` or null when opening was (rightly) refused. */
function openUnderTest(M, setup, dir, label) {
  const path = join(dir, 'data.bin')
  const initial = fillPattern(setup.size, setup.seed)
  if (setup.mode !== 'anonymous') writeFileSync(path, initial)
  if (setup.mode === 'anonymous') {
    const result = attempt(() => M.anonymous(setup.size))
    if (setup.size === 0) {
      // anonymous(0): the contract does not forbid it; accept a range error or an empty mapping
      if (!result.ok) {
        expectTyped(result.error, [RANGE], `${label} anonymous(0)`)
        return null
      }
    } else judge(result, null, `${label} anonymous(${setup.size})`)
    return {
      file: result.value,
      path: null,
      model: new MappingModel({
        mode: 'anonymous',
        disk: Buffer.alloc(0),
        offset: 0,
        length: setup.size,
        window: 'no',
      }),
    }
  }
  const options = {}
  if (setup.factory === 'open') options.mode = setup.mode
  if (setup.mode === 'readWrite') options.flushPolicy = policyValue(setup)
  let expectCodes = null
  let offset = 0
  let length = setup.size
  if (setup.window) {
    options.offset = materialize(setup.window.offset)
    if (setup.window.length !== undefined) options.length = materialize(setup.window.length)
    const r = resolveArgs([
      { spec: setup.window.offset, optional: true },
      { spec: setup.window.length ?? { t: 'undef' }, optional: true },
    ])
    if (r.codes) expectCodes = r.codes
    else {
      offset = r.values[0] ?? 0
      if (offset > setup.size) expectCodes = new Set([RANGE])
      else {
        length = r.values[1] ?? setup.size - offset
        if (offset + length > setup.size) expectCodes = new Set([RANGE])
      }
    }
  }
  const factory =
    setup.factory === 'open' ? 'open' : { readOnly: 'openRo', readWrite: 'openRw', copyOnWrite: 'openCow' }[setup.mode]
  const shown = Object.entries(options).map(
    ([k, v]) => `${k}: ${typeof v === 'bigint' ? `${v}n` : typeof v === 'object' && v ? JSON.stringify(v) : String(v)}`,
  )
  const what = `${label} MemoryMappedFile.${factory}(path, { ${shown.join(', ')} })`
  const result = attempt(() => M[factory](path, options))
  judge(result, expectCodes, what)
  // A refused open changes nothing; an accepted one changes nothing yet either.
  equalBytes(readFileSync(path), initial, `${what}: file on disk after open`)
  if (!result.ok) return null
  const file = result.value
  expectEqual(file.length, length, `${what}.length`)
  expectEqual(file.mode, setup.mode, `${what}.mode`)
  return {
    file,
    path,
    model: new MappingModel({
      mode: setup.mode,
      disk: initial,
      offset,
      length,
      window: !setup.window
        ? 'no'
        : offset === 0 && setup.window.length === undefined
          ? 'no' // { offset: 0 } maps the whole file
          : offset === 0 && length === setup.size
            ? 'either' // a "window" that is the whole file: resize may or may not accept it
            : 'yes',
    }),
  }
}

/** Runs one generated sequence; throws a ContractViolation (with a log of the calls) on any mismatch. */
export async function run(input, { M, lib }) {
  writeMmap = lib.writeMmap
  const dir = mkdtempSync(join(tmpdir(), 'mmapkit-fuzz-'))
  const log = []
  try {
    await runIn(input, M, dir, log)
  } catch (error) {
    if (error instanceof Error) error.message += `\n  calls: ${log.slice(-12).join('; ')}`
    throw error
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

let writeMmap = null

async function runIn({ setup, cmds }, M, dir, log) {
  const opened = openUnderTest(M, setup, dir, 'open')
  if (!opened) return
  const { file, path, model } = opened
  log.push(`open ${setup.mode} size ${setup.size}${setup.window ? ' window' : ''}`)
  const policy = setup.mode === 'readWrite' ? setup.policy : 'manual'
  const everyWrites = Math.min(setup.policyN, 5)
  let pending = 0 // expected pendingBytes, null when the contract leaves it open
  let writesSinceSync = 0
  /** @type {{ obj: any, base: number, len: number | null }[]} file first, then segments */
  const targets = [{ obj: file, base: 0, len: null }]
  /** views kept alive: { view, at } */
  const views = []

  const spanLen = (t) => (t.len === null ? model.length : t.len)
  const invalid = (t) => model.closed || (t.len !== null && t.base + t.len > model.mem.length)
  const hay = (t) => model.mem.subarray(t.base, t.base + spanLen(t))

  const checkMapping = (what) => {
    if (model.closed) return
    const r = attempt(() => file.read(0, model.mem.length))
    judge(r, null, `${what}: file.read(0, length)`)
    equalBytes(r.value, model.mem, `${what}: the mapping`)
    if (path && model.shared) equalBytes(readFileSync(path), model.disk, `${what}: the file on disk`)
    for (const { view, at } of views) {
      if (view.byteLength)
        equalBytes(view, model.mem.subarray(at, at + view.byteLength), `${what}: a view kept from earlier`)
    }
  }

  const onWritten = (bytes) => {
    if (pending === null) return
    if (policy === 'manual') pending += bytes
    else if (policy === 'always') pending = allowed('flush-always-pending') ? 0 : null
    else if (policy === 'everyBytes') pending = pending + bytes >= setup.policyN ? 0 : pending + bytes
    else if (policy === 'everyWrites') {
      writesSinceSync++
      if (bytes === 0) pending = null
      else if (writesSinceSync >= everyWrites) {
        pending = 0
        writesSinceSync = 0
      } else pending += bytes
    }
  }

  for (const [i, cmd] of cmds.entries()) {
    const t = targets[cmd.target % targets.length] ?? targets[0]
    const tname = t === targets[0] ? 'file' : `seg[${t.base},+${t.len}]`
    const what = `#${i} ${tname}.${cmd.op}`
    log.push(describeCmd(cmd, tname))
    const gone = invalid(t)
    switch (cmd.op) {
      case 'readInto': {
        const { value, bytes } = makeBytes(cmd.bytes)
        const r0 = resolveArgs([{ spec: cmd.off, optional: false }])
        let codes = r0.codes ?? null
        if (bytes === null) codes = new Set([...(codes ?? []), TYPE])
        const before = bytes === null ? null : Buffer.from(bytes)
        if (!codes) {
          if (gone) codes = new Set([CLOSED])
          else if (r0.values[0] + bytes.length > spanLen(t)) codes = new Set([RANGE])
        } else if (gone) codes.add(CLOSED)
        const r = attempt(() => t.obj.readInto(materialize(cmd.off), value))
        if (judge(r, codes, what)) {
          expectEqual(r.value, bytes.length, `${what} return value`)
          const at = t.base + r0.values[0]
          equalBytes(value, model.mem.subarray(at, at + bytes.length), `${what} target`)
        } else if (before && value.byteLength === before.length && before.length) {
          equalBytes(value, before, `${what} (rejected) must leave the target alone`)
        }
        break
      }
      case 'read': {
        const r0 = resolveArgs([
          { spec: cmd.off, optional: false },
          { spec: cmd.len, optional: false },
        ])
        let codes = r0.codes ?? null
        if (codes && gone) codes.add(CLOSED)
        if (!codes) {
          if (gone) codes = new Set([CLOSED])
          else if (r0.values[0] > spanLen(t) || r0.values[0] + r0.values[1] > spanLen(t)) codes = new Set([RANGE])
        }
        const r = attempt(() => t.obj.read(materialize(cmd.off), materialize(cmd.len)))
        if (judge(r, codes, what)) {
          const at = t.base + r0.values[0]
          if (!Buffer.isBuffer(r.value)) throw violation(`${what}: did not return a Buffer`)
          equalBytes(r.value, model.mem.subarray(at, at + r0.values[1]), what)
        }
        break
      }
      case 'asBuffer': {
        const offSpec = cmd.off ?? { t: 'undef' }
        const lenSpec = cmd.len ?? { t: 'undef' }
        const r0 = resolveArgs([
          { spec: offSpec, optional: true },
          { spec: lenSpec, optional: true },
        ])
        let codes = r0.codes ?? null
        if (codes && gone) codes.add(CLOSED)
        let off = 0
        let len = 0
        if (!codes) {
          off = r0.values[0] ?? 0
          if (gone) codes = new Set([CLOSED])
          else {
            len = r0.values[1] ?? Math.max(0, spanLen(t) - off)
            if (off > spanLen(t) || off + len > spanLen(t)) codes = new Set([RANGE])
          }
        }
        const args = []
        if (cmd.off !== undefined || cmd.len !== undefined) args.push(materialize(offSpec))
        if (cmd.len !== undefined) args.push(materialize(lenSpec))
        const r = attempt(() => t.obj.asBuffer(...args))
        if (judge(r, codes, what)) {
          const view = r.value
          const at = t.base + off
          if (!Buffer.isBuffer(view)) throw violation(`${what}: did not return a Buffer`)
          equalBytes(view, model.mem.subarray(at, at + len), what)
          if (cmd.poke && len > 0) {
            const p = cmd.poke.at % len
            view[p] = cmd.poke.byte
            model.viewWrite(at + p, [cmd.poke.byte])
          }
          if (cmd.keep) views.push({ view, at })
        }
        break
      }
      case 'updateRegion': {
        let value
        let bytes
        if (cmd.data.str !== undefined) {
          value = cmd.data.str
          bytes = Buffer.from(value, 'utf8')
        } else if (cmd.data.self !== undefined) {
          // the source is a view of this very mapping (overlapping copies must behave as memmove)
          if (model.closed || cmd.data.self + cmd.data.len > model.mem.length) break
          value = file.asBuffer(cmd.data.self, cmd.data.len)
          bytes = Buffer.from(model.mem.subarray(cmd.data.self, cmd.data.self + cmd.data.len))
        } else ({ value, bytes } = makeBytes(cmd.data))
        const r0 = resolveArgs([{ spec: cmd.off, optional: false }])
        let codes = r0.codes ?? null
        if (bytes === null) codes = new Set([...(codes ?? []), TYPE])
        if (codes) {
          if (gone) codes.add(CLOSED)
          if (!model.writable) codes.add(READ_ONLY)
        } else if (gone) {
          // "any use after close()" is ERR_MMAP_CLOSED; today a readOnly mapping answers
          // ERR_MMAP_READ_ONLY first (the mode is still known): both are accepted
          codes = new Set(model.writable ? [CLOSED] : [CLOSED, READ_ONLY])
        } else {
          const outside = r0.values[0] + bytes.length > spanLen(t) || r0.values[0] > spanLen(t)
          if (!model.writable) codes = new Set(outside ? [READ_ONLY, RANGE] : [READ_ONLY])
          else if (outside) codes = new Set([RANGE])
        }
        const r = attempt(() => t.obj.updateRegion(materialize(cmd.off), value))
        if (judge(r, codes, what)) {
          model.write(t.base + r0.values[0], bytes)
          onWritten(bytes.length)
        }
        break
      }
      case 'segment': {
        const r0 = resolveArgs([
          { spec: cmd.off, optional: false },
          { spec: cmd.len, optional: false },
        ])
        let codes = r0.codes ?? null
        if (codes && gone) codes.add(CLOSED)
        if (!codes) {
          if (gone) codes = new Set([CLOSED])
          else if (r0.values[0] > spanLen(t) || r0.values[0] + r0.values[1] > spanLen(t)) codes = new Set([RANGE])
        }
        const r = attempt(() => t.obj.segment(materialize(cmd.off), materialize(cmd.len)))
        if (judge(r, codes, what)) {
          const seg = r.value
          const base = t.base + r0.values[0]
          expectEqual(seg.offset, base, `${what}.offset`)
          expectEqual(seg.length, r0.values[1], `${what}.length`)
          expectEqual(seg.valid, true, `${what}.valid`)
          if (seg.parent !== file) throw violation(`${what}.parent is not the file`)
          targets.push({ obj: seg, base, len: r0.values[1] })
        }
        break
      }
      case 'chunks': {
        const r0 = resolveArgs([{ spec: cmd.size, optional: false }])
        let codes = r0.codes ?? null
        if (!codes && r0.values[0] === 0) codes = new Set([RANGE])
        if (codes && gone) codes.add(CLOSED)
        if (!codes && gone) codes = new Set([CLOSED])
        const r = attempt(() => t.obj.chunks(materialize(cmd.size)))
        if (!judge(r, codes, what)) break
        const size = r0.values[0]
        const expected = hay(t)
        const got = []
        let k = 0
        for (;;) {
          if (cmd.closeAfter !== null && k === cmd.closeAfter) {
            closeAll()
            const step = attempt(() => r.value.next())
            if (step.ok && !step.value.done) throw violation(`${what}: next() after close() returned a chunk`)
            if (!step.ok) expectTyped(step.error, [CLOSED], `${what}: next() after close()`)
            for (const c of got) expectRetired(c, `${what}: a chunk handed out before close()`)
            break
          }
          const step = attempt(() => r.value.next())
          judge(step, null, `${what}: next() #${k}`)
          if (step.value.done) break
          const chunk = step.value.value
          const at = k * size
          const want = expected.subarray(at, at + size)
          if (chunk.length !== want.length || want.length === 0) {
            throw violation(`${what}: chunk #${k} has ${chunk.length} bytes, expected ${want.length}`)
          }
          equalBytes(chunk, want, `${what}: chunk #${k}`)
          got.push(chunk)
          k++
          if (k > 200000) throw violation(`${what}: never ends`)
        }
        if (cmd.closeAfter === null && got.length !== Math.ceil(expected.length / size)) {
          throw violation(`${what}: ${got.length} chunks, expected ${Math.ceil(expected.length / size)}`)
        }
        break
      }
      case 'flush': {
        const r = attempt(() => t.obj.flush())
        if (judge(r, gone ? new Set([CLOSED]) : null, what) && t === targets[0]) {
          pending = 0
          writesSinceSync = 0
        }
        break
      }
      case 'flushRange': {
        const r0 = resolveArgs([
          { spec: cmd.off, optional: false },
          { spec: cmd.len, optional: false },
        ])
        let codes = r0.codes ?? null
        if (codes && model.closed) codes.add(CLOSED)
        if (!codes) {
          if (model.closed) codes = new Set([CLOSED])
          else if (r0.values[0] + r0.values[1] > model.length || r0.values[0] > model.length) codes = new Set([RANGE])
        }
        const r = attempt(() => file.flushRange(materialize(cmd.off), materialize(cmd.len)))
        if (judge(r, codes, `#${i} file.flushRange`)) pending = null
        break
      }
      case 'resize': {
        const r0 = resolveArgs([{ spec: cmd.len, optional: false }])
        let codes = r0.codes ?? null
        const modeOk = model.mode === 'readWrite' && model.window !== 'yes'
        const orOk = model.mode === 'readWrite' && model.window === 'either' && !model.closed
        if (codes) {
          if (model.closed) codes.add(CLOSED)
          if (!modeOk) codes.add(INVALID_MODE)
        } else if (model.closed) codes = new Set([CLOSED])
        else if (!modeOk) codes = new Set([INVALID_MODE])
        else if (model.window === 'either') codes = new Set([INVALID_MODE])
        const r = attempt(() => file.resize(materialize(cmd.len)))
        if (judge(r, codes, `#${i} file.resize`, { orOk: orOk && !r0.codes })) {
          model.resize(r0.values[0])
          pending = null
          expectEqual(file.length, r0.values[0], `#${i} file.length after resize`)
          for (const { view } of views) expectRetired(view, `#${i} a view made before resize()`)
          views.length = 0
          for (const s of targets.slice(1))
            expectEqual(s.obj.valid, s.base + s.len <= model.mem.length, `#${i} segment.valid after resize`)
        }
        break
      }
      case 'countByte':
      case 'countLines': {
        const args = []
        const specs = []
        if (cmd.op === 'countByte') specs.push({ spec: cmd.byte, optional: false })
        const offSpec = cmd.off ?? { t: 'undef' }
        const lenSpec = cmd.len ?? { t: 'undef' }
        specs.push({ spec: offSpec, optional: true }, { spec: lenSpec, optional: true })
        const r0 = resolveArgs(specs)
        let codes = r0.codes ?? null
        const byteClass = cmd.op === 'countByte' ? classify(cmd.byte) : null
        if (byteClass?.kind === 'int' && byteClass.value > 255) codes = new Set([...(codes ?? []), RANGE])
        if (codes && gone) codes.add(CLOSED)
        let range = null
        if (!codes) {
          const [off = 0, len] = cmd.op === 'countByte' ? r0.values.slice(1) : r0.values
          if (gone) codes = new Set([CLOSED])
          else if (off > spanLen(t) || (len !== undefined && off + len > spanLen(t))) codes = new Set([RANGE])
          else range = [off, len ?? spanLen(t) - off]
        }
        if (cmd.op === 'countByte') args.push(materialize(cmd.byte))
        if (cmd.off !== undefined || cmd.len !== undefined) args.push(materialize(offSpec))
        if (cmd.len !== undefined) args.push(materialize(lenSpec))
        const r = attempt(() => (cmd.op === 'countByte' ? t.obj.countByte(...args) : t.obj.countLines(...args)))
        if (judge(r, codes, what)) {
          const byte = cmd.op === 'countByte' ? r0.values[0] : 10
          const part = hay(t).subarray(range[0], range[0] + range[1])
          expectEqual(r.value, countByteModel(part, byte), what)
        }
        break
      }
      case 'indexOf': {
        const { value, bytes } = patternValue(cmd.pattern)
        if (bytes && bytes.length === 0 && !allowed('indexOf-empty-pattern')) break
        const fromSpec = cmd.from ?? { t: 'undef' }
        const r0 = resolveArgs([{ spec: fromSpec, optional: true }])
        let codes = r0.codes ?? null
        if (bytes === null) codes = new Set([...(codes ?? []), TYPE])
        else if (bytes.length === 0) codes = new Set([...(codes ?? []), VALUE])
        if (codes && gone) codes.add(CLOSED)
        const from = r0.values?.[0] ?? 0
        if (!codes) {
          if (gone) codes = new Set([CLOSED])
          else if (from > spanLen(t)) codes = new Set([RANGE])
        }
        const r = attempt(() =>
          cmd.from === undefined ? t.obj.indexOf(value) : t.obj.indexOf(value, materialize(fromSpec)),
        )
        if (judge(r, codes, what)) expectEqual(r.value, hay(t).indexOf(bytes, from), what)
        break
      }
      case 'count':
      case 'findAll':
      case 'countAsync':
      case 'findAllAsync':
      case 'countLinesAsync': {
        const lines = cmd.op === 'countLinesAsync'
        const { value, bytes } = lines ? { value: '\n', bytes: Buffer.from('\n') } : patternValue(cmd.pattern)
        const o = cmd.options
        const specs = []
        if (o) {
          for (const key of ['offset', 'length', 'limit', 'threads'])
            if (o[key]) specs.push({ spec: o[key], optional: true })
        }
        const r0 = resolveArgs(specs)
        let codes = r0.codes ?? null
        if (bytes === null) codes = new Set([...(codes ?? []), TYPE])
        else if (bytes.length === 0) codes = new Set([...(codes ?? []), VALUE])
        const num = (key) => (o?.[key] ? classify(o[key]) : { kind: 'absent' })
        if (num('threads').kind === 'int' && num('threads').value === 0) codes = new Set([...(codes ?? []), RANGE])
        if (codes && gone) codes.add(CLOSED)
        const off = num('offset').kind === 'int' ? num('offset').value : 0
        const lenGiven = num('length').kind === 'int' ? num('length').value : undefined
        if (!codes) {
          if (gone) codes = new Set([CLOSED])
          else if (off > spanLen(t) || (lenGiven !== undefined && off + lenGiven > spanLen(t))) codes = new Set([RANGE])
        }
        const options = o && Object.fromEntries(Object.entries(o).map(([k, v]) => [k, materialize(v)]))
        const call = {
          count: () => t.obj.count(value, options),
          findAll: () => t.obj.findAll(value, options),
          countAsync: () => t.obj.countAsync(value, options),
          findAllAsync: () => t.obj.findAllAsync(value, options),
          countLinesAsync: () => t.obj.countLinesAsync(options),
        }[cmd.op]
        const r = cmd.op.endsWith('Async') ? await attemptAsync(call) : attempt(call)
        if (judge(r, codes, what)) {
          const len = lenGiven ?? spanLen(t) - off
          const part = hay(t).subarray(off, off + len)
          const limit = num('limit').kind === 'int' ? num('limit').value : Infinity
          const found = findAllModel(part, bytes, cmd.op.startsWith('findAll') ? limit : Infinity).map((x) => x + off)
          expectEqual(r.value, cmd.op.startsWith('findAll') ? found : found.length, what)
        }
        break
      }
      case 'flushAsync': {
        const r = await attemptAsync(() => t.obj.flushAsync?.() ?? file.flushAsync())
        if (judge(r, model.closed ? new Set([CLOSED]) : null, `#${i} flushAsync`)) pending = null
        break
      }
      case 'atomic': {
        const width = cmd.width / 8
        const r0 = resolveArgs([{ spec: cmd.off, optional: false }])
        const toValue = (x) => (width === 4 ? x : x < 0 ? BigInt(Math.trunc(x)) : BigInt(Math.trunc(x)) * 3n)
        const a = toValue(cmd.a)
        const b = toValue(cmd.b)
        const name = `atomic${{ load: 'Load', store: 'Store', add: 'Add', cas: 'CompareExchange' }[cmd.kind]}U${cmd.width}`
        const args = [materialize(cmd.off)]
        if (cmd.kind !== 'load') args.push(a)
        if (cmd.kind === 'cas') args.push(b)
        let codes = r0.codes ?? null
        // value checks: u32 values in 0..2**32-1 (adds: also down to -(2**32-1)); u64 bigint 0..2**64-1,
        // adds down to -(2**64-1) (README: negative deltas subtract)
        const u32ok = (v, signed) => Number.isInteger(v) && v <= 2 ** 32 - 1 && v >= (signed ? -(2 ** 32 - 1) : 0)
        const u64ok = (v, signed) => v <= 2n ** 64n - 1n && v >= (signed ? -(2n ** 64n - 1n) : 0n)
        const valueOk = (v, signed) => (width === 4 ? u32ok(v, signed) : u64ok(v, signed))
        if (cmd.kind !== 'load' && !valueOk(a, cmd.kind === 'add')) codes = new Set([...(codes ?? []), RANGE])
        const writes = cmd.kind !== 'load'
        let orOk = false
        if (codes) {
          if (model.closed) codes.add(CLOSED)
          if (writes && !model.writable) codes.add(READ_ONLY)
        } else {
          const off = r0.values[0]
          const misalignedOffset = off % width !== 0
          const misalignedAddress = (model.offset + off) % width !== 0
          codes = new Set()
          if (model.closed) {
            codes.add(CLOSED)
            if (writes && !model.writable) codes.add(READ_ONLY) // as for updateRegion
          } else {
            if (writes && !model.writable) codes.add(READ_ONLY)
            if (off + width > model.length) codes.add(RANGE)
            if (misalignedOffset || misalignedAddress) codes.add(MISALIGNED)
            // the contract says "offset a multiple of 4 or 8" and typedArray "as an address": where the
            // two disagree (a window at an odd file offset), either answer is accepted
            if (codes.size === 1 && codes.has(MISALIGNED) && misalignedOffset !== misalignedAddress) orOk = true
          }
        }
        if (width === 8 && cmd.kind === 'add' && a < 0n && !allowed('atomic-add-u64-negative')) break
        const r = attempt(() => file[name](...args))
        if (judge(r, codes, `#${i} file.${name}`, { orOk })) {
          const off = r0.values[0]
          const cur = model.mem.subarray(off, off + width)
          const prev = width === 4 ? cur.readUInt32LE(0) : cur.readBigUInt64LE(0)
          const mask = (v) => (width === 4 ? Number(BigInt.asUintN(32, BigInt(v))) : BigInt.asUintN(64, v))
          let next = null
          if (cmd.kind === 'store') next = mask(a)
          if (cmd.kind === 'add') next = width === 4 ? mask(prev + a) : mask(prev + a)
          if (cmd.kind === 'cas' && prev === mask(a)) next = mask(b)
          if (cmd.kind === 'store') expectEqual(r.value, undefined, `#${i} ${name} return`)
          else expectEqual(r.value, prev, `#${i} ${name} return`)
          if (next !== null) {
            const out = Buffer.alloc(width)
            if (width === 4) out.writeUInt32LE(next)
            else out.writeBigUInt64LE(next)
            model.write(off, out)
          }
        }
        break
      }
      case 'advise':
      case 'touchPages':
      case 'prefetch': {
        if (cmd.op === 'advise' && cmd.advice === 'dontNeed' && !model.shared && model.privateWrites) {
          if (!allowed('advise-dontneed-private')) break
        }
        const offSpec = cmd.off ?? { t: 'undef' }
        const lenSpec = cmd.len ?? { t: 'undef' }
        const r0 = resolveArgs([
          { spec: offSpec, optional: true },
          { spec: lenSpec, optional: true },
        ])
        let codes = r0.codes ?? null
        if (cmd.op === 'advise' && cmd.advice === 'bogus') codes = new Set([...(codes ?? []), VALUE])
        if (codes && model.closed) codes.add(CLOSED)
        if (!codes) {
          const off = r0.values[0] ?? 0
          const len = r0.values[1]
          if (model.closed) codes = new Set([CLOSED])
          else if (off > model.length || (len !== undefined && off + len > model.length)) codes = new Set([RANGE])
        }
        const args = cmd.op === 'advise' ? [cmd.advice] : []
        if (cmd.off !== undefined || cmd.len !== undefined) args.push(materialize(offSpec))
        if (cmd.len !== undefined) args.push(materialize(lenSpec))
        const r = attempt(() => file[cmd.op](...args))
        judge(r, codes, `#${i} file.${cmd.op}`)
        break
      }
      case 'checkViews':
        break
      case 'stream': {
        // createReadStream against the model, `end` inclusive as in fs.createReadStream
        const options = { highWaterMark: cmd.hwm }
        if (cmd.start !== undefined) options.start = cmd.start
        if (cmd.end !== undefined) options.end = cmd.end
        const start = cmd.start ?? 0
        const end = cmd.end ?? Infinity
        let codes = null
        if (model.closed) codes = new Set([CLOSED])
        else if (start > end) codes = new Set([RANGE])
        const r = await attemptAsync(
          () =>
            new Promise((resolve, reject) => {
              const stream = file.createReadStream(options)
              const parts = []
              stream.on('data', (c) => parts.push(Buffer.from(c)))
              stream.on('end', () => resolve(Buffer.concat(parts)))
              stream.on('error', reject)
            }),
        )
        if (judge(r, codes, `#${i} file.createReadStream(${JSON.stringify(options)})`)) {
          const stop = Math.min(end + 1, model.length)
          equalBytes(r.value, model.mem.subarray(Math.min(start, stop), stop), `#${i} createReadStream`)
        }
        break
      }
      case 'secondMapping': {
        // a second readOnly mapping of the same file sees what is on disk (MAP_SHARED coherence)
        if (!path || !existsSync(path)) break
        const r = attempt(() => M.openRo(path))
        judge(r, null, `#${i} a second openRo of the file`)
        const second = r.value
        equalBytes(second.read(0, second.length), model.disk, `#${i} a second mapping of the file`)
        second.close()
        break
      }
      case 'writeMmap': {
        // the module function writes the file; a readWrite mapping of it sees the write at once
        if (!path || model.mode !== 'readWrite' || model.closed) break
        const data = Buffer.from(cmd.data)
        const fileOff = cmd.off
        const r = attempt(() => writeMmap(path, fileOff, data))
        if (
          judge(
            r,
            fileOff + data.length > model.disk.length ? new Set([RANGE]) : null,
            `#${i} writeMmap(path, ${fileOff}, ${data.length} bytes)`,
          )
        ) {
          data.copy(model.disk, fileOff)
          const from = Math.max(fileOff, model.offset)
          const to = Math.min(fileOff + data.length, model.offset + model.mem.length)
          if (from < to) data.copy(model.mem, from - model.offset, from - fileOff, to - fileOff)
        }
        break
      }
      case 'close':
        closeAll()
        break
      default:
        throw new Error(`unknown op ${cmd.op}`)
    }
    checkMapping(what)
    if (!model.closed && pending !== null) {
      const p = file.pendingBytes
      if (typeof p !== 'number' || p < 0) throw violation(`${what}: pendingBytes is ${p}`)
      if (p !== pending) throw violation(`${what}: pendingBytes ${p}, expected ${pending} (policy ${policy})`)
    }
  }

  function closeAll() {
    const r = attempt(() => file.close())
    judge(r, null, 'close()')
    model.closed = true
    if (!file.closed) throw violation('closed is false after close()')
    if (file.length !== 0) throw violation(`length is ${file.length} after close()`)
    for (const { view } of views) expectRetired(view, 'a view made before close()')
    views.length = 0
    for (const s of targets.slice(1)) if (s.obj.valid) throw violation('a segment is still valid after close()')
  }

  // The end of the sequence: through the mapping, then on disk once closed.
  checkMapping('end')
  if (!model.closed) closeAll()
  const again = attempt(() => file.close())
  judge(again, null, 'a second close()')
  if (path) equalBytes(readFileSync(path), model.disk, 'the file on disk after close()')
}

function describeCmd(cmd, tname) {
  const parts = Object.entries(cmd)
    .filter(([k]) => k !== 'op' && k !== 'target')
    .map(([k, v]) => `${k}=${v && typeof v === 'object' && 't' in v ? show(v) : JSON.stringify(v)}`)
  return `${tname}.${cmd.op}(${parts.join(', ')})`
}

/**
 * A view made before close() or resize(): it keeps its length (detaching could abort native code
 * using it) and reads zeros from then on, never the file or another mapping (README, Lifetime rules).
 */
function expectRetired(view, what) {
  const bytes = Buffer.from(view.buffer, view.byteOffset, view.byteLength)
  if (bytes.some((byte) => byte !== 0)) throw violation(`${what} still shows bytes (it must read zeros)`)
}
