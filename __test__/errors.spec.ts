// Bad input, table-driven: every row of the contract's error table. Each case asserts the error's
// class and code, and that the file is byte-for-byte unchanged afterwards.
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

import test from 'ava'

import { MemoryMappedFile, createMmap, loadMmap, writeMmap } from '../index.js'
import { readableCopy, rejectsLike, sha256, tempDir, tempFile, throwsLike, type ErrorShape } from './helpers.mjs'

// Windows has no POSIX permissions or uid switching, and NTFS files are not sparse by default.
const posixOnly = process.platform === 'win32' ? test.skip : test

const TYPE: ErrorShape = { class: TypeError, code: 'ERR_INVALID_ARG_TYPE' }
const VALUE: ErrorShape = { class: TypeError, code: 'ERR_INVALID_ARG_VALUE' }
const RANGE: ErrorShape = { class: RangeError, code: 'ERR_OUT_OF_RANGE' }
const CLOSED: ErrorShape = { class: Error, code: 'ERR_MMAP_CLOSED' }
const READ_ONLY: ErrorShape = { class: Error, code: 'ERR_MMAP_READ_ONLY' }
const INVALID_MODE: ErrorShape = { class: Error, code: 'ERR_MMAP_INVALID_MODE' }
const MISALIGNED: ErrorShape = { class: RangeError, code: 'ERR_MMAP_MISALIGNED' }

const SIZE = 100
type Call = (file: MemoryMappedFile, path: string) => unknown
// Deliberately wrong arguments: the casts stand for untyped JavaScript callers.
const bad = <T>(value: unknown) => value as T

/** Numbers that are not valid offsets or lengths, with the message Node would print. */
const BAD_NUMBERS: [string, number, RegExp][] = [
  ['negative', -1, /It must be >= 0 && <= 9007199254740991\. Received -1$/],
  ['NaN', NaN, /It must be an integer\. Received NaN$/],
  ['Infinity', Infinity, /It must be an integer\. Received Infinity$/],
  ['-Infinity', -Infinity, /It must be an integer\. Received -Infinity$/],
  ['fractional', 1.5, /It must be an integer\. Received 1\.5$/],
  ['2**53', 2 ** 53, /Received 9_007_199_254_740_992$/],
]

