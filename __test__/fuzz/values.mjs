// Hostile argument values as plain JSON "specs" (so a counterexample can be printed, saved and
// replayed in another process), the fast-check arbitraries that generate them, and what the
// contract says each one means as an offset or length.
import fc from 'fast-check'

export const MAX_SAFE = Number.MAX_SAFE_INTEGER

/**
 * A value spec: `{ t: 'n', v }` a finite number, or a tag for what JSON cannot hold.
 * @typedef {{ t: string, v?: any }} Spec
 */

/** The JS value of a spec. `hooks` lets re-entrancy specs call back into the test. */
export function materialize(spec, hooks = {}) {
  switch (spec.t) {
    case 'n':
      return spec.v
    case '-0':
      return -0
    case 'nan':
      return NaN
    case 'inf':
      return Infinity
    case '-inf':
      return -Infinity
    case 'big':
      return BigInt(spec.v)
    case 's':
      return String(spec.v)
    case 'null':
      return null
    case 'undef':
      return undefined
    case 'bool':
      return Boolean(spec.v)
    case 'sym':
      return Symbol('offset')
    case 'arr':
      return [spec.v]
    case 'valueOf':
      // An object that coerces to a number, and runs user code when it does.
      return {
        valueOf() {
          hooks.onCoerce?.()
          return spec.v
        },
        toString() {
          hooks.onCoerce?.()
          return String(spec.v)
        },
      }
    case 'toPrimitive':
      return {
        [Symbol.toPrimitive]() {
          hooks.onCoerce?.()
          return spec.v
        },
      }
    case 'numberObject':
      return new Number(spec.v)
    default:
      throw new Error(`unknown value spec ${JSON.stringify(spec)}`)
  }
}

/** Printable form of a spec, for counterexamples. */
export function show(spec) {
  switch (spec.t) {
    case 'n':
      return String(spec.v)
    case 'big':
      return `${spec.v}n`
    case 's':
      return JSON.stringify(spec.v)
    case 'valueOf':
      return `{ valueOf: () => ${spec.v} }`
    case 'toPrimitive':
      return `{ [Symbol.toPrimitive]: () => ${spec.v} }`
    case 'numberObject':
      return `new Number(${spec.v})`
    case 'arr':
      return `[${spec.v}]`
    case 'bool':
      return String(spec.v)
    case 'sym':
      return 'Symbol()'
    case 'null':
      return 'null'
    case 'undef':
      return 'undefined'
    default:
      return { '-0': '-0', nan: 'NaN', inf: 'Infinity', '-inf': '-Infinity' }[spec.t] ?? JSON.stringify(spec)
  }
}

/**
 * How the contract reads a spec given as an offset or length:
 * `{ kind: 'int', value }`, `{ kind: 'range' }` (RangeError ERR_OUT_OF_RANGE),
 * `{ kind: 'type' }` (TypeError ERR_INVALID_ARG_TYPE) or `{ kind: 'absent' }` (undefined/null:
 * the default where the argument is optional, a type error where it is required).
 */
export function classify(spec) {
  switch (spec.t) {
    case 'n':
      if (!Number.isInteger(spec.v) || spec.v < 0 || spec.v > MAX_SAFE) return { kind: 'range' }
      return { kind: 'int', value: spec.v }
    case '-0':
      return { kind: 'int', value: 0 }
    case 'nan':
    case 'inf':
    case '-inf':
      return { kind: 'range' }
    case 'undef':
    case 'null':
      return { kind: 'absent' }
    default:
      return { kind: 'type' }
  }
}

export const n = (v) => ({ t: 'n', v })

/** A plain in-range integer spec in `[0, max]`. */
export const plainInt = (max) => fc.integer({ min: 0, max: Math.max(0, max) }).map(n)

/**
 * Offsets and lengths for a span of `len` bytes: mostly near the boundaries that matter (0, the
 * end, the page size), some plain integers, and every kind of wrong value.
 */
export function offsetSpec(len, page = 4096) {
  const edges = [0, 1, len - 1, len, len + 1, Math.floor(len / 2), page - 1, page, page + 1]
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...edges.filter((x) => x >= -1)).map(n) },
    { weight: 6, arbitrary: fc.integer({ min: 0, max: len + 8 }).map(n) },
    { weight: 3, arbitrary: hostileNumber() },
  )
}

/** Wrong values: negative, fractional, NaN, infinite, huge, and values of other types. */
export function hostileNumber() {
  return fc.oneof(
    fc.constantFrom(
      n(-1),
      n(-4096),
      n(0.5),
      n(1.5),
      n(4095.999),
      n(2 ** 53),
      n(2 ** 53 - 1),
      n(2 ** 53 + 2),
      n(2 ** 64),
      n(2 ** 32),
      n(2 ** 32 - 1),
      n(2 ** 31),
      n(1e300),
      n(-1e300),
      n(Number.MIN_VALUE),
      n(-Number.MIN_VALUE),
      { t: '-0' },
      { t: 'nan' },
      { t: 'inf' },
      { t: '-inf' },
      { t: 'big', v: '0' },
      { t: 'big', v: '5' },
      { t: 'big', v: '18446744073709551616' },
      { t: 's', v: '5' },
      { t: 's', v: '' },
      { t: 's', v: '0x10' },
      { t: 'null' },
      { t: 'undef' },
      { t: 'bool', v: true },
      { t: 'sym' },
      { t: 'arr', v: 1 },
      { t: 'valueOf', v: 1 },
      { t: 'toPrimitive', v: 2 },
      { t: 'numberObject', v: 3 },
    ),
    fc.double({ noNaN: false }).map((v) => (Number.isNaN(v) ? { t: 'nan' } : classifyDouble(v))),
  )
}

