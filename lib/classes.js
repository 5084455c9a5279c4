'use strict'
// The exported classes: constructors that throw ERR_ILLEGAL_CONSTRUCTOR (instances come from the
// factories, as with Node's own classes such as fs.Dirent) and share the native prototypes, so
// `instanceof` works and the static factories are the native ones.
const { illegalConstructor } = require('./errors.js')
const { guardArguments } = require('./brands.js')

/** The public class of `Native`; its static factories check their arguments with `statics` (lib/signatures.js). */
function publicClass(Native, statics = {}) {
  const Class = {
    [Native.name]: function () {
      throw illegalConstructor()
    },
  }[Native.name]
  Class.prototype = Native.prototype
  Object.defineProperty(Native.prototype, 'constructor', {
    value: Class,
    writable: true,
    configurable: true,
    enumerable: false,
  })
  for (const key of Reflect.ownKeys(Native)) {
    if (key === 'length' || key === 'name' || key === 'prototype') continue
    Object.defineProperty(Class, key, guardArguments(key, Object.getOwnPropertyDescriptor(Native, key), statics))
  }
  return Class
}

module.exports = { publicClass }
