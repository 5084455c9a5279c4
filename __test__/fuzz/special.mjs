// Property: files that are not plain files (directories, sockets, /proc and /sys files, FIFOs,
// devices), wrong receivers, rejected opens that must leave the file alone, transferred pooled
// messages, and views of a file truncated by another process. Each must end in a typed error or the
// right bytes. Several are known-broken today (see known.mjs); the bounded pass runs the rest.
import fc from 'fast-check'
import { execFileSync } from 'node:child_process'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { attempt, expectTyped, violation } from './errors.mjs'
import { allowed } from './known.mjs'
import { fillPattern } from './values.mjs'

const PATHS = ['dir', 'socket', 'sysfs', 'procStatus', 'procCpuinfo', 'devZero', 'devNull', 'fifo']
const FACTORIES = ['openRo', 'openRw', 'openCow', 'ringOpen', 'createRw']

export function arbitrary() {
  return fc.oneof(
    fc.record({ kind: fc.constant('path'), path: fc.constantFrom(...PATHS), factory: fc.constantFrom(...FACTORIES) }),
    fc.record({
      kind: fc.constant('receiver'),
      method: fc.constantFrom(
        'read',
        'readInto',
        'countLines',
        'asBuffer',
        'updateRegion',
        'flush',
        'close',
        'atomicLoadU32',
      ),
      receiver: fc.constantFrom('plain', 'proxy', 'segment', 'ring', 'prototype'),
    }),
    fc.record({
      kind: fc.constant('openRejected'),
      factory: fc.constantFrom('createRw', 'openRwSize', 'openRwCreate', 'openOrCreate'),
      option: fc.constantFrom('offset', 'length'),
    }),
    fc.record({ kind: fc.constant('poolTransfer'), count: fc.integer({ min: 2, max: 6 }), which: fc.nat({ max: 5 }) }),
    fc.record({ kind: fc.constant('viewAfterTruncate'), via: fc.constantFrom('asBuffer', 'chunk', 'segment') }),
  )
}