const ROWS: [string, Call, ErrorShape][] = [
  // Wrong argument types.
  ['readInto offset is a string', (f) => f.readInto(bad('0'), new Uint8Array(1)), TYPE],
  ['readInto offset is a bigint', (f) => f.readInto(bad(0n), new Uint8Array(1)), TYPE],
  ['readInto offset is undefined', (f) => f.readInto(bad(undefined), new Uint8Array(1)), TYPE],
  ['readInto target is a string', (f) => f.readInto(0, bad('abc')), TYPE],
  ['readInto target is an array', (f) => f.readInto(0, bad([1, 2])), TYPE],
  ['readInto target is an Int16Array', (f) => f.readInto(0, bad(new Int16Array(2))), TYPE],
  ['readInto target is an ArrayBuffer', (f) => f.readInto(0, bad(new ArrayBuffer(2))), TYPE],
  ['read length is null', (f) => f.read(0, bad(null)), TYPE],
  ['asBuffer offset is a string', (f) => f.asBuffer(bad('1')), TYPE],
  ['updateRegion data is a number', (f) => f.updateRegion(0, bad(42)), TYPE],
  ['updateRegion data is an object', (f) => f.updateRegion(0, bad({})), TYPE],
  ['flushRange length is a string', (f) => f.flushRange(0, bad('1')), TYPE],
  ['resize newLength is a string', (f) => f.resize(bad('10')), TYPE],
  ['open path is a boolean', () => MemoryMappedFile.open(bad(true)), TYPE],
  ['open path is an array', (_f, p) => MemoryMappedFile.open(bad([p])), TYPE],
  ['open options is a string', (_f, p) => MemoryMappedFile.open(p, bad('readOnly')), TYPE],
  ['open options.mode is a number', (_f, p) => MemoryMappedFile.open(p, bad({ mode: 1 })), TYPE],
  ['open options.create is a string', (_f, p) => MemoryMappedFile.open(p, bad({ create: 'yes' })), TYPE],
  ['open options.offset is a string', (_f, p) => MemoryMappedFile.open(p, bad({ offset: '1' })), TYPE],
  ['createRw size is a string', (_f, p) => MemoryMappedFile.createRw(p, bad('10')), TYPE],
  ['anonymous size is missing', () => MemoryMappedFile.anonymous(bad(undefined)), TYPE],
  ['writeMmap data is a number', (_f, p) => writeMmap(p, 0, bad(1)), TYPE],

  // Bad enum or option values.
  ['open options.mode is "rw"', (_f, p) => MemoryMappedFile.open(p, bad({ mode: 'rw' })), VALUE],
  ['loadMmap mode is "write"', (_f, p) => loadMmap(p, bad('write')), VALUE],
  ['open options.advice is "fast"', (_f, p) => MemoryMappedFile.open(p, bad({ advice: 'fast' })), VALUE],
  ['advise advice is "fast"', (f) => f.advise(bad('fast')), VALUE],
  ['open options.lock is "read"', (_f, p) => MemoryMappedFile.open(p, bad({ lock: 'read' })), VALUE],
  [
    'open options.flushPolicy is "sometimes"',
    (_f, p) => MemoryMappedFile.open(p, bad({ flushPolicy: 'sometimes' })),
    VALUE,
  ],
  [
    'open options.flushPolicy has two keys',
    (_f, p) => MemoryMappedFile.open(p, bad({ flushPolicy: { everyBytes: 1, everyWrites: 1 } })),
    VALUE,
  ],
  ['open options.flushPolicy is a number', (_f, p) => MemoryMappedFile.open(p, bad({ flushPolicy: 5 })), TYPE],
  [
    'open options.flushPolicy.everyMillis is 0',
    (_f, p) => MemoryMappedFile.open(p, { flushPolicy: { everyMillis: 0 } }),
    RANGE,
  ],
  ['lock kind is "read"', (f) => f.lock(bad('read')), VALUE],
  ['tryLock kind is a number', (f) => f.tryLock(bad(1)), TYPE],
  ['lock on anonymous memory', () => MemoryMappedFile.anonymous(8).tryLock(), INVALID_MODE],

  // Atomics.
  ['atomicLoadU32 misaligned', (f) => f.atomicLoadU32(2), MISALIGNED],
  ['atomicAddU64 misaligned', (f) => f.atomicAddU64(4, 1n), MISALIGNED],
  ['atomicLoadU64 past the end', (f) => f.atomicLoadU64(96), RANGE],
  ['atomicStoreU32 value too large', (f) => f.atomicStoreU32(0, 2 ** 32), RANGE],
  ['atomicStoreU32 value negative', (f) => f.atomicStoreU32(0, -1), RANGE],
  ['atomicAddU32 delta fractional', (f) => f.atomicAddU32(0, 0.5), RANGE],
  ['atomicStoreU64 value is a number', (f) => f.atomicStoreU64(0, bad(1)), TYPE],
  ['atomicStoreU64 value too large', (f) => f.atomicStoreU64(0, 2n ** 64n), RANGE],
  ['atomicStoreU64 value negative', (f) => f.atomicStoreU64(0, -1n), RANGE],
  ['atomicStoreU32 on readOnly', (_f, p) => MemoryMappedFile.openRo(p).atomicStoreU32(0, 1), READ_ONLY],
  ['atomicAddU64 on readOnly', (_f, p) => MemoryMappedFile.openRo(p).atomicAddU64(0, 1n), READ_ONLY],
  [
    'atomicCompareExchangeU32 on readOnly',
    (_f, p) => MemoryMappedFile.openRo(p).atomicCompareExchangeU32(0, 0, 1),
    READ_ONLY,
  ],
  // @ts-expect-error the typings reject what the runtime rejects
  ['create on readOnly', (_f, p) => MemoryMappedFile.open(p, { create: true }), VALUE],
  // @ts-expect-error
  ['size on readOnly', (_f, p) => MemoryMappedFile.open(p, { size: 1000 }), VALUE],
  // @ts-expect-error
  ['openRo with mode readWrite', (_f, p) => MemoryMappedFile.openRo(p, { mode: 'readWrite' }), VALUE],
  ['path with a NUL byte', (_f, p) => MemoryMappedFile.open(p + '\0x'), VALUE],

  // Ranges past the end, or overflowing.
  ['readInto past the end', (f) => f.readInto(SIZE - 4, new Uint8Array(8)), RANGE],
  ['readInto offset past the end', (f) => f.readInto(SIZE + 1, new Uint8Array(0)), RANGE],
  ['readInto at MAX_SAFE_INTEGER', (f) => f.readInto(Number.MAX_SAFE_INTEGER, new Uint8Array(1)), RANGE],
  ['read length past the end', (f) => f.read(50, 51), RANGE],
  ['read overflowing', (f) => f.read(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER), RANGE],
  ['asBuffer offset past the end', (f) => f.asBuffer(SIZE + 1), RANGE],
  ['asBuffer length past the end', (f) => f.asBuffer(10, SIZE), RANGE],
  ['updateRegion past the end', (f) => f.updateRegion(SIZE - 2, 'abc'), RANGE],
  ['updateRegion overflowing', (f) => f.updateRegion(Number.MAX_SAFE_INTEGER, 'a'), RANGE],
  ['flushRange past the end', (f) => f.flushRange(0, SIZE + 1), RANGE],
  ['advise range past the end', (f) => f.advise('normal', SIZE, 1), RANGE],
  ['open window offset past the end', (_f, p) => MemoryMappedFile.open(p, { offset: SIZE + 1 }), RANGE],
  ['open window length past the end', (_f, p) => MemoryMappedFile.open(p, { offset: 1, length: SIZE }), RANGE],
  ['writeMmap past the end', (_f, p) => writeMmap(p, SIZE, 'x'), RANGE],

  // Mode violations.
  ['updateRegion on readOnly', (_f, p) => MemoryMappedFile.openRo(p).updateRegion(0, 'x'), READ_ONLY],
  ['resize on readOnly', (_f, p) => MemoryMappedFile.openRo(p).resize(10), INVALID_MODE],
  ['resize on copyOnWrite', (_f, p) => MemoryMappedFile.openCow(p).resize(10), INVALID_MODE],
  [
    'resize on a window',
    (_f, p) => MemoryMappedFile.open(p, { mode: 'readWrite', offset: 1 }).resize(10),
    INVALID_MODE,
  ],
  ['resize on anonymous memory', () => MemoryMappedFile.anonymous(10).resize(20), INVALID_MODE],
]

