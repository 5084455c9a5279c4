// Paths as node:fs takes them (string | Buffer | URL), and file descriptors / FileHandles for open
// and its siblings (the caller keeps ownership: the descriptor is duplicated).
import { closeSync, fstatSync, openSync, promises as fsp, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

import test from 'ava'

import { MemoryMappedFile, RingBuffer, createMmap, loadMmap, writeMmap } from '../index.js'
import '../index.js'
import { tempDir, throwsLike } from './helpers.mjs'

const unixOnly = process.platform === 'win32' ? test.skip : test

test('string, Buffer and file: URL paths open the same file, in every function that takes a path', (t) => {
  const dir = tempDir(t)
  const path = join(dir, 'a file ✓.bin')
  writeFileSync(path, 'hello')
  const forms: Array<[string, string | Buffer | URL]> = [
    ['string', path],
    ['Buffer', Buffer.from(path)],
    ['Uint8Array', new Uint8Array(Buffer.from(path)) as Buffer],
    ['URL', pathToFileURL(path)],
  ]
  for (const [label, form] of forms) {
    for (const open of [
      () => MemoryMappedFile.open(form),
      () => MemoryMappedFile.openRo(form),
      () => MemoryMappedFile.openCow(form),
      () => MemoryMappedFile.openRw(form),
      () => MemoryMappedFile.openOrCreate(form, 5),
      () => loadMmap(form as never), // module functions: typed `string` until module.rs says otherwise
    ]) {
      const file = open()
      t.is(file.read(0, 5).toString(), 'hello', label)
      t.is(file.path, path, label)
      file.close()
    }
    writeMmap(form as never, 0, 'H')
    t.is(readFileSync(path, 'utf8'), 'Hello', label)
    writeMmap(form as never, 0, 'h')
  }
  const created = join(dir, 'created.bin')
  createMmap(pathToFileURL(created) as never, 3).close()
  MemoryMappedFile.createRw(Buffer.from(created), 4).close()
  t.is(readFileSync(created).length, 4)
  const ring = join(dir, 'ring.bin')
  RingBuffer.create(pathToFileURL(ring), 4096).close()
  RingBuffer.open(Buffer.from(ring)).close()
})

unixOnly('a Buffer path that is not UTF-8 names the file by its bytes', (t) => {
  const dir = tempDir(t)
  const name = Buffer.concat([Buffer.from(join(dir, 'x')), Buffer.from([0xff, 0xfe])])
  writeFileSync(name, 'bytes')
  const file = MemoryMappedFile.openRo(name)
  t.is(file.read(0, 5).toString(), 'bytes')
  file.close()
})

test('openAsync takes the same paths', async (t) => {
  const path = join(tempDir(t), 'async.bin')
  writeFileSync(path, 'abc')
  for (const form of [Buffer.from(path), pathToFileURL(path)]) {
    const file = await MemoryMappedFile.openAsync(form)
    t.is(file.read(0, 3).toString(), 'abc')
    file.close()
  }
})

test('path errors are Node’s', async (t) => {
  const dir = tempDir(t)
  const table: Array<[string, unknown, { code: string; class?: Function; message?: RegExp | string }]> = [
    [
      'a number is not a path for loadMmap',
      1,
      {
        code: 'ERR_INVALID_ARG_TYPE',
        class: TypeError,
        message: 'The "path" argument must be of type string or an instance of Buffer or URL. Received type number (1)',
      },
    ],
    ['an object', {}, { code: 'ERR_INVALID_ARG_TYPE', class: TypeError }],
    ['null', null, { code: 'ERR_INVALID_ARG_TYPE', class: TypeError }],
    [
      'an http: URL',
      new URL('http://example.com/x'),
      { code: 'ERR_INVALID_URL_SCHEME', class: TypeError, message: 'The URL must be of scheme file' },
    ],
    ['a NUL in a string', 'a\0b', { code: 'ERR_INVALID_ARG_VALUE', class: TypeError, message: /without null bytes/ }],
    ['a NUL in a Buffer', Buffer.from('a\0b'), { code: 'ERR_INVALID_ARG_VALUE', class: TypeError }],
    ['a NUL in a URL', new URL('file:///a%00b'), { code: 'ERR_INVALID_ARG_VALUE', class: TypeError }],
  ]
  if (process.platform !== 'win32') {
    table.push(
      ['a file: URL with a host', new URL('file://remote/x'), { code: 'ERR_INVALID_FILE_URL_HOST' }],
      ['an encoded slash', new URL('file:///a%2fb'), { code: 'ERR_INVALID_FILE_URL_PATH' }],
    )
  }
  for (const [label, value, shape] of table) {
    const error = throwsLike(t, () => loadMmap(value as never), shape, label)
    t.true(error instanceof TypeError, `${label}: a TypeError`)
    if (label !== 'a number is not a path for loadMmap') {
      throwsLike(t, () => MemoryMappedFile.openRo(value as never), shape, `open: ${label}`)
      throwsLike(t, () => RingBuffer.open(value as never), shape, `ring: ${label}`)
    }
  }
  const missing = join(dir, 'missing')
  const error = throwsLike(t, () => MemoryMappedFile.openRo(pathToFileURL(missing)), { code: 'ENOENT', class: Error })
  t.like(error, { path: missing, syscall: 'open', message: `ENOENT: no such file or directory, open '${missing}'` })
  await t.throwsAsync(MemoryMappedFile.openAsync(new URL('http://x/y')), { code: 'ERR_INVALID_URL_SCHEME' })
})

unixOnly('a file descriptor: the caller keeps ownership (it stays open; closing it does not unmap)', (t) => {
  const path = join(tempDir(t), 'fd.bin')
  writeFileSync(path, 'descriptor')
  const fd = openSync(path, 'r+')
  const file = MemoryMappedFile.open(fd, { mode: 'readWrite' })
  t.is(file.path, path)
  t.is(file.read(0, 10).toString(), 'descriptor')
  file.close()
  t.is(fstatSync(fd).size, 10, 'the caller’s descriptor is still open after close()')
  const again = MemoryMappedFile.openRo(fd)
  closeSync(fd)
  t.is(again.read(0, 4).toString(), 'desc', 'the mapping outlives the caller’s descriptor')
  again.close()
  // A number no descriptor has (the closed `fd` may be reused at once by another thread).
  throwsLike(t, () => MemoryMappedFile.openRo(2_000_000_000), { code: 'EBADF', class: Error }, 'a descriptor not open')
})

unixOnly('file descriptor tables: modes, windows, sizes and errors', (t) => {
  const dir = tempDir(t)
  const path = join(dir, 'table.bin')
  writeFileSync(path, '0123456789')
  const readOnly = openSync(path, 'r')
  const readWrite = openSync(path, 'r+')
  t.teardown(() => {
    closeSync(readOnly)
    closeSync(readWrite)
  })
  const window = MemoryMappedFile.openRo(readOnly, { offset: 2, length: 3 })
  t.is(window.read(0, 3).toString(), '234')
  window.close()
  const grown = MemoryMappedFile.openRw(readWrite, { size: 16 })
  t.is(grown.length, 16)
  grown.updateRegion(10, 'ab')
  grown.flush()
  grown.close()
  t.is(readFileSync(path, 'latin1').slice(0, 12), '0123456789ab')
  const recreated = MemoryMappedFile.createRw(readWrite, 4)
  t.is(recreated.length, 4)
  recreated.close()
  t.is(readFileSync(path).length, 4)
  throwsLike(
    t,
    () => MemoryMappedFile.openRw(readOnly),
    { code: 'EACCES', class: Error },
    'readWrite over a read-only fd',
  )
  throwsLike(t, () => MemoryMappedFile.openRo(-1), { code: 'ERR_OUT_OF_RANGE', class: RangeError })
  throwsLike(t, () => MemoryMappedFile.openRo(2 ** 31), { code: 'ERR_OUT_OF_RANGE', class: RangeError })
  throwsLike(t, () => MemoryMappedFile.openRo(1.5), { code: 'ERR_OUT_OF_RANGE', class: RangeError })
  throwsLike(t, () => MemoryMappedFile.openRo(NaN), { code: 'ERR_OUT_OF_RANGE', class: RangeError })
  throwsLike(t, () => MemoryMappedFile.openRo(999_999), { code: 'EBADF', class: Error })
})

unixOnly('a FileHandle: the caller keeps ownership; a closed handle is EBADF', async (t) => {
  const path = join(tempDir(t), 'handle.bin')
  writeFileSync(path, 'file handle')
  const handle = await fsp.open(path, 'r')
  const file = MemoryMappedFile.openRo(handle)
  const viaAsync = await MemoryMappedFile.openAsync(handle)
  file.close()
  t.is((await handle.read(Buffer.alloc(4), 0, 4, 0)).bytesRead, 4, 'the handle is still usable')
  await handle.close()
  t.is(viaAsync.read(0, 4).toString(), 'file')
  viaAsync.close()
  throwsLike(t, () => MemoryMappedFile.openRo(handle), { code: 'EBADF', class: Error })
})
