// Property: random push/pop/peek/popAsync/length/reopen/close sequences on a RingBuffer (one or two
// handles on the same file) agree with a FIFO model that counts record sizes exactly as the file
// format does (4-byte prefix + payload, rounded up to 8), overwrite mode included. Popped messages
// kept from earlier must still hold their bytes. Then the file may be corrupted (as another process
// could): from there on every call must succeed or throw a typed error (ERR_MMAP_CORRUPT), never
// crash or hang.
import fc from 'fast-check'
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { attempt, attemptAsync, describeError, expectTyped, violation } from './errors.mjs'
import { CLOSED, RANGE, TYPE } from './file-model.mjs'
import { allowed } from './known.mjs'
import { bytesSpec, classify, hostileNumber, makeBytes, materialize, n, show } from './values.mjs'

const CORRUPT = 'ERR_MMAP_CORRUPT'
const HEADER = 4096
const OFF_HEAD = 64
const OFF_POPPED = 72
const OFF_TAIL = 128
const OFF_PUSHED = 136

const recordSize = (len) => Math.ceil((4 + len) / 8) * 8

export function arbitrary() {
  const handle = fc.nat({ max: 1 })
  const cmd = fc.oneof(
    {
      weight: 8,
      arbitrary: fc.record({
        op: fc.constant('push'),
        data: fc.oneof(
          { weight: 6, arbitrary: bytesSpec(40, { wrong: true }) },
          { weight: 2, arbitrary: bytesSpec(700, { wrong: false }) },
          { weight: 1, arbitrary: fc.string({ maxLength: 12 }).map((s) => ({ str: s })) },
          // a view of the ring's own data area (the file mapped with MemoryMappedFile), near the record
          {
            weight: 1,
            arbitrary: fc.record({ ringView: fc.integer({ min: -16, max: 64 }), len: fc.nat({ max: 40 }) }),
          },
        ),
      }),
    },
    {
      weight: 6,
      arbitrary: fc.record({ op: fc.constantFrom('pop', 'peek', 'length'), h: handle, keep: fc.boolean() }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant('popAsync'),
        h: handle,
        timeoutMs: fc.oneof(
          fc.constantFrom(0, 1, 3).map(n),
          hostileNumber().filter((v) => classify(v).kind !== 'int' || classify(v).value < 20),
        ),
      }),
    },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('reopen') }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('close'), h: handle }) },
  )
  const corruption = fc.record({
    field: fc.constantFrom(
      'head',
      'tail',
      'headMisaligned',
      'tailMisaligned',
      'length',
      'popped',
      'pushed',
      'magic',
      'capacity',
    ),
    delta: fc.integer({ min: -64, max: 64 }),
    value: fc.constantFrom(0, 1, 3, 7, 0x7fffffff, 0xffffffff, 2 ** 40),
    reopenFirst: fc.boolean(),
    after: fc.array(fc.constantFrom('push', 'pop', 'peek', 'length', 'popAsync', 'open'), {
      minLength: 1,
      maxLength: 6,
    }),
  })
  return fc.record({
    capacity: fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(0, 1, 16, 17, 24, 64, 100, 4096).map(n) },
      {
        weight: 1,
        arbitrary: hostileNumber().filter((v) => classify(v).kind !== 'int' || classify(v).value <= 1 << 16),
      },
    ),
    overwrite: fc.oneof(fc.boolean(), fc.constantFrom(null, 1, 'yes')),
    cmds: fc.array(cmd, { maxLength: 40 }),
    corrupt: fc.option(corruption, { nil: null, freq: 3 }),
  })
}

function equal(actual, expected, what) {
  if (actual === null || expected === null) {
    if (actual !== expected)
      throw violation(
        `${what}: got ${actual === null ? 'null' : `${actual.length} bytes`}, expected ${expected === null ? 'null' : `${expected.length} bytes`}`,
      )
    return
  }
  if (!Buffer.isBuffer(actual)) throw violation(`${what}: not a Buffer`)
  if (!actual.equals(expected))
    throw violation(`${what}: wrong bytes (${actual.length} bytes, expected ${expected.length})`)
}