// Every numeric argument of every method, with every kind of bad number.
const NUMERIC_CALLS: [string, (f: MemoryMappedFile, n: number) => unknown][] = [
  ['readInto offset', (f, n) => f.readInto(n, new Uint8Array(1))],
  ['read offset', (f, n) => f.read(n, 1)],
  ['read length', (f, n) => f.read(0, n)],
  ['asBuffer offset', (f, n) => f.asBuffer(n)],
  ['asBuffer length', (f, n) => f.asBuffer(0, n)],
  ['updateRegion offset', (f, n) => f.updateRegion(n, 'x')],
  ['flushRange offset', (f, n) => f.flushRange(n, 1)],
  ['flushRange length', (f, n) => f.flushRange(0, n)],
  ['resize newLength', (f, n) => f.resize(n)],
  ['advise offset', (f, n) => f.advise('normal', n)],
  ['open options.offset', (f, n) => MemoryMappedFile.open(f.path!, { offset: n })],
  ['open options.length', (f, n) => MemoryMappedFile.open(f.path!, { length: n })],
  ['open options.size', (f, n) => MemoryMappedFile.open(f.path!, { mode: 'readWrite', size: n })],
  ['createRw size', (f, n) => MemoryMappedFile.createRw(f.path! + '.new', n)],
  ['anonymous size', (_f, n) => MemoryMappedFile.anonymous(n)],
]
for (const [label, call] of NUMERIC_CALLS) {
  for (const [kind, n, message] of BAD_NUMBERS) {
    ROWS.push([`${label} is ${kind}`, (f) => call(f, n), { ...RANGE, message }])
  }
}

