'use strict'
// Receiver checks for every method of the native classes.
//
// Each class gets a brand: a private class field stamped on an instance the first time one of its
// methods runs, after the native side has checked the object's class (its Node-API type tag). The
// field holds the object's hot-call handle (lib/hot.js). A private field cannot be read, faked or
// forwarded by a Proxy, so a method called on anything else throws ERR_INVALID_THIS before any
// native code sees it.

class Stamp {
  constructor(object) {
    return object
  }
}

/**
 * The one brand of every class: one private name for all (two private names per class would make
 * each access site see several names and fall off V8's fast path), with the class kind beside it.
 */
class Brand extends Stamp {
  #handle
  #kind
  constructor(object, kind, handle) {
    super(object)
    this.#kind = kind
    this.#handle = handle
  }

  static handleOf(object, kind, register) {
    if (typeof object === 'object' && object !== null && #kind in object && object.#kind === kind) {
      return object.#handle
    }
    const handle = register(kind, object) // throws ERR_INVALID_THIS for anything but an instance
    if (!(#kind in object)) new Brand(object, kind, handle) // oxlint-disable-line no-new
    return handle
  }
}

/** Returns `handleOf(object)`: the handle of a checked instance of class `kind`, or throws. */
function makeBrand(register, kind) {
  return (object) => Brand.handleOf(object, kind, register)
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
    if (typeof descriptor.value === 'function' && name.endsWith('Async')) {
      // Async methods never throw: a wrong receiver rejects, as every other error does.
      const method = descriptor.value
      descriptor.value = {
        [name](...args) {
          try {
            handleOf(this)
          } catch (error) {
            return Promise.reject(error)
          }
          return Reflect.apply(method, this, args)
        },
      }[name]
    } else if (typeof descriptor.value === 'function') {
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
