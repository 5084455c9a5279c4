'use strict'
// `onProgress` of the async scans. The native scan calls it from a threadsafe function, where an
// exception would be an uncaughtException that the caller's try/catch never sees (and the scan
// would go on). Here the callback is wrapped: the first exception it throws aborts the scan
// (through an AbortController of our own that also follows the caller's `signal`) and becomes the
// Promise's rejection; the callback is not called again.

/** The async scans and the index of their options argument. */
const SCANS = { countLinesAsync: 0, countAsync: 1, findAllAsync: 1 }

/** Wraps the async scans of `prototype` (before `guardReceivers`, so receivers are checked first). */
function installProgressGuard(prototype) {
  for (const [name, at] of Object.entries(SCANS)) {
    const native = prototype[name]
    Object.defineProperty(prototype, name, {
      value: {
        [name](...args) {
          try {
            const guarded = guardProgress(args[at])
            if (guarded === undefined) return Reflect.apply(native, this, args)
            args[at] = guarded.options
            return guarded.settle(Reflect.apply(native, this, args))
          } catch (error) {
            // Async methods never throw: a throwing options getter rejects.
            return Promise.reject(error)
          }
        },
      }[name],
      writable: true,
      configurable: true,
      enumerable: false,
    })
  }
}

/**
 * For options with an `onProgress` function: options that call it guarded, with a signal of ours,
 * and `settle(promise)`, which rejects with what the callback threw. `undefined` for anything else
 * (no callback, or a `signal` that is not an AbortSignal or already aborted: the native side checks
 * and rejects those as usual).
 */
function guardProgress(options) {
  if (typeof options !== 'object' || options === null) return undefined
  const onProgress = options.onProgress
  if (typeof onProgress !== 'function') return undefined
  const signal = options.signal
  if (signal !== undefined && (!(signal instanceof AbortSignal) || signal.aborted)) return undefined

  const controller = new AbortController()
  const follow = () => controller.abort(signal.reason)
  signal?.addEventListener('abort', follow, { once: true })
  let failed = false
  let thrown
  function guardedProgress(bytesDone, bytesTotal) {
    if (failed || controller.signal.aborted) return
    try {
      Reflect.apply(onProgress, this, [bytesDone, bytesTotal])
    } catch (error) {
      failed = true
      thrown = error
      controller.abort(error)
    }
  }
  // The caller's options stay the prototype: every other option is read from them as before.
  const guarded = Object.create(options, {
    onProgress: { value: guardedProgress, enumerable: true },
    signal: { value: controller.signal, enumerable: true },
  })
  const done = () => signal?.removeEventListener('abort', follow)
  return {
    options: guarded,
    settle: (promise) =>
      promise.then(
        (value) => {
          done()
          if (failed) throw thrown
          return value
        },
        (error) => {
          done()
          throw failed ? thrown : error
        },
      ),
  }
}

module.exports = { installProgressGuard }