test('every row of the error table throws the right class and code and changes nothing', (t) => {
  for (const [label, call, shape] of ROWS) {
    const path = tempFile(t, Buffer.alloc(SIZE, 0x61))
    const before = sha256(path)
    const file = MemoryMappedFile.openRw(path)
    throwsLike(t, () => call(file, path), shape, label)
    file.flush()
    file.close()
    t.is(sha256(path), before, `${label}: file unchanged`)
  }
})

test('messages follow Node: argument type errors name the argument and describe the value', (t) => {
  const path = tempFile(t, 'x')
  const file = MemoryMappedFile.openRo(path)
  throwsLike(t, () => file.readInto(bad('5'), new Uint8Array(1)), {
    ...TYPE,
    message: `The "offset" argument must be of type number. Received type string ('5')`,
  })
  throwsLike(t, () => file.readInto(0, bad(new Int16Array(1))), {
    ...TYPE,
    message: 'The "target" argument must be an instance of Uint8Array. Received an instance of Int16Array',
  })
  throwsLike(t, () => MemoryMappedFile.open(bad(undefined)), {
    ...TYPE,
    message:
      'The "path" argument must be of type string or number or an instance of Buffer, URL, or FileHandle. Received undefined',
  })
  throwsLike(t, () => file.read(0, 2), {
    ...RANGE,
    message: 'The value of "length" is out of range. It must be >= 0 && <= 1. Received 2',
  })
  throwsLike(t, () => MemoryMappedFile.open(path, bad({ mode: 'rw' })), {
    ...VALUE,
    message: "The property 'options.mode' must be one of: 'readOnly', 'readWrite', 'copyOnWrite'. Received 'rw'",
  })
  file.close()
})

test('OS errors carry code, errno, syscall, path and Node’s message form', (t) => {
  const dir = tempDir(t)
  const missing = join(dir, 'missing.bin')
  const enoent = throwsLike(t, () => MemoryMappedFile.openRo(missing), { class: Error, code: 'ENOENT' })
  t.like(enoent, { errno: -2, syscall: 'open', path: missing })
  t.is(enoent?.message, `ENOENT: no such file or directory, open '${missing}'`)

  for (const mode of ['readOnly', 'readWrite', 'copyOnWrite'] as const) {
    const eisdir = throwsLike(t, () => MemoryMappedFile.open(dir, { mode }), { class: Error, code: 'EISDIR' }, mode)
    t.like(eisdir, { syscall: 'open', path: dir })
  }
  const nested = join(dir, 'no', 'such', 'dir.bin')
  throwsLike(t, () => MemoryMappedFile.createRw(nested, 10), { class: Error, code: 'ENOENT' })
  throwsLike(t, () => createMmap(nested, 10), { class: Error, code: 'ENOENT' })
  throwsLike(t, () => writeMmap(missing, 0, 'x'), { class: Error, code: 'ENOENT' })
})

