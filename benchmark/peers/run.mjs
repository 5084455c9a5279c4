#!/usr/bin/env node
// `npm run bench:peers`: mmapkit against its peers on the same file, the same offsets, in one run.
//
//   node benchmark/peers/run.mjs [--size 1G] [--dir /tmp] [--rounds 5] [--no-save]
//
// The peers:
// - node:fs readSync (the baseline of every ratio in `npm run bench`);
// - @riaskov/mmap-io, the maintained fork of the old C++ `mmap-io` addon (a Buffer over an mmap,
//   read with buffer.copy). It is installed into this folder on first use, its addon compiled from
//   source by node-gyp; if that fails, the reason is printed and the run goes on without it;
// - ref.c, plain C on a plain mmap (compiled here with gcc -O3 -march=native): memcpy of the same
//   blocks, and a sequential sum over the whole file, the memory-bandwidth limit of this machine.
// Cases: random 4 KiB reads, 8-byte reads in a hot 64 KiB window (the per-call overhead), 8-byte
// reads anywhere in the file, and open + close (with the system calls under it timed in C). Offsets come from the seeded LCG of ../lib.mjs, which ref.c
// reimplements; checksums of the offsets and of the bytes read prove that every reader read the same
// blocks. Each round runs every JS case (order rotating) and then the C program once; the result of
// a case is the median over the rounds. Timing: hand-rolled loops (../loops.mjs), as in bench.mjs.
import { execFileSync, spawnSync } from 'node:child_process'
import { closeSync, existsSync, mkdtempSync, openSync, rmSync } from 'node:fs'
import { constants as bufferConstants } from 'node:buffer'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'

import {
  addonSummary,
  benchDir,
  compileC,
  createDataFile,
  formatBytes,
  formatNs,
  formatNumber,
  formatRatio,
  lcgOffsets,
  machineInfo,
  median,
  offsetsChecksum,
  parseSize,
  rotate,
  saveResult,
  snapshotAddon,
  textTable,
} from '../lib.mjs'
import { readIntoLoop, readSyncLoop, viewCopyLoop } from '../loops.mjs'

const { values: args } = parseArgs({
  options: {
    size: { type: 'string', default: '1G' },
    dir: { type: 'string', default: tmpdir() },
    rounds: { type: 'string', default: '5' },
    'no-save': { type: 'boolean', default: false },
  },
})
const size = parseSize(args.size)
const rounds = Number(args.rounds)
if (size < 1 << 20 || size % 4096 !== 0) throw new Error('--size must be at least 1M and a multiple of 4 KiB')
if (size > bufferConstants.MAX_LENGTH) throw new Error(`--size must be at most buffer.constants.MAX_LENGTH here`)
if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds must be a positive integer')

const peersDir = join(benchDir, 'peers')
const ops = { read4k: 100_000, read8Hot: 1_000_000, read8HotFs: 200_000, read8Random: 500_000, read8RandomFs: 200_000 }
const seeds = { read4k: 1, read8Hot: 2, read8Random: 3 } // the same seeds as bench.mjs
const hotWindow = 64 << 10

/** The same loop as viewCopyLoop, as its own function so that V8 keeps separate type feedback. */
function mmapIoCopyLoop(buffer, target, offsets, n) {
  const length = target.length
  let sum = 0
  for (let i = 0; i < n; i++) {
    const offset = offsets[i]
    buffer.copy(target, 0, offset, offset + length)
    sum += target[0]
  }
  return sum
}

function openCloseLoop(path, n) {
  for (let i = 0; i < n; i++) MemoryMappedFile.openRo(path).close()
  return n
}

function fsOpenCloseLoop(path, n) {
  for (let i = 0; i < n; i++) closeSync(openSync(path, 'r'))
  return n
}

// ---------------------------------------------------------------------------------------------
// The peers: install and build them, or say why not.

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'

