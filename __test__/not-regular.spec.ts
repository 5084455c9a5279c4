// Paths that are not regular files (FIFOs, sockets, devices, /proc and /sys files) are refused by
// every factory with ERR_MMAP_NOT_REGULAR_FILE, and opening one never blocks. The FIFO cases could
// hang the process (a blocking open of a FIFO waits for a writer), so they run in a child process
// with a timeout, and the test asserts how the child ended.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import test from 'ava'

import { MemoryMappedFile, RingBuffer, createMmap, loadMmap, writeMmap } from '../index.js'
import { tempDir, throwsLike, type ErrorShape } from './helpers.mjs'

const linuxOnly = process.platform === 'linux' ? test : test.skip
const posixOnly = process.platform === 'win32' ? test.skip : test

const NOT_REGULAR: ErrorShape = { class: Error, code: 'ERR_MMAP_NOT_REGULAR_FILE' }
const INDEX = fileURLToPath(new URL('../index.js', import.meta.url))

/** Every factory, each as a call on `path`. */
const FACTORIES: [string, (path: string) => unknown][] = [
  ['open', (p) => MemoryMappedFile.open(p)],
  ['openRo', (p) => MemoryMappedFile.openRo(p)],
  ['openRw', (p) => MemoryMappedFile.openRw(p)],
  ['openCow', (p) => MemoryMappedFile.openCow(p)],
  ['createRw', (p) => MemoryMappedFile.createRw(p, 10)],
  ['openOrCreate', (p) => MemoryMappedFile.openOrCreate(p, 10)],
  ['loadMmap', (p) => loadMmap(p)],
  ['loadMmap readWrite', (p) => loadMmap(p, 'readWrite')],
  ['createMmap', (p) => createMmap(p, 10)],
  ['writeMmap', (p) => writeMmap(p, 0, 'x')],
  ['RingBuffer.open', (p) => RingBuffer.open(p)],
  ['RingBuffer.create', (p) => RingBuffer.create(p, 4096)],
]

/** The same calls as source text, for the child process. */
const CHILD_CALLS = `[
  ['open', (p) => MemoryMappedFile.open(p)],
  ['openRo', (p) => MemoryMappedFile.openRo(p)],
  ['openRw', (p) => MemoryMappedFile.openRw(p)],
  ['openCow', (p) => MemoryMappedFile.openCow(p)],
  ['createRw', (p) => MemoryMappedFile.createRw(p, 10)],
  ['openOrCreate', (p) => MemoryMappedFile.openOrCreate(p, 10)],
  ['loadMmap', (p) => m.loadMmap(p)],
  ['createMmap', (p) => m.createMmap(p, 10)],
  ['writeMmap', (p) => m.writeMmap(p, 0, 'x')],
  ['RingBuffer.open', (p) => m.RingBuffer.open(p)],
  ['RingBuffer.create', (p) => m.RingBuffer.create(p, 4096)],
]`

/** Runs `body` in a child with `m` (the package) and `MemoryMappedFile` in scope; kills it after 60 s. */
function runChild(body: string) {
  const script = `
    const m = require(${JSON.stringify(INDEX)})
    const { MemoryMappedFile } = m
    const results = {}
    const record = (name, fn) => {
      try { fn(); results[name] = 'no error' } catch (e) { results[name] = { code: e.code, path: e.path, message: e.message, isError: e instanceof Error } }
    }
    ;(async () => { ${body} })().then(
      () => { process.stdout.write(JSON.stringify(results)); process.exit(0) },
      (e) => { process.stderr.write(String(e && e.stack)); process.exit(3) },
    )
  `
  // Generous: a child that works finishes in well under a second; one that blocks never does.
  return spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000 })
}

type Outcome = { code?: string; path?: string; message: string; isError: boolean } | 'no error'