posixOnly('no permission is EACCES, also for root (checked as an unprivileged user)', (t) => {
  const dir = tempDir(t)
  chmodSync(dir, 0o755)
  const secret = join(dir, 'secret.bin')
  writeFileSync(secret, 'top secret')
  chmodSync(secret, 0o600)
  const before = sha256(secret)
  // The child runs as nobody: it loads a world-readable copy of the package.
  const { binding } = readableCopy(t)
  const script = `
    const { MemoryMappedFile } = require(${JSON.stringify(binding)})
    const results = []
    for (const mode of ['readOnly', 'readWrite', 'copyOnWrite']) {
      try { MemoryMappedFile.open(${JSON.stringify(secret)}, { mode }); results.push('opened') }
      catch (e) { results.push([e.constructor.name, e.code, e.errno, e.syscall, e.path, e.message]) }
    }
    console.log(JSON.stringify(results))`
  const asRoot = process.getuid?.() === 0
  if (!asRoot) chmodSync(secret, 0o000)
  const child = spawnSync(process.execPath, ['-e', script], {
    encoding: 'utf8',
    ...(asRoot ? { uid: 65534, gid: 65534 } : {}),
  })
  t.is(child.status, 0, child.stderr)
  const results = JSON.parse(child.stdout) as unknown[][]
  for (const result of results) {
    t.deepEqual(result, ['Error', 'EACCES', -13, 'open', secret, `EACCES: permission denied, open '${secret}'`])
  }
  chmodSync(secret, 0o600)
  t.is(sha256(secret), before)
})

test('every method after close throws ERR_MMAP_CLOSED; close twice is fine', async (t) => {
  const path = tempFile(t, Buffer.alloc(SIZE))
  const before = sha256(path)
  const file = MemoryMappedFile.openRw(path)
  file.close()
  t.notThrows(() => file.close())
  const calls: [string, () => unknown][] = [
    ['readInto', () => file.readInto(0, new Uint8Array(1))],
    ['read', () => file.read(0, 1)],
    ['asBuffer', () => file.asBuffer()],
    ['updateRegion', () => file.updateRegion(0, 'x')],
    ['flush', () => file.flush()],
    ['flushRange', () => file.flushRange(0, 1)],
    ['resize', () => file.resize(10)],
    ['advise', () => file.advise('normal')],
    ['lock', () => file.lock()],
    ['tryLock', () => file.tryLock()],
    ['unlock', () => file.unlock()],
    ['atomicLoadU32', () => file.atomicLoadU32(0)],
    ['atomicAddU64', () => file.atomicAddU64(0, 1n)],
    ['segment', () => file.segment(0, 1)],
    ['chunks', () => file.chunks(1)],
    ['countLines', () => file.countLines()],
    ['touchPages', () => file.touchPages()],
  ]
  for (const [label, call] of calls) throwsLike(t, call, CLOSED, label)
  await rejectsLike(t, file.flushAsync(), CLOSED, 'flushAsync')
  await rejectsLike(t, file.flushRangeAsync(0, 1), CLOSED, 'flushRangeAsync')
  await rejectsLike(t, file.lockAsync(), CLOSED, 'lockAsync')
  await rejectsLike(t, file.countLinesAsync(), CLOSED, 'countLinesAsync')
  t.true(file.closed)
  t.is(file.length, 0)
  t.is(sha256(path), before)
})

test('async twins reject (never throw) with the same errors', async (t) => {
  const path = tempFile(t, Buffer.alloc(SIZE))
  await rejectsLike(t, MemoryMappedFile.openAsync(bad(true)), TYPE)
  await rejectsLike(t, MemoryMappedFile.openAsync(path, bad({ mode: 'rw' })), VALUE)
  await rejectsLike(t, MemoryMappedFile.openAsync(path + '.missing'), { class: Error, code: 'ENOENT' })
  await rejectsLike(t, MemoryMappedFile.openAsync(path, bad({ signal: {} })), TYPE)
  const file = MemoryMappedFile.openRw(path)
  await rejectsLike(t, file.flushRangeAsync(-1, 1), RANGE)
  await rejectsLike(t, file.flushRangeAsync(0, SIZE + 1), RANGE)
  await rejectsLike(t, file.flushAsync(bad('signal')), TYPE)
  file.close()
})

