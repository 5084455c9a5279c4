'use strict'
// The `signal` option of matches(): the native method checks the pattern and the other options; the
// signal only concerns the async form, so it is kept here, beside the iterator (lib/iterate.js).
const { invalidArgType } = require('./errors.js')
const { signals } = require('./iterate.js')

/** Wraps `prototype.matches` to take `options.signal`. */
function installMatchesSignal(prototype) {
  const native = prototype.matches
  Object.defineProperty(prototype, 'matches', {
    value: function matches(pattern, options) {
      const signal = options?.signal
      if (signal !== undefined && !(signal instanceof AbortSignal)) {
        throw invalidArgType('options.signal', 'AbortSignal', signal)
      }
      const iterator = Reflect.apply(native, this, [pattern, options])
      if (signal !== undefined) signals.set(iterator, signal)
      return iterator
    },
    writable: true,
    configurable: true,
    enumerable: false,
  })
}

module.exports = { installMatchesSignal }
