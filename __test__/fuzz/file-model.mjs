// The model of a mapping kept in JS: the bytes the mapping shows (`mem`) and the bytes the file
// holds on disk (`disk`), updated only by calls that succeeded, plus the expected outcome of each
// call from the contract (which codes it may throw, or what it returns).
import { classify } from './values.mjs'

export const TYPE = 'ERR_INVALID_ARG_TYPE'
export const VALUE = 'ERR_INVALID_ARG_VALUE'
export const RANGE = 'ERR_OUT_OF_RANGE'
export const CLOSED = 'ERR_MMAP_CLOSED'
export const READ_ONLY = 'ERR_MMAP_READ_ONLY'
export const INVALID_MODE = 'ERR_MMAP_INVALID_MODE'
export const MISALIGNED = 'ERR_MMAP_MISALIGNED'

/**
 * Resolves offset/length argument specs against a span of `spanLen` bytes.
 * `args`: `[{ spec, optional, name }]`. Returns `{ codes }` (the call must throw one of these) or
 * `{ values }` (the integers, `undefined` for an absent optional argument).
 */
export function resolveArgs(args) {
  const codes = new Set()
  const values = []
  for (const { spec, optional } of args) {
    const c = classify(spec)
    if (c.kind === 'type' || (c.kind === 'absent' && !optional)) codes.add(TYPE)
    else if (c.kind === 'range') codes.add(RANGE)
    values.push(c.kind === 'int' ? c.value : undefined)
  }
  return codes.size ? { codes } : { values }
}

/** The state of one mapping under test. */
export class MappingModel {
  /**
   * @param {object} o
   * @param {'readOnly'|'readWrite'|'copyOnWrite'|'anonymous'} o.mode
   * @param {Buffer} o.disk the whole file (empty for anonymous)
   * @param {number} o.offset window offset in the file
   * @param {number} o.length window length
   * @param {'yes'|'no'|'either'} o.window whether this is a window (resize refuses windows)
   */
  constructor({ mode, disk, offset, length, window }) {
    this.mode = mode
    this.disk = Buffer.from(disk)
    this.offset = offset
    this.mem = Buffer.from(disk.subarray(offset, offset + length))
    if (mode === 'anonymous') this.mem = Buffer.alloc(length)
    this.window = window
    this.closed = false
    /** whether private pages were written (advise('dontNeed') may lose them: a known issue) */
    this.privateWrites = false
  }

  get length() {
    return this.closed ? 0 : this.mem.length
  }

  get writable() {
    return this.mode !== 'readOnly'
  }

  get shared() {
    return this.mode === 'readWrite'
  }

  /** A successful write of `bytes` at mapping offset `at` (through updateRegion, a view or an atomic). */
  write(at, bytes) {
    Buffer.from(bytes).copy(this.mem, at)
    if (this.shared) Buffer.from(bytes).copy(this.disk, this.offset + at)
    else this.privateWrites = true
  }

  /** A write through a view: in readOnly mode it stays private too (readOnly is a private mapping). */
  viewWrite(at, bytes) {
    Buffer.from(bytes).copy(this.mem, at)
    if (this.shared) Buffer.from(bytes).copy(this.disk, this.offset + at)
    else this.privateWrites = true
  }

  resize(newLength) {
    const grown = Buffer.alloc(newLength)
    this.mem.copy(grown, 0, 0, Math.min(newLength, this.mem.length))
    this.mem = grown
    this.disk = Buffer.from(grown)
  }
}

/** Non-overlapping occurrences of `pattern` in `hay`, greedy from the left. */
export function findAllModel(hay, pattern, limit = Infinity) {
  const out = []
  if (pattern.length === 0) return out
  let at = hay.indexOf(pattern, 0)
  while (at !== -1 && out.length < limit) {
    out.push(at)
    at = hay.indexOf(pattern, at + pattern.length)
  }
  return out
}

export function countByteModel(hay, byte) {
  let n = 0
  for (let i = 0; i < hay.length; i++) if (hay[i] === byte) n++
  return n
}
