'use strict'
// Argument checks of the JS layer: the one place where mmapkit validates arguments, worded as
// Node's validators (validateInteger, validateObject, validateOneOf, validateAbortSignal, fs's path
// and fd checks) word them. Each validator returns the value the native binding takes (a path as a
// string or Buffer, an options object copied to a plain object of checked fields), so that the
// binding's typed napi-rs signatures never see a value they cannot convert. lib/signatures.js says
// which validator checks which argument of which method.
const { Buffer } = require('node:buffer')
const { isUint8Array } = require('node:util').types
const { invalidArgType, invalidArgValue, nodeError, outOfRange, describe } = require('./errors.js')

const MAX_SAFE = Number.MAX_SAFE_INTEGER

/** An integer in `[min, max]` (an offset or a size), else ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE. */
function validateInteger(value, name, min = 0, max = MAX_SAFE) {
  if (typeof value !== 'number') throw invalidArgType(name, 'number', value)
  if (!Number.isInteger(value)) throw outOfRange(name, 'an integer', value)
  if (value < min || value > max) throw outOfRange(name, `>= ${min} && <= ${max}`, value)
  return value
}

/** An offset or length: a safe integer >= 0. */
function validateIndex(value, name) {
  // The common case first: a small non-negative integer.
  if (typeof value === 'number' && value >= 0 && value <= MAX_SAFE && Number.isInteger(value)) return value
  return validateInteger(value, name)
}

/** An optional offset or length: `undefined` and `null` mean "not given". */
function validateOptionalIndex(value, name) {
  return value == null ? undefined : validateIndex(value, name)
}

/** A count: an integer at least 1 and at most `max` (a non-integer fails as an index would). */
function validateCount(value, name, max = MAX_SAFE) {
  if (Number.isInteger(value) && (value < 1 || value > max)) throw outOfRange(name, `>= 1 && <= ${max}`, value)
  return validateIndex(value, name)
}

/** A byte value, 0 to 255 (an index first). */
function validateByte(value, name) {
  validateIndex(value, name)
  if (value > 255) throw outOfRange(name, '>= 0 && <= 255', value)
  return value
}

/** `undefined` or a plain object (not null, not an array): for the JS layer's own options. */
function validateOptions(value, name = 'options') {
  if (value === undefined) return {}
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidArgType(name, 'object', value)
  }
  return value
}

/** The options argument of a native method: `undefined`/`null` mean none, else an object. */
function validateOptionsObject(value, name = 'options') {
  if (value == null) return undefined
  if (typeof value !== 'object') throw invalidArgType(name, 'object', value)
  return value
}

function validateFunction(value, name) {
  if (typeof value !== 'function') throw invalidArgType(name, 'function', value)
  return value
}

function validateBoolean(value, name) {
  if (typeof value !== 'boolean') throw invalidArgType(name, 'boolean', value)
  return value
}

/** Node's validateOneOf, for strings (a non-string is ERR_INVALID_ARG_TYPE first). */
function validateOneOf(value, name, choices) {
  if (typeof value !== 'string') throw invalidArgType(name, 'string', value)
  if (!choices.includes(value)) {
    throw invalidArgValue(name, `must be one of: ${choices.map((c) => `'${c}'`).join(', ')}`, value)
  }
  return value
}

/** An AbortSignal (or an object that behaves as one: `aborted` and `addEventListener`). */
function validateAbortSignal(value, name) {
  if (
    value === null ||
    typeof value !== 'object' ||
    typeof value.aborted !== 'boolean' ||
    typeof value.addEventListener !== 'function'
  ) {
    throw invalidArgType(name, 'AbortSignal', value)
  }
  return value
}

function validateUint8Array(value, name) {
  if (!isUint8Array(value)) throw invalidArgType(name, 'Uint8Array', value)
  return value
}

/** Bytes to write or search for: a string (taken as UTF-8) or a Uint8Array. */
function validateBytes(value, name) {
  if (typeof value === 'string' || isUint8Array(value)) return value
  throw invalidArgType(name, 'of type string or an instance of Uint8Array', value)
}

/**
 * A search pattern: bytes, not empty. Bytes are copied now, in argument order: a later argument's
 * getter (an options object's) may resize or close the mapping a view pattern lies in, and the
 * pattern is what it was when the call began (as when the binding converted arguments in order).
 */