function classifyDouble(v) {
  if (Object.is(v, -0)) return { t: '-0' }
  if (v === Infinity) return { t: 'inf' }
  if (v === -Infinity) return { t: '-inf' }
  return n(v)
}

/**
 * Byte sources and targets: `{ kind, len, fill, at }` specs turned into Uint8Arrays of unusual
 * provenance by `makeBytes`. Kinds: plain, buffer (a Buffer from the pool), odd (odd byteOffset),
 * shared (SharedArrayBuffer), resizable (a length-tracking view of a resizable ArrayBuffer),
 * resizableFixed, detached (transferred away before the call), other typed arrays and non-arrays.
 */
export const BYTE_KINDS = ['plain', 'buffer', 'odd', 'shared', 'resizable', 'resizableFixed', 'detached']
export const WRONG_BYTE_KINDS = ['int16', 'float64', 'dataview', 'arraybuffer', 'array', 'number', 'object']

export function bytesSpec(maxLen, { wrong = true } = {}) {
  const kinds = fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...BYTE_KINDS) },
    { weight: wrong ? 1 : 0, arbitrary: fc.constantFrom(...WRONG_BYTE_KINDS) },
  )
  const lens = fc.oneof(
    fc.constantFrom(0, 1, 2, 3, 4, 7, 8),
    fc.integer({ min: 0, max: Math.max(0, maxLen) }),
    fc.constantFrom(Math.max(0, maxLen - 1), maxLen, maxLen + 1),
  )
  return fc.record({ kind: kinds, len: lens, seed: fc.integer({ min: 0, max: 255 }) })
}

/** Deterministic content for a bytes spec. */
export function fillPattern(len, seed) {
  const out = Buffer.alloc(len)
  for (let i = 0; i < len; i++) out[i] = (seed + i * 31 + (i >> 8)) & 0xff
  return out
}

/** Detaches an ArrayBuffer the way Node 20 can without flags. */
export function detach(arrayBuffer) {
  if (typeof arrayBuffer.transfer === 'function') return arrayBuffer.transfer()
  return structuredClone(arrayBuffer, { transfer: [arrayBuffer] })
}

/**
 * The Uint8Array (or wrong value) a bytes spec stands for, and the bytes the contract says the call
 * sees (`null` for a wrong type).
 * @returns {{ value: any, bytes: Buffer | null }}
 */
export function makeBytes(spec) {
  const content = fillPattern(spec.len, spec.seed)
  switch (spec.kind) {
    case 'plain': {
      const u = new Uint8Array(spec.len)
      u.set(content)
      return { value: u, bytes: content }
    }
    case 'buffer':
      return { value: Buffer.from(content), bytes: content }
    case 'odd': {
      const ab = new ArrayBuffer(spec.len + 3)
      const u = new Uint8Array(ab, 3, spec.len)
      u.set(content)
      return { value: u, bytes: content }
    }
    case 'shared': {
      const sab = new SharedArrayBuffer(spec.len + 1)
      const u = new Uint8Array(sab, 1, spec.len)
      u.set(content)
      return { value: u, bytes: content }
    }
    case 'resizable': {
      const ab = new ArrayBuffer(spec.len, { maxByteLength: spec.len + 64 })
      const u = new Uint8Array(ab) // length-tracking
      u.set(content)
      return { value: u, bytes: content }
    }
    case 'resizableFixed': {
      const ab = new ArrayBuffer(spec.len + 8, { maxByteLength: spec.len + 64 })
      const u = new Uint8Array(ab, 4, spec.len)
      u.set(content)
      return { value: u, bytes: content }
    }
    case 'detached': {
      const u = new Uint8Array(spec.len)
      u.set(content)
      detach(u.buffer)
      return { value: u, bytes: Buffer.alloc(0) }
    }
    case 'int16':
      return { value: new Int16Array(spec.len), bytes: null }
    case 'float64':
      return { value: new Float64Array(spec.len), bytes: null }
    case 'dataview':
      return { value: new DataView(new ArrayBuffer(spec.len)), bytes: null }
    case 'arraybuffer':
      return { value: new ArrayBuffer(spec.len), bytes: null }
    case 'array':
      return { value: Array.from(content), bytes: null }
    case 'number':
      return { value: spec.len, bytes: null }
    case 'object':
      return { value: { length: spec.len, byteLength: spec.len, 0: 1 }, bytes: null }
    default:
      throw new Error(`unknown bytes kind ${spec.kind}`)
  }
}