export async function run(input, { lib, M }) {
  const dir = mkdtempSync(join(tmpdir(), 'mmapkit-fuzz-ring-'))
  const log = []
  try {
    await runIn(input, lib.RingBuffer, M, join(dir, 'q.ring'), log)
  } catch (error) {
    if (error instanceof Error) error.message += `\n  calls: ${log.slice(-14).join('; ')}`
    throw error
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function runIn(input, R, M, path, log) {
  // create
  const cap = classify(input.capacity)
  let codes = null
  if (cap.kind === 'type' || cap.kind === 'absent') codes = new Set([TYPE])
  else if (cap.kind === 'range') codes = new Set([RANGE])
  const ow = input.overwrite
  if (ow !== null && typeof ow !== 'boolean') codes = new Set([...(codes ?? []), TYPE])
  const options = ow === null ? undefined : { overwrite: ow }
  log.push(`RingBuffer.create(path, ${show(input.capacity)}, ${JSON.stringify(options)})`)
  const created = attempt(() => R.create(path, materialize(input.capacity), options))
  if (codes) {
    if (created.ok)
      throw violation(`RingBuffer.create accepted a bad argument (${show(input.capacity)}, ${JSON.stringify(options)})`)
    expectTyped(created.error, codes, 'RingBuffer.create')
    return
  }
  if (!created.ok) {
    expectTyped(created.error, undefined, 'RingBuffer.create')
    throw violation(`RingBuffer.create(${cap.value}) threw ${describeError(created.error)}`)
  }
  const overwrite = ow === true
  const capacity = Math.ceil(Math.max(16, cap.value) / 8) * 8
  if (created.value.capacity !== capacity) throw violation(`capacity ${created.value.capacity}, expected ${capacity}`)
  /** @type {(any | null)[]} */
  const handles = [created.value, null]
  const queue = [] // the model: Buffers, oldest first
  let used = 0
  const kept = [] // { message, bytes } popped earlier
  const live = (h) => handles[h] ?? handles[0]
  let produced = 0 // bytes of records pushed: the tail position
  let fileView = null // the ring file mapped with MemoryMappedFile, for views of the data area

  for (const [i, cmd] of input.cmds.entries()) {
    const ring = live(cmd.h ?? 0)
    const closed = !ring || ring.closed
    const what = `#${i} ${cmd.op}`
    switch (cmd.op) {
      case 'push': {
        let value
        let bytes
        if (cmd.data.str !== undefined) {
          value = cmd.data.str
          bytes = Buffer.from(value, 'utf8')
        } else if (cmd.data.ringView !== undefined) {
          // where the next record goes: tail = bytes produced so far, modulo the capacity
          const tail = produced % capacity
          const len = Math.min(cmd.data.len, capacity - 4)
          const start = Math.min(Math.max(0, tail + 4 + cmd.data.ringView), capacity - len)
          const overlaps = start < tail + 4 + len && tail < start + len
          const wraps = tail + recordSize(len) > capacity
          if ((overlaps || wraps) && !allowed('ring-push-aliased-source')) break
          fileView ??= M.openRw(path)
          value = fileView.asBuffer(HEADER + start, len)
          bytes = Buffer.from(value)
        } else ({ value, bytes } = makeBytes(cmd.data))
        log.push(
          `push(${bytes ? `${bytes.length} bytes (${cmd.data.kind ?? (cmd.data.ringView !== undefined ? `ring view ${cmd.data.ringView}` : 'string')})` : cmd.data.kind})`,
        )
        if (!ring) break
        const r = attempt(() => ring.push(value))
        if (bytes === null) {
          if (r.ok) throw violation(`${what}: accepted a ${cmd.data.kind}`)
          expectTyped(r.error, closed ? [TYPE, CLOSED] : [TYPE], what)
          break
        }
        if (closed) {
          if (r.ok) throw violation(`${what}: push on a closed ring returned ${r.value}`)
          expectTyped(r.error, bytes.length > capacity - 4 ? [CLOSED, RANGE] : [CLOSED], what)
          break
        }
        if (bytes.length > capacity - 4) {
          if (r.ok) throw violation(`${what}: a ${bytes.length}-byte message accepted by a ${capacity}-byte ring`)
          expectTyped(r.error, [RANGE], what)
          break
        }
        if (!r.ok) {
          expectTyped(r.error, undefined, what)
          throw violation(`${what}: threw ${describeError(r.error)}`)
        }
        const size = recordSize(bytes.length)
        if (overwrite) {
          while (capacity - used < size) used -= recordSize(queue.shift().length)
        }
        const fits = capacity - used >= size
        if (r.value !== fits)
          throw violation(
            `${what}: returned ${r.value}, expected ${fits} (used ${used} of ${capacity}, record ${size})`,
          )
        if (fits) {
          queue.push(Buffer.from(bytes))
          used += size
          produced += size
        }
        break
      }
      case 'pop':
      case 'peek':
      case 'length': {
        log.push(`h${cmd.h}.${cmd.op}()`)
        if (!ring) break
        const r = attempt(() => (cmd.op === 'length' ? ring.length : ring[cmd.op]()))
        if (closed) {
          if (r.ok) throw violation(`${what} on a closed ring returned ${r.value}`)
          expectTyped(r.error, [CLOSED], what)
          break
        }
        if (!r.ok) {
          expectTyped(r.error, undefined, what)
          throw violation(`${what}: threw ${describeError(r.error)}`)
        }
        if (cmd.op === 'length') {
          if (r.value !== queue.length) throw violation(`${what}: ${r.value}, expected ${queue.length}`)
          break
        }
        const expected = queue[0] ?? null
        equal(r.value, expected, what)
        if (cmd.op === 'pop' && expected) {
          queue.shift()
          used -= recordSize(expected.length)
        }
        if (cmd.keep && r.value) kept.push({ message: r.value, bytes: Buffer.from(expected) })
        break
      }
      case 'popAsync': {
        log.push(`h${cmd.h}.popAsync({ timeoutMs: ${show(cmd.timeoutMs)} })`)
        if (!ring) break
        const t = classify(cmd.timeoutMs)
        // without a timeout the wait is endless: a signal ends it instead (AbortError on an empty ring)
        const endless = t.kind === 'absent'
        const signal = endless ? AbortSignal.timeout(30) : undefined
        const r = await attemptAsync(() => ring.popAsync({ timeoutMs: materialize(cmd.timeoutMs), signal }))
        let codes = null
        if (endless && queue.length === 0 && !closed) codes = new Set(['ABORT_ERR'])
        if (t.kind === 'type') codes = new Set([TYPE])
        if (t.kind === 'range') codes = new Set([RANGE])
        if (closed) codes = new Set([...(codes ?? []), CLOSED])
        if (codes) {
          if (r.ok)
            throw violation(
              `${what}: resolved ${r.value === null ? 'null' : 'a message'}, expected ${[...codes].join(' or ')}`,
            )
          expectTyped(r.error, codes, what)
          break
        }
        if (!r.ok) {
          expectTyped(r.error, undefined, what)
          throw violation(`${what}: rejected with ${describeError(r.error)}`)
        }
        equal(r.value, queue[0] ?? null, what)
        if (queue.length) used -= recordSize(queue.shift().length)
        break
      }
      case 'reopen': {
        log.push('reopen')
        handles[1]?.close()
        const r = attempt(() => R.open(path))
        if (!r.ok) {
          expectTyped(r.error, undefined, what)
          throw violation(`${what}: RingBuffer.open of a valid ring threw ${describeError(r.error)}`)
        }
        handles[1] = r.value
        if (r.value.overwrite !== overwrite || r.value.capacity !== capacity)
          throw violation(`${what}: header read back wrong`)
        break
      }
      case 'close': {
        log.push(`h${cmd.h}.close()`)
        if (!handles[cmd.h]) break
        judgeOk(
          attempt(() => handles[cmd.h].close()),
          what,
        )
        judgeOk(
          attempt(() => handles[cmd.h].close()),
          `${what} (twice)`,
        )
        if (!handles[cmd.h].closed) throw violation(`${what}: closed is false`)
        break
      }
    }
    for (const { message, bytes } of kept) {
      if (!message.equals(bytes)) throw violation(`${what}: a message popped earlier changed its bytes`)
    }
  }
  fileView?.close()
  if (input.corrupt) await corruptAndPoke(input.corrupt, handles, R, path, capacity, log)
  for (const h of handles) h?.close()
}

function judgeOk(r, what) {
  if (!r.ok) {
    expectTyped(r.error, undefined, what)
    throw violation(`${what}: threw ${describeError(r.error)}`)
  }
}

/** Another process writes garbage into the header or a record; every later call must stay typed. */
async function corruptAndPoke(c, handles, R, path, capacity, log) {
  if (c.field === 'headMisaligned' && !allowed('ring-corrupt-head')) return
  const fd = openSync(path, 'r+')
  const u64 = (at, v) => {
    const b = Buffer.alloc(8)
    b.writeBigUInt64LE(BigInt.asUintN(64, BigInt(v)))
    writeSync(fd, b, 0, 8, at)
  }
  const readU64 = (at) => {
    const b = Buffer.alloc(8)
    // the file is shared with the mapping: read(2) sees the same page-cache pages
    const { readSync } = process.getBuiltinModule('node:fs')
    readSync(fd, b, 0, 8, at)
    return b.readBigUInt64LE(0)
  }
  const head = readU64(OFF_HEAD)
  const tail = readU64(OFF_TAIL)
  switch (c.field) {
    case 'head':
      u64(OFF_HEAD, head + BigInt(c.delta * 8))
      break
    case 'tail':
      u64(OFF_TAIL, tail + BigInt(c.delta * 8))
      break
    case 'headMisaligned': // known: issue 14
      u64(OFF_HEAD, BigInt(capacity - 3) + (head / BigInt(capacity)) * BigInt(capacity))
      break
    case 'tailMisaligned':
      u64(OFF_TAIL, tail + BigInt((c.delta | 1) & 7 || 3))
      break
    case 'length': {
      const b = Buffer.alloc(4)
      b.writeUInt32LE(c.value >>> 0)
      writeSync(fd, b, 0, 4, HEADER + Number(head % BigInt(capacity)))
      break
    }
    case 'popped':
      u64(OFF_POPPED, c.value)
      break
    case 'pushed':
      u64(OFF_PUSHED, c.value)
      break
    case 'magic':
      writeSync(fd, Buffer.from('XXXX'), 0, 4, 0)
      break
    case 'capacity':
      u64(16, c.value)
      break
  }
  closeSync(fd)
  log.push(`corrupt ${c.field} (${c.delta}, ${c.value})`)
  let ring = handles[0]
  if (c.reopenFirst || ring.closed) {
    const r = attempt(() => R.open(path))
    if (!r.ok) {
      expectTyped(r.error, [CORRUPT], 'RingBuffer.open of a corrupt ring')
      return
    }
    ring = r.value
    handles.push(ring)
  }
  for (const op of c.after) {
    log.push(`after corruption: ${op}`)
    const what = `${op} after corrupting ${c.field}`
    if (op === 'popAsync') {
      const r = await attemptAsync(() => ring.popAsync({ timeoutMs: 2 }))
      if (!r.ok) expectTyped(r.error, [CORRUPT, CLOSED], what)
      continue
    }
    const r = attempt(() => {
      if (op === 'push') return ring.push(Buffer.alloc(5, 1))
      if (op === 'length') return ring.length
      if (op === 'open') return R.open(path).close()
      return ring[op]()
    })
    if (!r.ok) expectTyped(r.error, [CORRUPT, CLOSED], what)
  }
}