function validatePattern(value, name = 'pattern') {
  validateBytes(value, name)
  if (value.length === 0)
    throw nodeError(TypeError, 'ERR_INVALID_ARG_VALUE', `The argument '${name}' must not be empty`)
  return typeof value === 'string' ? value : new Uint8Array(value)
}

const PATH_TYPES = 'of type string or an instance of Buffer or URL'
const SOURCE_TYPES = 'of type string or number or an instance of Buffer, URL, or FileHandle'

/** Node's `isURL`: a WHATWG URL, not a legacy `url.parse` result. */
function isURL(value) {
  return Boolean(value?.href && value.protocol && value.auth === undefined && value.path === undefined)
}

function noNulBytes(bytes, shown) {
  if (bytes.includes(0)) {
    throw nodeError(
      TypeError,
      'ERR_INVALID_ARG_VALUE',
      `The argument 'path' must be a string, Uint8Array, or URL without null bytes. Received ${shown}`,
    )
  }
}

function stringPath(path) {
  if (path.includes('\0')) noNulBytes([0], require('node:util').inspect(path))
  return path
}

/**
 * A path as node:fs takes it: a string, a Buffer/Uint8Array (its bytes, as an OS path), or a
 * `file:` URL (with `url.fileURLToPath`'s rules and errors); never with NUL bytes. Returns a string
 * or a Buffer.
 */
function validatePath(value, expected = PATH_TYPES) {
  if (typeof value === 'string') return stringPath(value)
  if (isUint8Array(value)) {
    noNulBytes(value, describe(value))
    return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength)
  }
  if (value !== null && typeof value === 'object' && isURL(value)) {
    if (value.protocol !== 'file:')
      throw nodeError(TypeError, 'ERR_INVALID_URL_SCHEME', 'The URL must be of scheme file')
    return stringPath(require('node:url').fileURLToPath(value))
  }
  throw invalidArgType('path', expected, value)
}

/** A path the ring buffer can name: UTF-8 text. */
function validateUtf8Path(value) {
  const path = validatePath(value)
  if (typeof path === 'string') return path
  const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(path)
  if (!Buffer.from(text).equals(path)) {
    throw nodeError(
      TypeError,
      'ERR_INVALID_ARG_VALUE',
      `The argument 'path' must be valid UTF-8 here. Received '${text}'`,
    )
  }
  return text
}

/** A `fs/promises` `FileHandle`: an object of that class with a numeric `fd`. */
function isFileHandle(value) {
  return typeof value.fd === 'number' && value.constructor?.name === 'FileHandle'
}

/**
 * `path | fd | FileHandle`, the first argument of `open` and its siblings: a path (string or
 * Buffer) or a file descriptor (number; a closed FileHandle's -1 is passed on, for the OS to say
 * EBADF as Node does).
 */
function validateSource(value) {
  let handle = false
  let fd = value
  if (typeof value === 'number') {
    // a descriptor
  } else if (value !== null && typeof value === 'object' && isFileHandle(value)) {
    handle = true
    fd = value.fd
  } else {
    return validatePath(value, SOURCE_TYPES)
  }
  if (handle && fd === -1) return fd
  if (!Number.isInteger(fd)) throw outOfRange('fd', 'an integer', fd)
  if (fd < 0 || fd > 2 ** 31 - 1) throw outOfRange('fd', `>= 0 && <= ${2 ** 31 - 1}`, fd)
  return fd
}

const MODES = ['readOnly', 'readWrite', 'copyOnWrite']
const LOCK_KINDS = ['shared', 'exclusive']
const ADVICE = ['normal', 'random', 'sequential', 'willNeed', 'dontNeed']
const EVERY = ['everyBytes', 'everyWrites', 'everyMillis']

function validateMode(value, name = 'mode') {
  return validateOneOf(value, name, MODES)
}

function validateOptionalMode(value) {
  return value == null ? undefined : validateMode(value, 'mode')
}

function validateAdvice(value, name = 'advice') {
  return validateOneOf(value, name, ADVICE)
}

function validateOptionalLockKind(value) {
  return value == null ? undefined : validateOneOf(value, 'kind', LOCK_KINDS)
}

/**
 * `'manual' | 'always' | { everyBytes } | { everyWrites } | { everyMillis }`, counts >= 1, as the
 * binding takes it: `[kind, count]`.
 */
