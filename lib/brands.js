'use strict'
// Receiver checks for every method of the native classes.
//
// Each class gets a brand: a private class field stamped on an instance the first time one of its
// methods runs, after the native side has checked the object's class (its Node-API type tag). The
// field holds the object's hot-call handle (lib/hot.js). A private field cannot be read, faked or
// forwarded by a Proxy, so a method called on anything else throws ERR_INVALID_THIS before any
// native code sees it.

/** Returns `handleOf(object)`: the handle of a checked instance of class `kind`, or throws. */
function makeBrand(register, kind) {
  class Stamp {
    constructor(object) {
      return object
    }
  }
  class Brand extends Stamp {
    #handle
    constructor(object, handle) {
      super(object)
      this.#handle = handle
    }
    static handleOf(object) {
      if (typeof object === 'object' && object !== null && #handle in object) return object.#handle
      const handle = register(kind, object) // throws ERR_INVALID_THIS for anything but an instance
      new Brand(object, handle) // oxlint-disable-line no-new
      return handle
    }
  }
  return Brand.handleOf
}

/**
 * Wraps every own method and getter of `prototype` (except `skip`) so that it checks its receiver
 * with `handleOf` first.
 */
function guardReceivers(prototype, handleOf, skip = []) {
  for (const key of Reflect.ownKeys(prototype)) {
    if (key === 'constructor' || skip.includes(key)) continue
    const descriptor = Object.getOwnPropertyDescriptor(prototype, key)
    const name = typeof key === 'symbol' ? `[${key.description}]` : key
    if (typeof descriptor.value === 'function') {
      const method = descriptor.value
      descriptor.value = {
        [name](...args) {
          handleOf(this)
          return Reflect.apply(method, this, args)
        },
      }[name]
    } else if (typeof descriptor.get === 'function') {
      const getter = descriptor.get
      descriptor.get = {
        [name]() {
          handleOf(this)
          return Reflect.apply(getter, this, [])
        },
      }[name]
    } else {
      continue
    }
    Object.defineProperty(prototype, key, descriptor)
  }
}

module.exports = { makeBrand, guardReceivers }
