// When the OS refuses a thread (RLIMIT_NPROC, a container's pid limit): a sync scan runs the parts
// it would have given to other threads on the calling thread (same answer); a call that needs a
// thread of its own (an async scan with nothing running, a wait) rejects with a Node-style error
// with the errno's code. The process never aborts.
import { spawnSync } from 'node:child_process'
import { chmodSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

import test from 'ava'

import { RingBuffer } from '../index.js'
import { readableCopy, tempDir } from './helpers.mjs'

const linuxRoot = process.platform === 'linux' && process.getuid?.() === 0 ? test : test.skip
const hasPrlimit = spawnSync('prlimit', ['--version']).status === 0
// RLIMIT_NPROC counts every process and thread of a user: each child runs as a user id of its own
// (no account needed), so children of other specs running as nobody meanwhile do not count.
const LIMITED_UIDS = { refused: 62011, queued: 62012 }

linuxRoot(
  'a refused thread: sync scans still answer on the calling thread; async scans and waits reject EAGAIN',
  async (t) => {
    if (!hasPrlimit) return t.pass('needs prlimit(1)')
    const dir = tempDir(t)
    chmodSync(dir, 0o777)
    const data = join(dir, 'lines.txt')
    writeFileSync(data, Buffer.alloc(8 << 20, 'line\n'))
    const ring = join(dir, 'queue.ring')
    RingBuffer.create(ring, 1024).close()
    chmodSync(data, 0o666)
    chmodSync(ring, 0o666)
    // Root ignores RLIMIT_NPROC, so the child runs as an unprivileged user. It starts the threads it needs (libuv's
    // pool included), then limits its user to one process with prlimit(1): every new thread of the
    // child is refused.
    const { binding } = readableCopy(t)
    const script = `
    const { MemoryMappedFile, RingBuffer } = require(${JSON.stringify(binding)})
    const describe = (e) => [e.constructor.name, e.code, e.syscall, typeof e.errno, e.message]
    ;(async () => {
      await require('node:fs/promises').readFile(${JSON.stringify(data)})
      const file = MemoryMappedFile.openRo(${JSON.stringify(data)})
      const ring = RingBuffer.open(${JSON.stringify(ring)})
      const warm = await file.countLinesAsync({ threads: 2 })
      const limited = require('node:child_process').spawnSync('prlimit', ['--pid', String(process.pid), '--nproc=1:1'])
      if (limited.status !== 0) throw new Error('prlimit failed: ' + limited.stderr)
      const results = {}
      try { results.sync = ['ok', file.findAll('line', { threads: 2 }).length] } catch (e) { results.sync = describe(e) }
      try { results.count = ['ok', file.count('line', { threads: 2 })] } catch (e) { results.count = describe(e) }
      results.async = await file.countLinesAsync({ threads: 1 }).then((n) => ['ok', n], describe)
      results.popAsync = await ring.popAsync().then((m) => ['ok', m], describe)
      results.lockAsync = await file.lockAsync('shared').then(() => ['ok'], describe)
      results.warm = warm
      process.stdout.write(JSON.stringify(results) + '\\n')
      process.exit(0)
    })()`
    const child = spawnSync(process.execPath, ['-e', script], {
      uid: LIMITED_UIDS.refused,
      gid: LIMITED_UIDS.refused,
      encoding: 'utf8',
      timeout: 60_000,
    })
    const stdout = child.stdout
    const stderr = child.stderr
    t.is(child.signal, null, `the child was killed by a signal: ${stderr}`)
    t.is(child.status, 0, stderr)
    const results = JSON.parse(stdout.split('\n').filter(Boolean).pop() ?? '{}')
    const lines = Math.floor((8 << 20) / 5)
    t.is(results.warm, lines, 'the scans worked before the limit')
    t.deepEqual(results.sync, ['ok', lines], 'findAll on 2 threads answered on one')
    t.deepEqual(results.count, ['ok', lines], 'count on 2 threads answered on one')
    for (const name of ['async', 'popAsync', 'lockAsync']) {
      const [className, errorCode, syscall, errnoType, message] = results[name]
      t.is(className, 'Error', `${name}: ${JSON.stringify(results[name])}`)
      t.is(errorCode, 'EAGAIN', name)
      t.is(syscall, 'pthread_create', name)
      t.is(errnoType, 'number', name)
      t.is(message, 'EAGAIN: resource temporarily unavailable, pthread_create', name)
    }
  },
)

linuxRoot('under a thread limit, queued async scans wait for a thread instead of failing', async (t) => {
  if (!hasPrlimit) return t.pass('needs prlimit(1)')
  const dir = tempDir(t)
  chmodSync(dir, 0o777)
  const data = join(dir, 'lines.txt')
  writeFileSync(data, Buffer.alloc(8 << 20, 'line\n'))
  chmodSync(data, 0o666)
  const { binding } = readableCopy(t)
  // Room for one more thread than the child has: the first scan runs on it, and every scan in line
  // must run after it on that same thread, not fail because the OS refused it one of its own.
  const script = `
    const { MemoryMappedFile } = require(${JSON.stringify(binding)})
    const threads = () => Number(/Threads:\\s+(\\d+)/.exec(require('node:fs').readFileSync('/proc/self/status', 'utf8'))[1])
    ;(async () => {
      const file = MemoryMappedFile.openRo(${JSON.stringify(data)})
      await file.countLinesAsync({ threads: 1 })
      const limit = String(threads() + 1)
      const limited = require('node:child_process').spawnSync('prlimit', ['--pid', String(process.pid), '--nproc=' + limit + ':' + limit])
      if (limited.status !== 0) throw new Error('prlimit failed: ' + limited.stderr)
      const settled = await Promise.all(Array.from({ length: 20 }, () =>
        file.countLinesAsync({ threads: 1 }).then((n) => n, (e) => e.code)))
      process.stdout.write(JSON.stringify([...new Set(settled)]) + '\\n')
      process.exit(0)
    })()`
  const child = spawnSync(process.execPath, ['-e', script], {
    uid: LIMITED_UIDS.queued,
    gid: LIMITED_UIDS.queued,
    encoding: 'utf8',
    timeout: 60_000,
  })
  t.is(child.signal, null, `the child was killed by a signal: ${child.stderr}`)
  t.is(child.status, 0, child.stderr)
  t.is(child.stdout.trim(), JSON.stringify([Math.floor((8 << 20) / 5)]))
})
