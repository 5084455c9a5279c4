'use strict'
const { checkArguments } = require('./signatures.js')
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
 * with `handleOf` first, then its arguments with the validators `signatures` lists for it
 * (lib/signatures.js). Async methods never throw: a wrong receiver or argument rejects.
 */
function guardReceivers(prototype, handleOf, signatures = {}, skip = []) {
  for (const key of Reflect.ownKeys(prototype)) {
    if (key === 'constructor' || skip.includes(key)) continue
    const descriptor = Object.getOwnPropertyDescriptor(prototype, key)
    const name = typeof key === 'symbol' ? `[${key.description}]` : key
    const validators = Object.hasOwn(signatures, key) ? signatures[key] : undefined
    if (typeof descriptor.value === 'function') {
      descriptor.value = guarded(name, descriptor.value, handleOf, validators)
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

/**
 * `descriptor` (of `object[key]`) with its function wrapped to check its arguments, if `signatures`
 * lists it (static factories, module functions).
 */
function guardArguments(key, descriptor, signatures) {
  if (typeof key === 'string' && Object.hasOwn(signatures, key) && typeof descriptor.value === 'function') {
    descriptor.value = guarded(key, descriptor.value, undefined, signatures[key])
  }
  return descriptor
}

/** `method` behind a receiver check (unless `handleOf` is undefined) and argument checks. */
function guarded(name, method, handleOf, validators) {
  const check = (self, args) => {
    if (handleOf !== undefined) handleOf(self)
    return validators === undefined ? args : checkArguments(validators, args)
  }
  if (name.endsWith('Async')) {
    return {
      [name](...args) {
        let checked
        try {
          checked = check(this, args)
        } catch (error) {
          return Promise.reject(error)
        }
        return Reflect.apply(method, this, checked)
      },
    }[name]
  }
  return {
    [name](...args) {
      return Reflect.apply(method, this, check(this, args))
    },
  }[name]
}

module.exports = { makeBrand, guardReceivers, guardArguments }
