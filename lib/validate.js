'use strict'
// Argument checks of the JS layer, worded as Node's validators (validateInteger, validateObject,
// validateFunction) word them.
const { invalidArgType, outOfRange } = require('./errors.js')

/** An integer in `[min, max]` (an offset or a size), else ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE. */
function validateInteger(value, name, min = 0, max = Number.MAX_SAFE_INTEGER) {
  if (typeof value !== 'number') throw invalidArgType(name, 'number', value)
  if (!Number.isInteger(value)) throw outOfRange(name, 'an integer', value)
  if (value < min || value > max) throw outOfRange(name, `>= ${min} && <= ${max}`, value)
  return value
}

/** `undefined` or a plain object (not null, not an array). */
function validateOptions(value, name = 'options') {
  if (value === undefined) return {}
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidArgType(name, 'object', value)
  }
  return value
}

function validateFunction(value, name) {
  if (typeof value !== 'function') throw invalidArgType(name, 'function', value)
  return value
}

module.exports = { validateInteger, validateOptions, validateFunction }