function validateFlushPolicy(value) {
  const name = 'options.flushPolicy'
  const bad = () =>
    nodeError(
      TypeError,
      'ERR_INVALID_ARG_VALUE',
      `The property '${name}' must be 'manual', 'always', { everyBytes: n }, { everyWrites: n } or ` +
        `{ everyMillis: n }. Received ${describe(value)}`,
    )
  if (typeof value === 'string') {
    if (value === 'manual' || value === 'always') return [value, undefined]
    throw bad()
  }
  if (value === null || typeof value !== 'object') throw invalidArgType(name, 'of type string or object', value)
  let found
  for (const key of EVERY) {
    const n = value[key]
    if (n === undefined) continue
    if (found) throw bad()
    found = [key, validateCount(n, `${name}.${key}`)]
  }
  if (!found) throw bad()
  return found
}

/** The getter-free copy of an options property: its value, read once. */
function own(object, key) {
  return object === undefined ? undefined : object[key]
}

/**
 * The options of `open` and the factories, as the binding takes them (a plain object of checked
 * fields); `withSignal` for `openAsync`.
 */
function validateOpenOptions(value, withSignal = false) {
  const object = validateOptionsObject(value)
  if (object === undefined) return undefined
  const options = {}
  const mode = own(object, 'mode')
  if (mode !== undefined) options.mode = validateMode(mode, 'options.mode')
  for (const [key, property] of [
    ['create', 'create'],
    ['populate', 'populate'],
    ['hugePages', 'hugePages'],
  ]) {
    const flag = own(object, key)
    if (flag !== undefined) options[property] = validateBoolean(flag, `options.${key}`)
  }
  for (const key of ['size', 'offset', 'length']) {
    const n = validateOptionalIndex(own(object, key), `options.${key}`)
    if (n !== undefined) options[key] = n
  }
  const advice = own(object, 'advice')
  if (advice !== undefined) options.advice = validateAdvice(advice, 'options.advice')
  const lock = own(object, 'lock')
  if (lock !== undefined) options.lock = validateOneOf(lock, 'options.lock', LOCK_KINDS)
  const flushPolicy = own(object, 'flushPolicy')
  if (flushPolicy !== undefined) {
    const [kind, count] = validateFlushPolicy(flushPolicy)
    options.flushPolicy = kind
    if (count !== undefined) options.flushEvery = count
  }
  const signal = own(object, 'signal')
  if (withSignal && signal !== undefined) options.signal = validateAbortSignal(signal, 'options.signal')
  return options
}

/** `{ signal }` of the flush twins and `lockAsync`. */
function validateSignalOptions(value) {
  const object = validateOptionsObject(value)
  const signal = own(object, 'signal')
  if (signal === undefined) return undefined
  return { signal: validateAbortSignal(signal, 'options.signal') }
}

/** `offset`/`length` properties of an options object, copied into `into`. */
function windowOptions(object, into) {
  for (const key of ['offset', 'length']) {
    const n = validateOptionalIndex(own(object, key), `options.${key}`)
    if (n !== undefined) into[key] = n
  }
  return into
}

/** The options of `count`/`findAll` (and, `asynchronous`, of the async twins). */
function validateScanOptions(value, asynchronous = false) {
  const object = validateOptionsObject(value)
  if (object === undefined) return undefined
  const options = windowOptions(object, {})
  const limit = validateOptionalIndex(own(object, 'limit'), 'options.limit')
  if (limit !== undefined) options.limit = limit
  const threads = own(object, 'threads')
  if (threads != null) options.threads = validateCount(threads, 'options.threads')
  if (asynchronous) {
    const signal = own(object, 'signal')
    const onProgress = own(object, 'onProgress')
    if (onProgress !== undefined) options.onProgress = validateFunction(onProgress, 'options.onProgress')
    if (signal !== undefined) options.signal = validateAbortSignal(signal, 'options.signal')
  }
  return options
}

/** `options.delimiter` as bytes: a byte value, a string (UTF-8) or a Uint8Array; not empty. */
function delimiterOption(object, into) {
  const value = own(object, 'delimiter')
  if (value === undefined) return into
  const name = 'options.delimiter'
  let bytes
  if (typeof value === 'number') bytes = Buffer.of(validateByte(value, name))
  else if (typeof value === 'string') bytes = Buffer.from(value)
  else if (isUint8Array(value)) bytes = value
  else throw invalidArgType(name, 'of type number or string or an instance of Uint8Array', value)
  if (bytes.length === 0)
    throw nodeError(TypeError, 'ERR_INVALID_ARG_VALUE', `The property '${name}' must not be empty`)
  into.delimiter = bytes
  return into
}

