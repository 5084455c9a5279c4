'use strict'
// Node-style errors for the JS layer: the codes and message forms of Node's own
// lib/internal/errors.js, so an mmapkit error reads like one from node:fs.

/** An error of `Class` with Node's `code` property (shown in the stack as `Class [code]`). */
function nodeError(Class, code, message) {
  const error = new Class(message)
  Object.defineProperty(error, 'code', { value: code, enumerable: true, writable: true, configurable: true })
  return error
}

/** How Node's messages show a received value ("Received type number (5)", "Received function f"). */
function describe(value) {
  if (value === null) return 'null'
  if (value === undefined) return 'undefined'
  switch (typeof value) {
    case 'bigint':
      return `type bigint (${value}n)`
    case 'number':
      return `type number (${Object.is(value, -0) ? '-0' : value})`
    case 'boolean':
      return `type boolean (${value})`
    case 'symbol':
      return `type symbol (${String(value)})`
    case 'function':
      return `function ${value.name}`
    case 'string': {
      const shown = value.length > 28 ? `${value.slice(0, 25)}...` : value
      return shown.includes("'") ? `type string (${JSON.stringify(shown)})` : `type string ('${shown}')`
    }
    default: {
      const constructor = value.constructor
      if (constructor && typeof constructor.name === 'string') return `an instance of ${constructor.name}`
      return require('node:util').inspect(value, { depth: -1 })
    }
  }
}

/**
 * `ERR_INVALID_ARG_TYPE`: `name` is `"options"` (an argument) or `"options.start"` (a property);
 * `expected` is a type (`number`: "of type number") or a class (`AbortSignal`: "an instance of").
 */
function invalidArgType(name, expected, value) {
  const what = name.includes('.') ? 'property' : 'argument'
  const kind = /^[A-Z]/.test(expected) ? `an instance of ${expected}` : `of type ${expected}`
  return nodeError(
    TypeError,
    'ERR_INVALID_ARG_TYPE',
    `The "${name}" ${what} must be ${kind}. Received ${describe(value)}`,
  )
}

/** `ERR_OUT_OF_RANGE`: `range` is Node's phrase, e.g. `>= 0 && <= 9007199254740991`. */
function outOfRange(name, range, value) {
  return nodeError(
    RangeError,
    'ERR_OUT_OF_RANGE',
    `The value of "${name}" is out of range. It must be ${range}. Received ${value}`,
  )
}

const closedError = () => nodeError(Error, 'ERR_MMAP_CLOSED', 'The memory-mapped file is closed')
const illegalConstructor = () => nodeError(TypeError, 'ERR_ILLEGAL_CONSTRUCTOR', 'Illegal constructor')
const invalidThis = (type) => nodeError(TypeError, 'ERR_INVALID_THIS', `Value of "this" must be of type ${type}`)

module.exports = { nodeError, describe, invalidArgType, outOfRange, closedError, illegalConstructor, invalidThis }