function loadMmapIo() {
  const packageDir = join(peersDir, 'node_modules', '@riaskov', 'mmap-io')
  const requirePeer = createRequire(join(peersDir, 'package.json'))
  const attempt = () => {
    const mmapIo = requirePeer('@riaskov/mmap-io')
    const version = requirePeer('@riaskov/mmap-io/package.json').version
    // node-pre-gyp leaves object files behind only when node-gyp compiled the addon here.
    const builtHere = existsSync(join(packageDir, 'build', 'Release', 'obj.target'))
    return { mmapIo, info: { version, builtFromSource: builtHere } }
  }
  // npm_config_build_from_source: node-pre-gyp compiles with node-gyp instead of using a binary
  // shipped in the tarball, so what we measure is built from the published source on this machine.
  const env = { ...process.env, npm_config_build_from_source: 'true' }
  try {
    if (!existsSync(join(packageDir, 'package.json'))) {
      console.log(`installing the peer group into ${peersDir} (npm install, node-gyp build of @riaskov/mmap-io)...`)
      execFileSync(npm, ['install', '--prefix', peersDir, '--no-audit', '--no-fund', '--foreground-scripts'], {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
        encoding: 'utf8',
      })
    }
    try {
      return attempt()
    } catch {
      // Installed, but the addon is missing or stale (e.g. another Node ABI): rebuild it once.
      execFileSync(npm, ['rebuild', '--prefix', peersDir, '--foreground-scripts', '@riaskov/mmap-io'], {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
        encoding: 'utf8',
      })
      return attempt()
    }
  } catch (error) {
    const output = `${error.stderr ?? ''}${error.stdout ?? ''}`.trim().split('\n').slice(-12).join('\n')
    const reason = `${error.message.split('\n')[0]}${output ? `\n${output}` : ''}`
    console.log(`@riaskov/mmap-io is not available, continuing without it:\n${reason}\n`)
    return { mmapIo: null, info: { error: reason } }
  }
}

function buildReference() {
  try {
    return compileC(join(peersDir, 'ref.c'), join(peersDir, 'build', 'ref'), ['-O3', '-march=native'])
  } catch (error) {
    const reason = error.message
    console.log(`the C reference could not be built, continuing without it:\n${reason}\n`)
    return { binary: null, info: { error: reason } }
  }
}

// ---------------------------------------------------------------------------------------------

const cases = new Map()
function defineCase(id, group, label) {
  cases.set(id, { id, group, label, samples: [] })
}
function timed(id, n, fn) {
  const start = process.hrtime.bigint()
  const value = fn()
  cases.get(id).samples.push(Number(process.hrtime.bigint() - start) / n)
  return value
}

const { mmapIo, info: mmapIoInfo } = loadMmapIo()
const { binary: refBinary, info: refInfo } = buildReference()

const groups = [
  ['read4k', 'random 4 KiB read'],
  ['read8hot', '8-byte read, hot 64 KiB'],
  ['read8rand', '8-byte read, random'],
]
for (const [key, group] of groups) {
  defineCase(`${key}.readInto`, group, 'mmapkit readInto')
  defineCase(`${key}.viewCopy`, group, 'mmapkit asBuffer() + view.copy')
  if (mmapIo) defineCase(`${key}.mmapIo`, group, '@riaskov/mmap-io buffer.copy')
  defineCase(`${key}.readSync`, group, 'node:fs readSync')
  if (refBinary) defineCase(`${key}.c`, group, 'C memcpy (gcc -O3 -march=native)')
}
if (refBinary) defineCase('seq.c', 'sequential sum, whole file', 'C, per 4 KiB (memory bandwidth)')
defineCase('open.mmapkit', 'open + close', 'mmapkit openRo + close')
defineCase('open.readSync', 'open + close', 'node:fs openSync + closeSync')
if (refBinary) {
  defineCase('open.c', 'open + close', 'C open + close')
  defineCase('open.cMap', 'open + close', 'C open + fstat + mmap + munmap + close')
}

