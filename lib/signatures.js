'use strict'
// Which validator (lib/validate.js) checks which argument of which native method, in argument
// order: lib/brands.js applies the table where it wraps every method, after the receiver check and
// before any native code runs. A method of the table gets exactly as many arguments as it has
// validators, each one what its validator returned (the form the typed napi-rs signature takes).
// The hot calls (readInto, read, asBuffer, updateRegion, the atomics, RingBuffer push) are not
// here: src/hot/ checks their arguments itself, in the one native call they make.
const v = require('./validate.js')

const index = (name) => (value) => v.validateIndex(value, name)
const optionalIndex = (name) => (value) => v.validateOptionalIndex(value, name)
const range = [optionalIndex('offset'), optionalIndex('length')]
const openOptions = (value) => v.validateOpenOptions(value)
const pattern = (value) => v.validatePattern(value)
const signalOptions = (value) => v.validateSignalOptions(value)

/** The scan and toolkit methods of MemoryMappedFile and Segment. */
const SPAN_METHODS = {
  chunks: [(value) => v.validateCount(value, 'size')],
  countByte: [(value) => v.validateByte(value, 'byte'), ...range],
  countLines: range,
  indexOf: [pattern, optionalIndex('fromOffset')],
  count: [pattern, (value) => v.validateScanOptions(value)],
  findAll: [pattern, (value) => v.validateScanOptions(value)],
  countLinesAsync: [(value) => v.validateScanOptions(value, true)],
  countAsync: [pattern, (value) => v.validateScanOptions(value, true)],
  findAllAsync: [pattern, (value) => v.validateScanOptions(value, true)],
  lines: [(value) => v.validateLinesOptions(value)],
  splitRanges: [(value) => v.validateCount(value, 'parts', 2 ** 24), (value) => v.validateSplitOptions(value)],
  matches: [pattern, (value) => v.validateMatchesOptions(value)],
  lastIndexOf: [pattern, optionalIndex('fromOffset')],
  typedArray: [(value) => v.validateTypedArrayClass(value), index('byteOffset'), index('length')],
  residency: range,
  segment: [index('offset'), index('length')],
}

const FILE_STATICS = {
  open: [v.validateSource, openOptions],
  openAsync: [v.validateSource, (value) => v.validateOpenOptions(value, true)],
  openRo: [v.validateSource, openOptions],
  openRw: [v.validateSource, openOptions],
  openCow: [v.validateSource, openOptions],
  createRw: [v.validateSource, index('size'), openOptions],
  openOrCreate: [v.validateSource, index('defaultSize'), openOptions],
  anonymous: [index('size')],
}

const FILE_METHODS = {
  ...SPAN_METHODS,
  touchPages: range,
  prefetch: range,
  lockMemory: range,
  unlockMemory: range,
  flushRange: [index('offset'), index('length')],
  flushAsync: [signalOptions],
  flushRangeAsync: [index('offset'), index('length'), signalOptions],
  resize: [index('newLength')],
  advise: [(value) => v.validateAdvice(value), ...range],
  lock: [v.validateOptionalLockKind],
  tryLock: [v.validateOptionalLockKind],
  lockAsync: [v.validateOptionalLockKind, signalOptions],
}

function ringOptions(value) {
  const object = v.validateOptionsObject(value)
  const overwrite = object?.overwrite
  return overwrite === undefined ? undefined : { overwrite: v.validateBoolean(overwrite, 'options.overwrite') }
}

function popOptions(value) {
  const object = v.validateOptionsObject(value)
  if (object === undefined) return undefined
  const options = {}
  const timeoutMs = v.validateOptionalIndex(object.timeoutMs, 'options.timeoutMs')
  if (timeoutMs !== undefined) options.timeoutMs = timeoutMs
  if (object.signal !== undefined) options.signal = v.validateAbortSignal(object.signal, 'options.signal')
  return options
}

const RING_STATICS = {
  create: [v.validateUtf8Path, index('capacityBytes'), ringOptions],
  open: [v.validateUtf8Path],
}

const RING_METHODS = {
  popAsync: [popOptions],
}

const FUNCTIONS = {
  createMmap: [(value) => v.validatePath(value), index('size')],
  loadMmap: [(value) => v.validatePath(value), v.validateOptionalMode],
  writeMmap: [(value) => v.validatePath(value), index('offset'), (value) => v.validateBytes(value, 'data')],
}

/** `args` checked by `validators`: the arguments the native method gets. */
function checkArguments(validators, args) {
  const checked = []
  for (let i = 0; i < validators.length; i++) checked.push(validators[i](args[i]))
  return checked
}

module.exports = {
  SPAN_METHODS,
  FILE_STATICS,
  FILE_METHODS,
  RING_STATICS,
  RING_METHODS,
  FUNCTIONS,
  checkArguments,
}