export async function run(input, { M, lib }) {
  const dir = mkdtempSync(join(tmpdir(), 'mmapkit-fuzz-special-'))
  try {
    await runIn(input, M, lib, dir)
  } catch (error) {
    if (error instanceof Error) error.message += `\n  input: ${JSON.stringify(input)}`
    throw error
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function runIn(input, M, lib, dir) {
  switch (input.kind) {
    case 'path':
      return specialPath(input, M, lib, dir)
    case 'receiver':
      return receiver(input, M, lib, dir)
    case 'openRejected':
      return openRejected(input, M, dir)
    case 'poolTransfer':
      return poolTransfer(input, lib, dir)
    case 'viewAfterTruncate':
      return viewAfterTruncate(input, M, dir)
  }
}

async function specialPath({ path: which, factory }, M, lib, dir) {
  let path
  let server = null
  let regularContent = null // what read(2) gives, for files that are "regular" but special
  switch (which) {
    case 'dir':
      path = join(dir, 'd')
      mkdirSync(path)
      break
    case 'socket':
      path = join(dir, 's')
      server = createServer().listen(path)
      await new Promise((resolve) => server.once('listening', resolve))
      break
    case 'sysfs':
      path = '/sys/devices/system/cpu/online'
      if (!existsSync(path)) return
      break
    case 'procStatus':
    case 'procCpuinfo':
      if (!allowed('special-files')) return // issue 14: a 0-byte mapping, no error
      path = which === 'procStatus' ? '/proc/self/status' : '/proc/cpuinfo'
      regularContent = readFileSync(path)
      break
    case 'devZero':
    case 'devNull':
      if (!allowed('special-files')) return // issue 14: /dev/zero maps 0 bytes
      path = which === 'devZero' ? '/dev/zero' : '/dev/null'
      break
    case 'fifo':
      if (!allowed('special-files')) return // issue 14: opening a FIFO blocks forever
      path = join(dir, 'p')
      execFileSync('mkfifo', [path])
      break
  }
  // writing factories must never touch system files
  if (factory === 'createRw' && !path.startsWith(dir)) factory = 'openRo'
  const what = `${factory}(${which})`
  try {
    const r = attempt(() => {
      if (factory === 'ringOpen') return lib.RingBuffer.open(path)
      if (factory === 'createRw') return M.createRw(path, 10)
      return M[factory](path)
    })
    if (r.ok) {
      const m = r.value
      const length = m.length ?? 0
      if (regularContent && length !== regularContent.length) {
        throw violation(`${what}: mapped ${length} bytes where read(2) gives ${regularContent.length}`)
      }
      if (which !== 'devNull' && !regularContent) throw violation(`${what}: opened a ${which} without an error`)
      m.close()
    } else {
      const allowedCodes = {
        dir: ['EISDIR', 'ERR_MMAP_NOT_REGULAR_FILE'],
        socket: null, // ENXIO on Linux; other systems answer with other codes
        sysfs: ['ENODEV', 'ERR_MMAP_NOT_REGULAR_FILE', 'EACCES', 'EROFS'],
      }[which]
      expectTyped(r.error, allowedCodes ?? undefined, what)
      if (which === 'sysfs' || which === 'dir' || which === 'socket') {
        if (!statSync(path)) throw violation(`${what}: the path is gone`)
      }
    }
  } finally {
    server?.close()
  }
}

async function receiver({ method, receiver: kind }, M, lib, dir) {
  if (!allowed('wrong-receiver')) return
  const path = join(dir, 'r.bin')
  writeFileSync(path, fillPattern(100, 1))
  const file = M.openRw(path)
  try {
    const self = {
      plain: {},
      proxy: new Proxy({}, { get: () => 1 }),
      segment: file.segment(0, 10),
      ring: lib.RingBuffer.create(join(dir, 'q.ring'), 64),
      prototype: M.prototype,
    }[kind]
    const fn = M.prototype[method]
    const args =
      { readInto: [0, new Uint8Array(1)], updateRegion: [0, 'x'], read: [0, 1], atomicLoadU32: [0] }[method] ?? []
    const r = attempt(() => fn.apply(self, args))
    if (r.ok) throw violation(`MemoryMappedFile.prototype.${method}.call(${kind}) succeeded`)
    expectTyped(r.error, ['ERR_INVALID_THIS'], `MemoryMappedFile.prototype.${method}.call(${kind})`)
    if (!readFileSync(path).equals(fillPattern(100, 1)))
      throw violation(`${method} on a wrong receiver changed the file`)
  } finally {
    file.close()
  }
}

function openRejected({ factory, option }, M, dir) {
  if (!allowed('open-rejected-changes-file')) return
  const path = join(dir, 'o.bin')
  const original = fillPattern(150, 2)
  const missing = factory === 'openRwCreate' || factory === 'openOrCreate'
  if (!missing) writeFileSync(path, original)
  const bad = option === 'offset' ? { offset: 10_000 } : { length: 10_000 }
  const r = attempt(() => {
    if (factory === 'createRw') return M.createRw(path, 100, bad)
    if (factory === 'openRwSize') return M.openRw(path, { size: 1000, ...bad })
    if (factory === 'openRwCreate') return M.openRw(path, { create: true, size: 10, ...bad })
    return M.openOrCreate(path, 10, bad)
  })
  if (r.ok) {
    r.value.close()
    throw violation(`${factory} with a bad ${option} succeeded`)
  }
  expectTyped(r.error, ['ERR_OUT_OF_RANGE'], `${factory} with a bad ${option}`)
  if (missing && existsSync(path)) throw violation(`${factory} with a bad ${option} threw but created the file`)
  if (!missing && !readFileSync(path).equals(original))
    throw violation(`${factory} with a bad ${option} threw but changed the file`)
}

function poolTransfer({ count, which }, lib, dir) {
  if (!allowed('ring-pooled-pop')) return
  const ring = lib.RingBuffer.create(join(dir, 'p.ring'), 4096)
  try {
    for (let i = 0; i < count; i++) ring.push(Buffer.alloc(10, i + 1))
    const popped = []
    for (let i = 0; i < count; i++) popped.push(ring.pop())
    const victim = popped[which % count]
    structuredClone(victim.buffer, { transfer: [victim.buffer] })
    for (const [i, m] of popped.entries()) {
      if (m === victim) continue
      if (m.length !== 10 || !m.equals(Buffer.alloc(10, i + 1)))
        throw violation(`transferring message ${which % count} changed message ${i}`)
    }
    ring.push('after')
    const next = attempt(() => ring.pop())
    if (!next.ok) expectTyped(next.error, undefined, 'pop after a transfer')
  } finally {
    ring.close()
  }
}

function viewAfterTruncate({ via }, M, dir) {
  if (!allowed('truncated-under-view')) return
  const path = join(dir, 't.bin')
  writeFileSync(path, fillPattern(3 * 4096, 4))
  const file = M.openRo(path)
  const view =
    via === 'asBuffer'
      ? file.asBuffer()
      : via === 'chunk'
        ? file.chunks(3 * 4096).next().value
        : file.segment(0, 3 * 4096).asBuffer()
  truncateSync(path, 10)
  // issue 11 item 8: SIGBUS today; the contract: zeros from here on, and later calls throw ERR_MMAP_TRUNCATED
  if (view[3 * 4096 - 1] !== 0) throw violation('a view past the new end does not read zeros')
  const r = attempt(() => file.read(0, 1))
  if (r.ok) throw violation('a call after a fault through a view succeeded')
  expectTyped(r.error, ['ERR_MMAP_TRUNCATED'], 'read after a fault through a view')
  file.close()
}