function booleanOption(object, key, into) {
  const value = own(object, key)
  if (value !== undefined) into[key] = validateBoolean(value, `options.${key}`)
  return into
}

/** The options of `lines()`. */
function validateLinesOptions(value) {
  const object = validateOptionsObject(value)
  if (object === undefined) return undefined
  const options = delimiterOption(object, {})
  booleanOption(object, 'crlf', options)
  return windowOptions(object, options)
}

/** The options of `splitRanges()`. */
function validateSplitOptions(value) {
  const object = validateOptionsObject(value)
  if (object === undefined) return undefined
  return windowOptions(object, delimiterOption(object, {}))
}

/** The options of `matches()` (its `signal` is kept by lib/matches.js). */
function validateMatchesOptions(value) {
  const object = validateOptionsObject(value)
  if (object === undefined) return undefined
  const options = booleanOption(object, 'overlapping', {})
  const threads = own(object, 'threads')
  if (threads != null) options.threads = validateCount(threads, 'options.threads')
  return windowOptions(object, options)
}

const U32_MAX = 2 ** 32 - 1
const U64_MAX = 2n ** 64n - 1n

/** A u32 atomic operand: an integer in `0..=2**32 - 1`, or (`signed`, for adds) from `-(2**32 - 1)`. */
function validateAtomicU32(value, name, signed = false) {
  if (typeof value !== 'number') throw invalidArgType(name, 'number', value)
  const min = signed ? -U32_MAX : 0
  if (!Number.isInteger(value) || value < min || value > U32_MAX) {
    throw outOfRange(name, `>= ${min === 0 ? 0 : min} && <= ${U32_MAX}`, value)
  }
  return value
}

/** A u64 atomic operand: a bigint in `0n..=2n**64n - 1n`, or (`signed`, for adds) from `-(2n**64n - 1n)`. */
function validateAtomicU64(value, name, signed = false) {
  if (typeof value !== 'bigint') throw invalidArgType(name, 'bigint', value)
  if (value > U64_MAX || value < (signed ? -U64_MAX : 0n)) {
    const range = signed ? '-(2n ** 64n - 1n) and 2n ** 64n - 1n' : '0n and 2n ** 64n - 1n'
    throw outOfRange(name, `between ${range}`, value, 'a bigint outside that range')
  }
  return value
}

/**
 * The validators the native hot calls (src/hot/) hand a refused argument to, by name: they accept
 * or refuse in Rust and leave the wording of the error to these (`rejectArgument`).
 */
const HOT_CHECKS = {
  index: validateIndex,
  uint8Array: validateUint8Array,
  bytes: validateBytes,
  u32: (value, name) => validateAtomicU32(value, name),
  u32Signed: (value, name) => validateAtomicU32(value, name, true),
  u64: (value, name) => validateAtomicU64(value, name),
  u64Signed: (value, name) => validateAtomicU64(value, name, true),
  abortSignal: validateAbortSignal,
}

/** Throws the error for an argument the native side refused (`check` names the validator). */
function rejectArgument(check, value, name) {
  HOT_CHECKS[check](value, name)
}

const TYPED_ARRAYS = [
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
]

/** A typed-array class, passed to the binding by its name. */
function validateTypedArrayClass(value) {
  if (!TYPED_ARRAYS.includes(value)) {
    throw invalidArgType(
      'Type',
      'a TypedArray constructor (Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, ' +
        'Int32Array, Uint32Array, Float32Array, Float64Array, BigInt64Array or BigUint64Array)',
      value,
    )
  }
  return value.name
}

module.exports = {
  MAX_SAFE,
  validateInteger,
  validateIndex,
  validateOptionalIndex,
  validateCount,
  validateByte,
  validateOptions,
  validateOptionsObject,
  validateFunction,
  validateBoolean,
  validateOneOf,
  validateAbortSignal,
  validateUint8Array,
  validateBytes,
  validatePattern,
  validatePath,
  validateUtf8Path,
  validateSource,
  validateMode,
  validateOptionalMode,
  validateAdvice,
  validateOptionalLockKind,
  validateOpenOptions,
  validateSignalOptions,
  validateScanOptions,
  validateLinesOptions,
  validateSplitOptions,
  validateMatchesOptions,
  validateTypedArrayClass,
  validateAtomicU32,
  validateAtomicU64,
  rejectArgument,
}