posixOnly('a FIFO is refused by every factory without blocking, in every mode', (t) => {
  const dir = tempDir(t)
  const fifo = join(dir, 'pipe')
  execFileSync('mkfifo', [fifo])
  const child = runChild(`
    const fifo = ${JSON.stringify(fifo)}
    for (const [name, call] of ${CHILD_CALLS}) record(name, () => call(fifo))
    for (const mode of ['readOnly', 'readWrite', 'copyOnWrite']) record('open ' + mode, () => MemoryMappedFile.open(fifo, { mode }))
  `)
  t.is(child.signal, null, `the child was killed (it blocked): ${child.stderr}`)
  t.is(child.status, 0, child.stderr)
  const results = JSON.parse(child.stdout) as Record<string, Outcome>
  t.true(Object.keys(results).length >= 14)
  for (const [name, outcome] of Object.entries(results)) {
    t.not(outcome, 'no error', `${name} accepted a FIFO`)
    if (outcome === 'no error') continue
    t.is(outcome.code, 'ERR_MMAP_NOT_REGULAR_FILE', `${name}: ${outcome.message}`)
    t.is(outcome.path, fifo, `${name}: path`)
    t.true(outcome.isError, `${name}: an Error`)
    t.regex(outcome.message, /FIFO/, `${name}: the message names the file type`)
  }
  t.true(statSync(fifo).isFIFO(), 'the FIFO is still a FIFO (createRw did not replace it)')
})

posixOnly('openAsync on a FIFO settles, also with a signal aborted meanwhile, and the process can exit', (t) => {
  const dir = tempDir(t)
  const fifo = join(dir, 'pipe')
  execFileSync('mkfifo', [fifo])
  const child = runChild(`
    const fifo = ${JSON.stringify(fifo)}
    const settle = async (name, promise) => {
      try { await promise; results[name] = 'no error' } catch (e) { results[name] = { code: e.code, path: e.path, message: e.message, isError: e instanceof Error } }
    }
    await settle('openAsync', MemoryMappedFile.openAsync(fifo))
    await settle('openAsync readWrite', MemoryMappedFile.openAsync(fifo, { mode: 'readWrite' }))
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 300)
    await settle('openAsync with signal', MemoryMappedFile.openAsync(fifo, { signal: controller.signal }))
    await settle('openAsync pre-aborted', MemoryMappedFile.openAsync(fifo, { signal: AbortSignal.abort() }))
  `)
  t.is(child.signal, null, `the child was killed (a promise or the exit hung): ${child.stderr}`)
  t.is(child.status, 0, child.stderr)
  const results = JSON.parse(child.stdout) as Record<string, Outcome>
  for (const name of ['openAsync', 'openAsync readWrite', 'openAsync with signal']) {
    const outcome = results[name]
    t.not(outcome, 'no error', name)
    if (outcome !== 'no error') t.is(outcome.code, 'ERR_MMAP_NOT_REGULAR_FILE', `${name}: ${outcome.message}`)
  }
  const aborted = results['openAsync pre-aborted']
  t.not(aborted, 'no error')
  if (aborted !== 'no error') t.is(aborted.code, 'ABORT_ERR')
})

linuxOnly('/proc and /sys files are refused: their size is not their content', (t) => {
  for (const path of [
    '/proc/cpuinfo',
    '/proc/self/status',
    '/proc/self/maps',
    '/sys/kernel/mm/transparent_hugepage/enabled',
  ]) {
    if (!existsSync(path)) continue
    t.true(readFileSync(path).length > 0, `${path} reads bytes`)
    for (const [name, call] of FACTORIES.filter(([n]) => n.startsWith('open') || n === 'loadMmap')) {
      const error = throwsLike(t, () => call(path), NOT_REGULAR, `${name} ${path}`)
      t.is(error?.path, path)
      t.regex(String(error?.message), /pseudo file system/)
    }
  }
})

posixOnly('character devices are refused (/dev/zero, /dev/null)', (t) => {
  for (const path of ['/dev/zero', '/dev/null']) {
    for (const [name, call] of FACTORIES.filter(
      ([n]) => !n.startsWith('create') && !n.endsWith('create') && n !== 'writeMmap',
    )) {
      const error = throwsLike(t, () => call(path), NOT_REGULAR, `${name} ${path}`)
      t.is(error?.path, path)
      t.regex(String(error?.message), /character device/)
    }
  }
})

posixOnly('a Unix socket is refused', async (t) => {
  const dir = tempDir(t)
  const path = join(dir, 'sock')
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(path, resolve))
  t.teardown(() => server.close())
  for (const [name, call] of FACTORIES) {
    const error = throwsLike(t, () => call(path), NOT_REGULAR, `${name} socket`)
    t.is(error?.path, path)
    t.regex(String(error?.message), /socket/)
  }
})

test('a directory is still EISDIR, and regular files still open', (t) => {
  const dir = tempDir(t)
  throwsLike(t, () => MemoryMappedFile.openRo(dir), { class: Error, code: 'EISDIR' })
  const file = MemoryMappedFile.createRw(join(dir, 'regular.bin'), 16)
  t.is(file.length, 16)
  file.close()
})
