// Property: another process truncates (or empties) a mapped file; then mmapkit's own native
// accesses (read, readInto, updateRegion, scans sync and async, atomics, touchPages, flush, on the
// file and on segments) either succeed with the right bytes (before the new end: the old bytes;
// from the new end to the end of its page: zeros) or throw ERR_MMAP_TRUNCATED. Never a SIGBUS.
// Views are not touched after the truncation: that case is known-broken (issue 11 item 8).
import fc from 'fast-check'
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { attempt, attemptAsync, expectTyped, violation } from './errors.mjs'
import { countByteModel, findAllModel } from './file-model.mjs'
import { allowed } from './known.mjs'
import { fillPattern } from './values.mjs'

const PAGE = 4096
const TRUNCATED = 'ERR_MMAP_TRUNCATED'

export function arbitrary() {
  const size = fc.constantFrom(4096, 8192, 10000, 3 * 4096 + 5)
  return size.chain((n) =>
    fc.record({
      size: fc.constant(n),
      mode: fc.constantFrom('readOnly', 'readWrite', 'copyOnWrite'),
      window: fc.option(fc.record({ offset: fc.nat({ max: n }), length: fc.nat({ max: n }) }), { nil: null, freq: 4 }),
      newSize: fc.oneof(fc.constantFrom(0, 1, 4095, 4096, 4097), fc.nat({ max: n })),
      segment: fc.option(fc.record({ offset: fc.nat({ max: n }), length: fc.nat({ max: n }) }), { nil: null }),
      calls: fc.array(
        fc.record({
          op: fc.constantFrom(
            'read',
            'readInto',
            'updateRegion',
            'countByte',
            'countLines',
            'indexOf',
            'count',
            'findAll',
            'countLinesAsync',
            'countAsync',
            'atomicLoadU32',
            'atomicAddU32',
            'touchPages',
            'flush',
          ),
          off: fc.nat({ max: n }),
          len: fc.nat({ max: n }),
          onSegment: fc.boolean(),
        }),
        { minLength: 1, maxLength: 12 },
      ),
    }),
  )
}

