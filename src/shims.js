// The parts of mmapkit's API that are plain JavaScript over the native methods: the iteration
// protocol of ChunkIterator, createReadStream (a Node Readable), watch (over fs.watch), and
// Symbol.dispose. src/module.rs evaluates this file once per module instance (Env::run_script) and
// calls the function with the exports object; it runs in the global scope, so it reaches Node's
// modules through process.getBuiltinModule (Node >= 20.16). Its types are in typings/header.d.ts.
// The file is one expression, the function run_script returns.
// oxlint-disable-next-line no-unused-expressions
;(function installShims(exports, fast) {
  'use strict'
  const { MemoryMappedFile, ChunkIterator, RingBuffer } = exports
  const builtin = (id) => process.getBuiltinModule(id)

  function define(target, key, value) {
    Object.defineProperty(target, key, { value, writable: true, configurable: true, enumerable: false })
  }

  function nodeError(Class, code, message) {
    const error = new Class(message)
    error.code = code
    return error
  }

  function describe(value) {
    if (value === null || value === undefined) return String(value)
    if (typeof value === 'function') return `function ${value.name}`
    if (typeof value === 'object') {
      return value.constructor?.name ? `an instance of ${value.constructor.name}` : `${value}`
    }
    const shown = typeof value === 'string' ? `'${value.slice(0, 25)}'` : String(value)
    return `type ${typeof value} (${shown})`
  }

  /** Node's validateInteger wording, for offsets and sizes. */
  function validateIndex(value, name, min = 0, max = Number.MAX_SAFE_INTEGER) {
    if (typeof value !== 'number') {
      throw nodeError(
        TypeError,
        'ERR_INVALID_ARG_TYPE',
        `The "${name}" property must be of type number. Received ${describe(value)}`,
      )
    }
    if (!Number.isInteger(value)) {
      throw nodeError(
        RangeError,
        'ERR_OUT_OF_RANGE',
        `The value of "${name}" is out of range. It must be an integer. Received ${value}`,
      )
    }
    if (value < min || value > max) {
      throw nodeError(
        RangeError,
        'ERR_OUT_OF_RANGE',
        `The value of "${name}" is out of range. It must be >= ${min} && <= ${max}. Received ${value}`,
      )
    }
    return value
  }

  // ChunkIterator: iterable, async-iterable, and an Iterator (helpers such as map/take) where the
  // runtime has Iterator.prototype.
  const chunkPrototype = ChunkIterator.prototype
  if (typeof globalThis.Iterator === 'function' && globalThis.Iterator.prototype) {
    Object.setPrototypeOf(chunkPrototype, globalThis.Iterator.prototype)
  }
  define(chunkPrototype, Symbol.iterator, function iterator() {
    return this
  })
  define(chunkPrototype, Symbol.asyncIterator, function asyncIterator() {
    const chunks = this
    return {
      next() {
        try {
          return Promise.resolve(chunks.next())
        } catch (error) {
          return Promise.reject(error)
        }
      },
      return() {
        return Promise.resolve(chunks.return())
      },
      [Symbol.asyncIterator]() {
        return this
      },
    }
  })

  // The hot methods call raw native functions with a per-object numeric handle instead of going
  // through napi-rs's method glue (see src/fast_paths.rs). The handle is made on first use, by a
  // call that checks the receiver's class, and kept on the object under a private symbol.
  const kHandle = Symbol('mmapkit.handle')
  function handleOf(self, register) {
    const cached = self[kHandle]
    if (cached !== undefined) return cached
    const handle = register(self)
    if (Object.isExtensible(self)) Object.defineProperty(self, kHandle, { value: handle })
    return handle
  }
  const filePrototype = MemoryMappedFile.prototype
  define(filePrototype, 'readInto', function readInto(offset, target) {
    return fast.readInto(handleOf(this, fast.registerFile), offset, target)
  })
  define(filePrototype, 'read', function read(offset, length) {
    return fast.read(handleOf(this, fast.registerFile), offset, length)
  })
  define(filePrototype, 'asBuffer', function asBuffer(offset, length) {
    return fast.asBuffer(handleOf(this, fast.registerFile), offset, length)
  })
  define(filePrototype, 'updateRegion', function updateRegion(offset, data) {
    return fast.updateRegion(handleOf(this, fast.registerFile), offset, data)
  })
  for (const name of [
    'atomicLoadU32',
    'atomicStoreU32',
    'atomicAddU32',
    'atomicCompareExchangeU32',
    'atomicLoadU64',
    'atomicStoreU64',
    'atomicAddU64',
    'atomicCompareExchangeU64',
  ]) {
    const native = fast[name]
    define(
      filePrototype,
      name,
      {
        [name](offset, a, b) {
          return native(handleOf(this, fast.registerFile), offset, a, b)
        },
      }[name],
    )
  }
  define(RingBuffer.prototype, 'push', function push(message) {
    return fast.ringPush(handleOf(this, fast.registerRing), message)
  })

  // RingBuffer.pop(): messages are copied into slices of a shared 64 KiB pool, as Node's
  // Buffer.allocUnsafe does for small Buffers, which saves creating an ArrayBuffer per message.
  // Messages larger than half the pool get a Buffer of their own.
  const POOL_SIZE = 64 * 1024
  let pool = null
  let poolOffset = 0
  define(RingBuffer.prototype, 'pop', function pop() {
    const handle = handleOf(this, fast.registerRing)
    for (;;) {
      if (pool === null || poolOffset > POOL_SIZE - 8) {
        pool = Buffer.allocUnsafeSlow(POOL_SIZE)
        poolOffset = 0
      }
      const result = fast.ringPopIntoPool(handle, pool, poolOffset)
      if (result === -1) return null
      if (result >= 0) {
        const message = pool.subarray(poolOffset, poolOffset + result)
        poolOffset = (poolOffset + result + 7) & ~7
        return message
      }
      const needed = -2 - result
      if (needed <= POOL_SIZE / 2) {
        pool = null // the rest of this pool is too small: start a new one
        continue
      }
      const own = Buffer.allocUnsafeSlow(needed)
      const length = fast.ringPopIntoPool(handle, own, 0)
      if (length === -1) return null
      if (length >= 0) return own.subarray(0, length)
      // another consumer took that message meanwhile and the next one is larger still: retry
    }
  })

  // watch(): fs.watch on the mapped file, closed together with the mapping.
  const watchers = new WeakMap()
  const nativeClose = MemoryMappedFile.prototype.close
  function close() {
    const open = watchers.get(this)
    if (open) {
      watchers.delete(this)
      for (const watcher of open) watcher.close()
    }
    return nativeClose.call(this)
  }
  define(MemoryMappedFile.prototype, 'close', close)
  if (typeof Symbol.dispose === 'symbol') {
    define(MemoryMappedFile.prototype, Symbol.dispose, close)
    define(RingBuffer.prototype, Symbol.dispose, RingBuffer.prototype.close)
  }

  define(MemoryMappedFile.prototype, 'watch', function watch(listener) {
    if (typeof listener !== 'function') {
      throw nodeError(
        TypeError,
        'ERR_INVALID_ARG_TYPE',
        `The "listener" argument must be of type function. Received ${describe(listener)}`,
      )
    }
    if (this.closed) throw nodeError(Error, 'ERR_MMAP_CLOSED', 'The memory-mapped file is closed')
    if (this.path === null) {
      throw nodeError(Error, 'ERR_MMAP_INVALID_MODE', 'watch() needs a file; anonymous memory has none')
    }
    const fsWatcher = builtin('node:fs').watch(this.path, (event) => listener(event))
    let open = watchers.get(this)
    if (!open) watchers.set(this, (open = new Set()))
    const handle = {
      close() {
        open.delete(handle)
        fsWatcher.close()
      },
    }
    fsWatcher.on('error', () => handle.close())
    open.add(handle)
    return handle
  })

  // createReadStream(): a Readable of zero-copy views, `end` inclusive as in fs.createReadStream.
  define(MemoryMappedFile.prototype, 'createReadStream', function createReadStream(options = {}) {
    if (options === null || typeof options !== 'object') {
      throw nodeError(
        TypeError,
        'ERR_INVALID_ARG_TYPE',
        `The "options" argument must be of type object. Received ${describe(options)}`,
      )
    }
    if (this.closed) throw nodeError(Error, 'ERR_MMAP_CLOSED', 'The memory-mapped file is closed')
    const length = this.length
    const start = options.start === undefined ? 0 : validateIndex(options.start, 'start')
    const end = options.end === undefined ? Infinity : validateIndex(options.end, 'end')
    if (start > end) {
      throw nodeError(
        RangeError,
        'ERR_OUT_OF_RANGE',
        `The value of "start" is out of range. It must be <= "end" (here: ${end}). Received ${start}`,
      )
    }
    const highWaterMark =
      options.highWaterMark === undefined ? 64 * 1024 : validateIndex(options.highWaterMark, 'highWaterMark', 1)
    const stop = Math.min(end + 1, length)
    const file = this
    let position = Math.min(start, stop)
    return new (builtin('node:stream').Readable)({
      highWaterMark,
      read() {
        try {
          if (position >= stop) {
            this.push(null)
            return
          }
          const size = Math.min(highWaterMark, stop - position)
          const view = file.asBuffer(position, size)
          position += size
          this.push(view)
        } catch (error) {
          this.destroy(error)
        }
      },
    })
  })
})