test('a pre-aborted signal rejects at once with an AbortError', async (t) => {
  const path = tempFile(t, Buffer.alloc(SIZE))
  const controller = new AbortController()
  const reason = new Error('stop')
  controller.abort(reason)
  const abort: ErrorShape = {
    class: Error,
    name: 'AbortError',
    code: 'ABORT_ERR',
    message: 'The operation was aborted',
  }
  const opened = await rejectsLike(t, MemoryMappedFile.openAsync(path, { signal: controller.signal }), abort)
  t.is(opened?.cause, reason)
  const file = MemoryMappedFile.openRw(path)
  const flushed = await rejectsLike(t, file.flushAsync({ signal: controller.signal }), abort)
  t.is(flushed?.cause, reason)
  await rejectsLike(t, file.flushRangeAsync(0, 1, { signal: controller.signal }), abort)
  file.close()
})

test('errors thrown on directories created inside the test dir leave them alone', (t) => {
  const dir = tempDir(t)
  const sub = join(dir, 'sub')
  mkdirSync(sub)
  throwsLike(t, () => MemoryMappedFile.createRw(sub, 10), { class: Error, code: 'EISDIR' })
  throwsLike(t, () => MemoryMappedFile.openOrCreate(sub, 10), { class: Error, code: 'EISDIR' })
})

test('a Rust panic becomes a JS error and the process lives on', (t) => {
  // An internal hook, left out of the typings and the named exports.
  const internal = createRequire(import.meta.url)('../binding.js') as { __panicForTesting: () => void }
  const error = t.throws(() => internal.__panicForTesting())
  t.regex(error?.message ?? '', /deliberate panic/)
  const file = MemoryMappedFile.anonymous(8)
  t.is(file.length, 8)
  file.close()
})

test('methods called on the wrong receiver throw instead of misreading memory', (t) => {
  const path = tempFile(t, Buffer.alloc(SIZE))
  const file = MemoryMappedFile.openRw(path)
  const segment = file.segment(0, 8)
  const prototype = MemoryMappedFile.prototype as unknown as Record<string, (...args: unknown[]) => unknown>
  for (const receiver of [{}, segment, Object.create(MemoryMappedFile.prototype), Buffer.alloc(64)]) {
    for (const [name, args] of [
      ['readInto', [0, Buffer.alloc(1)]],
      ['updateRegion', [0, 'x']],
      ['atomicAddU32', [0, 1]],
      ['atomicLoadU32', [0]],
      ['read', [0, 1]],
      ['countLines', []],
    ] as const) {
      t.throws(() => prototype[name].apply(receiver, args as unknown as unknown[]), undefined, name)
    }
  }
  file.close()
})

test('no forged receiver reaches a live file: fakes, proxies and other classes get ERR_INVALID_THIS', (t) => {
  const path = tempFile(t, Buffer.alloc(SIZE, 7))
  const file = MemoryMappedFile.openRw(path)
  file.readInto(0, Buffer.alloc(1)) // registers the file's handle
  t.deepEqual(Object.getOwnPropertySymbols(file), [], 'no handle is visible on the object')
  const numberProxy = new Proxy({}, { get: () => 1, has: () => true })
  const fileProxy = new Proxy(file, {})
  const inherited = Object.create(MemoryMappedFile.prototype)
  const segment = file.segment(0, 16)
  const receivers: [string, unknown][] = [
    ['a Proxy answering every property with a number', numberProxy],
    ['a Proxy of a live file', fileProxy],
    ['an object inheriting the prototype', inherited],
    ['a segment', segment],
    ['a plain object', {}],
    ['a number', 42],
    ['undefined', undefined],
  ]
  const proto = MemoryMappedFile.prototype as unknown as Record<string, (...args: unknown[]) => unknown>
  for (const [label, receiver] of receivers) {
    for (const name of ['readInto', 'read', 'asBuffer', 'updateRegion', 'atomicAddU32', 'countLines', 'flush']) {
      const target = Buffer.alloc(1)
      const args = name === 'readInto' ? [0, target] : name === 'updateRegion' ? [0, Buffer.from('x')] : [0, 1]
      throwsLike(
        t,
        () => proto[name]!.apply(receiver, args),
        { class: TypeError, code: 'ERR_INVALID_THIS' },
        `${name} on ${label}`,
      )
    }
  }
  t.is(file.read(0, 1)[0], 7, 'the file was never written through a forged receiver')
  file.close()
})