export async function run(input, { M }) {
  const dir = mkdtempSync(join(tmpdir(), 'mmapkit-fuzz-trunc-'))
  try {
    await runIn(input, M, join(dir, 'data.bin'))
  } catch (error) {
    if (error instanceof Error) error.message += `\n  input: ${JSON.stringify(input)}`
    throw error
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function runIn(input, M, path) {
  const original = fillPattern(input.size, 3)
  for (let i = 9; i < input.size; i += 41) original[i] = 10
  writeFileSync(path, original)
  const win = input.window && input.window.offset + input.window.length <= input.size ? input.window : null
  const file = M.open(path, { mode: input.mode, ...win })
  const base = win ? win.offset : 0 // file offset of mapping byte 0
  const length = file.length
  let seg = null
  let segBase = 0
  if (input.segment && input.segment.offset + input.segment.length <= length) {
    seg = file.segment(input.segment.offset, input.segment.length)
    segBase = input.segment.offset
  }
  // Another process truncates the file.
  truncateSync(path, input.newSize)
  const newSize = input.newSize
  const pageEnd = Math.ceil(newSize / PAGE) * PAGE
  // What the mapping shows now, per mapping offset: old bytes, zeros, or nothing (a fault).
  const shown = (at) => {
    const f = base + at
    if (f < newSize) return original[f]
    if (f < pageEnd) return 0
    return null
  }
  const current = Buffer.from(original.subarray(base, base + length)) // bytes where they are readable
  for (let i = 0; i < length; i++) if (shown(i) === 0 && base + i >= newSize) current[i] = 0
  // Bytes from the new end to the end of its page: the kernel zeroes them again on writeback, so a
  // write there may read back as written or as zero ("writes there are lost", README).
  const same = (actual, at) => {
    for (let i = 0; i < actual.length; i++) {
      const want = current[at + i]
      if (actual[i] !== want && !(base + at + i >= newSize && actual[i] === 0)) return false
    }
    return true
  }
  const faults = (from, len) => {
    for (let i = from; i < from + len; i++) if (shown(i) === null) return true
    return false
  }
  for (const [k, c] of input.calls.entries()) {
    const onSeg = c.onSegment && seg
    const target = onSeg ? seg : file
    const tBase = onSeg ? segBase : 0
    const tLen = onSeg ? seg.length : length
    const off = Math.min(c.off, tLen)
    const len = Math.min(c.len, tLen - off)
    const what = `#${k} ${onSeg ? 'segment' : 'file'}.${c.op}(${off}, ${len}) after truncation to ${newSize}`
    const abs = tBase + off
    let r
    let expected
    let range = [abs, len] // the mapping bytes the call touches
    switch (c.op) {
      case 'read':
        r = attempt(() => target.read(off, len))
        expected = (v) => same(v, abs)
        break
      case 'readInto': {
        const into = new Uint8Array(len)
        r = attempt(() => target.readInto(off, into))
        expected = () => same(into, abs)
        break
      }
      case 'updateRegion': {
        if (input.mode === 'readOnly') continue
        const data = Buffer.alloc(len, 0x77)
        r = attempt(() => target.updateRegion(off, data))
        expected = () => {
          // a write that succeeded lands where the pages are still readable
          data.copy(current, abs)
          return true
        }
        break
      }
      case 'countByte':
        r = attempt(() => target.countByte(10, off, len))
        expected = (v) => v === countByteModel(current.subarray(abs, abs + len), 10)
        break
      case 'countLines':
        r = attempt(() => target.countLines(off, len))
        expected = (v) => v === countByteModel(current.subarray(abs, abs + len), 10)
        break
      case 'countLinesAsync':
        r = await attemptAsync(() => target.countLinesAsync({ offset: off, length: len, threads: 2 }))
        expected = (v) => v === countByteModel(current.subarray(abs, abs + len), 10)
        break
      case 'indexOf':
        r = attempt(() => target.indexOf('\n', off))
        {
          // a match before the missing pages may be found without touching them
          const i = current.subarray(tBase, tBase + tLen).indexOf(10, off)
          const readable = i !== -1 && !faults(abs, i - off + 1)
          range = readable ? [abs, i - off + 1] : [abs, tLen - off]
          expected = (v) => v === i
        }
        break
      case 'count':
      case 'countAsync':
      case 'findAll': {
        const options = { offset: off, length: len, threads: 2 }
        const call = {
          count: () => target.count('\n', options),
          countAsync: () => target.countAsync('\n', options),
          findAll: () => target.findAll('\n', options),
        }[c.op]
        r = c.op === 'countAsync' ? await attemptAsync(call) : attempt(call)
        const found = findAllModel(current.subarray(abs, abs + len), Buffer.from('\n')).map((x) => x + off)
        expected = (v) => JSON.stringify(v) === JSON.stringify(c.op === 'findAll' ? found : found.length)
        break
      }
      case 'atomicLoadU32':
      case 'atomicAddU32': {
        if (onSeg) continue
        const at = Math.min(off - ((base + off) % 4), length - 4)
        if (at < 0 || (base + at) % 4 !== 0) continue
        if (c.op === 'atomicAddU32' && input.mode === 'readOnly') continue
        range = [at, 4]
        r = attempt(() => (c.op === 'atomicLoadU32' ? file.atomicLoadU32(at) : file.atomicAddU32(at, 1)))
        const prev = current.readUInt32LE(at)
        expected = (v) => {
          const ok = v === prev || (base + at + 4 > newSize && same(Buffer.from(Uint32Array.of(v).buffer), at))
          if (c.op === 'atomicAddU32') current.writeUInt32LE((v + 1) >>> 0, at)
          return ok
        }
        break
      }
      case 'touchPages':
        r = attempt(() => target === file && file.touchPages(off, len))
        break
      case 'flush':
        r = attempt(() => target.flush())
        range = [0, 0]
        break
    }
    if (r.ok) {
      if (faults(range[0], range[1]) && range[1] > 0 && c.op !== 'touchPages') {
        throw violation(`${what}: succeeded over pages that no longer exist`)
      }
      if (expected && !expected(r.value))
        throw violation(`${what}: wrong result ${JSON.stringify(r.value)?.slice(0, 80)}`)
    } else {
      expectTyped(r.error, [TRUNCATED], what)
      if (!faults(range[0], range[1]))
        throw violation(`${what}: ERR_MMAP_TRUNCATED although every page it touches exists`)
      if (c.op === 'updateRegion') {
        // A rejected write writes nothing (issue 14); today the part before the fault is written.
        for (let i = abs; i < abs + len && shown(i) !== null; i++) {
          const now = file.read(i, 1)[0]
          if (now !== current[i] && !(base + i >= newSize && now === 0)) {
            if (allowed('partial-write-on-truncation') || now !== 0x77) {
              throw violation(`${what}: rejected with ERR_MMAP_TRUNCATED but wrote byte ${i}`)
            }
            current[i] = now
          }
        }
      }
    }
  }
  file.close()
}