const workDir = mkdtempSync(join(args.dir, 'mmapkit-peers-'))
const addon = snapshotAddon(workDir) // before loading index.js
const { MemoryMappedFile } = await import('../../index.js')
const machine = machineInfo(addon)
const path = join(workDir, 'data.bin')
try {
  console.log(`mmapkit peer benchmark: ${formatBytes(size)} file in ${workDir}, ${rounds} rounds`)
  console.log(`${machine.cpu}, ${machine.cores} cores, ${machine.kernel}, Node ${machine.node}`)
  console.log(`mmapkit ${machine.mmapkitCommit}; ${addonSummary(machine)}`)
  console.log(
    mmapIo
      ? `@riaskov/mmap-io ${mmapIoInfo.version} (${mmapIoInfo.builtFromSource ? 'built from source here by node-gyp' : 'prebuilt binary from its tarball'})`
      : '@riaskov/mmap-io: not available',
  )
  console.log(refBinary ? `C reference: ${refInfo.compiler}, ${refInfo.flags}\n` : 'C reference: not available\n')

  createDataFile(path, size)
  const offsets = {
    read4k: lcgOffsets(ops.read4k, size, 4096, 4096, seeds.read4k),
    read8hot: lcgOffsets(ops.read8Hot, hotWindow, 8, 8, seeds.read8Hot),
    read8rand: lcgOffsets(ops.read8Random, size, 8, 8, seeds.read8Random),
  }
  const block = Buffer.alloc(4096)
  const word = Buffer.alloc(8)

  // mmapkit: readOnly mapping, warmed like in bench.mjs.
  const file = MemoryMappedFile.openRo(path)
  file.advise('willNeed')
  const chunk = Buffer.alloc(1 << 20)
  for (let at = 0; at < size; at += chunk.length)
    file.readInto(at, chunk.subarray(0, Math.min(chunk.length, size - at)))
  const view = file.asBuffer()

  // mmap-io: its usual read-only use (PROT_READ, MAP_SHARED), MADV_WILLNEED, every page touched.
  let mmapIoFd = null
  let mmapIoBuffer = null
  if (mmapIo) {
    mmapIoFd = openSync(path, 'r')
    mmapIoBuffer = mmapIo.map(size, mmapIo.PROT_READ, mmapIo.MAP_SHARED, mmapIoFd, 0, mmapIo.MADV_WILLNEED)
    for (let at = 0; at < size; at += chunk.length) mmapIoBuffer.copy(chunk, 0, at, Math.min(at + chunk.length, size))
  }
  const fd = openSync(path, 'r')

  const runC = () => {
    const run = spawnSync(
      refBinary,
      [path, ops.read4k, ops.read8Random, ops.read8Hot, hotWindow, seeds.read4k, seeds.read8Random, seeds.read8Hot].map(
        String,
      ),
      { encoding: 'utf8' },
    )
    if (run.status !== 0) throw new Error(`ref failed (${run.status}): ${run.stderr}`)
    return JSON.parse(run.stdout)
  }

  // Every reader must read the same bytes at the same offsets (untimed, also a JIT warm-up).
  const sums = {}
  for (const [key, target] of [
    ['read4k', block],
    ['read8hot', word],
    ['read8rand', word],
  ]) {
    const list = offsets[key]
    const n = list.length
    const expected = readIntoLoop(file, target, list, n)
    const others = { readSync: readSyncLoop(fd, target, list, n), viewCopy: viewCopyLoop(view, target, list, n) }
    if (mmapIo) others.mmapIo = mmapIoCopyLoop(mmapIoBuffer, target, list, n)
    for (const [name, sum] of Object.entries(others)) {
      if (sum !== expected) throw new Error(`${key}: ${name} read other bytes than readInto (${sum} vs ${expected})`)
    }
    sums[key] = expected
  }
  if (refBinary) {
    const reference = runC()
    for (const [key] of groups) {
      const align = key === 'read4k' ? 4096 : 8
      const jsOffsets = offsetsChecksum(offsets[key], align)
      if (reference[key].offsetsChecksum !== jsOffsets || reference[key].bytesChecksum !== sums[key]) {
        throw new Error(`${key}: the C reference read other blocks than JS (${JSON.stringify(reference[key])})`)
      }
    }
    console.log('checked: JS and C read the same offsets and the same bytes\n')
  }

  for (let round = 0; round < rounds; round++) {
    const roundStart = process.hrtime.bigint()
    for (const [key, target, nMmap, nFs] of [
      ['read4k', block, ops.read4k, ops.read4k],
      ['read8hot', word, ops.read8Hot, ops.read8HotFs],
      ['read8rand', word, ops.read8Random, ops.read8RandomFs],
    ]) {
      const list = offsets[key]
      const runs = [
        () => timed(`${key}.readInto`, nMmap, () => readIntoLoop(file, target, list, nMmap)),
        () => timed(`${key}.readSync`, nFs, () => readSyncLoop(fd, target, list, nFs)),
      ]
      runs.push(() => timed(`${key}.viewCopy`, nMmap, () => viewCopyLoop(view, target, list, nMmap)))
      if (mmapIo) {
        runs.push(() => timed(`${key}.mmapIo`, nMmap, () => mmapIoCopyLoop(mmapIoBuffer, target, list, nMmap)))
      }
      for (const run of rotate(runs, round)) run()
    }
    for (const run of rotate(
      [
        () => timed('open.mmapkit', 20_000, () => openCloseLoop(path, 20_000)),
        () => timed('open.readSync', 20_000, () => fsOpenCloseLoop(path, 20_000)),
      ],
      round,
    ))
      run()
    if (refBinary) {
      const reference = runC()
      for (const [key] of groups) cases.get(`${key}.c`).samples.push(reference[key].nsPerOp)
      cases.get('seq.c').samples.push(reference.seqSum.nsPer4k)
      cases.get('open.c').samples.push(reference.open.nsOpenClose)
      cases.get('open.cMap').samples.push(reference.open.nsOpenMapClose)
    }
    console.log(`round ${round + 1}/${rounds} done in ${formatNs(Number(process.hrtime.bigint() - roundStart))}`)
  }

  closeSync(fd)
  if (mmapIoFd !== null) closeSync(mmapIoFd)
  file.close()

  // -------------------------------------------------------------------------------------------

  const medians = Object.fromEntries([...cases.values()].map((c) => [c.id, median(c.samples)]))
  const rows = []
  let lastGroup = null
  for (const c of cases.values()) {
    const [key] = c.id.split('.')
    const fs = medians[`${key}.readSync`]
    const reference = key === 'open' ? null : medians[`${key}.c`]
    rows.push([
      c.group === lastGroup ? '' : c.group,
      c.label,
      formatNs(medians[c.id]),
      formatNumber(1e9 / medians[c.id]),
      fs ? formatRatio(fs / medians[c.id]) : '',
      reference ? `${(medians[c.id] / reference).toFixed(1)}x` : '',
    ])
    lastGroup = c.group
  }
  console.log(`\nmedians of ${rounds} rounds; vs node:fs = fs time / this time (above 1x: faster than fs);`)
  console.log('vs C = this time / C time (how far from the hardware)\n')
  console.log(textTable(['group', 'implementation', 'median', 'ops/s', 'vs node:fs', 'vs C'], rows))
  if (refBinary) {
    const gbPerSecond = 4096 / medians['seq.c']
    console.log(`\nC sequential read of the whole mapping: ${gbPerSecond.toFixed(1)} GB/s (median)`)
  }

  if (!args['no-save']) {
    const result = {
      benchmark: 'npm run bench:peers (benchmark/peers/run.mjs)',
      date: new Date().toISOString(),
      machine,
      fileSize: size,
      rounds,
      opsPerSample: ops,
      seeds,
      hotWindowBytes: hotWindow,
      peers: { mmapIo: mmapIoInfo, reference: refInfo },
      note: 'ns per operation; seq.c: ns per 4 KiB of a sequential sum over the whole file',
      cases: Object.fromEntries(
        [...cases.values()].map((c) => [
          c.id,
          { group: c.group, label: c.label, median: medians[c.id], samples: c.samples },
        ]),
      ),
    }
    console.log(`\nwrote ${await saveResult(result, 'peers-')}`)
  }
} finally {
  rmSync(workDir, { recursive: true, force: true })
}
