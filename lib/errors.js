'use strict'
// Node-style errors for the JS layer: the codes and message forms of Node's own
// lib/internal/errors.js, so an mmapkit error reads like one from node:fs.

/** An error of `Class` with Node's `code` property (shown in the stack as `Class [code]`). */
function nodeError(Class, code, message) {
  const error = new Class(message)
  Object.defineProperty(error, 'code', { value: code, enumerable: true, writable: true, configurable: true })
  return error
}

/**
 * How this runtime's Node words a received value in `ERR_INVALID_ARG_TYPE` ("Received type number
 * (5)", "Received function f"): Node's internal `determineSpecificType`, whose wording changed
 * between Node versions, taken from a public validator that reports any value of the wrong type
 * (`util.promisify` wants a function, `Buffer.alloc` a number). Only runs when building an error.
 */
function describe(value) {
  try {
    if (typeof value === 'function') require('node:buffer').Buffer.alloc(value)
    else require('node:util').promisify(value)
  } catch (error) {
    const at = typeof error?.message === 'string' ? error.message.indexOf('. Received ') : -1
    if (error?.code === 'ERR_INVALID_ARG_TYPE' && at !== -1) return error.message.slice(at + '. Received '.length)
  }
  return fallbackDescribe(value)
}

/** Node 22's `determineSpecificType`, for runtimes whose validators word it differently. */
function fallbackDescribe(value) {
  if (value == null) return `${value}`
  if (typeof value === 'function' && value.name) return `function ${value.name}`
  const { inspect } = require('node:util')
  if (typeof value === 'object') {
    if (value.constructor?.name) return `an instance of ${value.constructor.name}`
    return inspect(value, { depth: -1 })
  }
  let inspected = inspect(value, { colors: false })
  if (inspected.length > 28) inspected = `${inspected.slice(0, 25)}...`
  return `type ${typeof value} (${inspected})`
}

/**
 * `ERR_INVALID_ARG_TYPE`: `name` is `"options"` (an argument) or `"options.start"` (a property);
 * `expected` is a type (`number`: "of type number"), a class (`AbortSignal`: "an instance of"), or
 * a whole phrase (`of type string or an instance of Uint8Array`).
 */
function invalidArgType(name, expected, value) {
  const what = name.includes('.') ? 'property' : 'argument'
  const kind = expected.includes(' ')
    ? expected
    : /^[A-Z]/.test(expected)
      ? `an instance of ${expected}`
      : `of type ${expected}`
  return nodeError(
    TypeError,
    'ERR_INVALID_ARG_TYPE',
    `The "${name}" ${what} must be ${kind}. Received ${describe(value)}`,
  )
}

/** `ERR_INVALID_ARG_VALUE` as Node words it: `The argument 'mode' must be one of: ... Received 'rw'`. */
function invalidArgValue(name, reason, value) {
  const what = name.includes('.') ? 'property' : 'argument'
  let inspected = require('node:util').inspect(value)
  if (inspected.length > 128) inspected = `${inspected.slice(0, 128)}...`
  return nodeError(TypeError, 'ERR_INVALID_ARG_VALUE', `The ${what} '${name}' ${reason}. Received ${inspected}`)
}

/** Node's `addNumericalSeparator`: `9_007_199_254_740_992`. */
function addNumericalSeparator(digits) {
  let result = ''
  let i = digits.length
  const start = digits[0] === '-' ? 1 : 0
  for (; i >= start + 4; i -= 3) result = `_${digits.slice(i - 3, i)}${result}`
  return `${digits.slice(0, i)}${result}`
}

/**
 * `ERR_OUT_OF_RANGE`: `range` is Node's phrase, e.g. `>= 0 && <= 9007199254740991`; the received
 * value is shown as Node shows it (integers beyond 2**32 with `_` separators), or as `shown`.
 */
function outOfRange(name, range, value, shown) {
  let received
  if (shown !== undefined) {
    received = shown
  } else if (Number.isInteger(value) && Math.abs(value) > 2 ** 32) {
    received = addNumericalSeparator(String(value))
  } else if (typeof value === 'bigint') {
    received = String(value)
    if (value > 2n ** 32n || value < -(2n ** 32n)) received = addNumericalSeparator(received)
    received += 'n'
  } else {
    received = require('node:util').inspect(value)
  }
  return nodeError(
    RangeError,
    'ERR_OUT_OF_RANGE',
    `The value of "${name}" is out of range. It must be ${range}. Received ${received}`,
  )
}

const closedError = () => nodeError(Error, 'ERR_MMAP_CLOSED', 'The memory-mapped file is closed')
const illegalConstructor = () => nodeError(TypeError, 'ERR_ILLEGAL_CONSTRUCTOR', 'Illegal constructor')
const invalidThis = (type) => nodeError(TypeError, 'ERR_INVALID_THIS', `Value of "this" must be of type ${type}`)

module.exports = {
  nodeError,
  describe,
  invalidArgType,
  invalidArgValue,
  outOfRange,
  closedError,
  illegalConstructor,
  invalidThis,
}
