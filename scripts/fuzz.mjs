#!/usr/bin/env node
// Runs the fuzz properties of __test__/fuzz/, each in a child process, so that a signal (SIGSEGV,
// SIGBUS, an abort) or a hang counts as a failure instead of ending the run.
//
//   npm run test:fuzz               the bounded, seeded pass of `npm test` (fixed seed and runs)
//   npm run fuzz                    a longer pass with a random seed (printed)
//   npm run fuzz -- --runs 5000 --seed 42 --only files,ring --known --timeout 20
//
// Options (also as env: FUZZ_RUNS, FUZZ_SEED, FUZZ_ONLY, FUZZ_KNOWN=1):
//   --bounded      the `npm test` pass: seed 20261130, each property's own run count
//   --runs N       runs per property (default: 10x the bounded count)
//   --seed S       the seed (default: random, printed)
//   --only a,b     only these properties (files, reentrancy, ring, truncation, special)
//   --known        also generate the known-broken inputs of __test__/fuzz/known.mjs (expected to fail)
//   --timeout S    a run that makes no progress for S seconds is a hang (default 15; --bounded: 60)
//   --replay FILE  run one saved counterexample (a JSON file { property, input }) in a child
//
// A failure prints the property, the seed, the fast-check path, the shrunk counterexample and the
// error; a crash or hang is shrunk by replaying candidates in fresh children. Exit 1 on any failure.
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

import fc from 'fast-check'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const childPath = join(root, '__test__', 'fuzz', 'child.mjs')
const BOUNDED_SEED = 20261130

const { values: flags } = parseArgs({
  options: {
    bounded: { type: 'boolean', default: false },
    runs: { type: 'string' },
    seed: { type: 'string' },
    only: { type: 'string' },
    known: { type: 'boolean', default: process.env.FUZZ_KNOWN === '1' },
    timeout: { type: 'string' },
    replay: { type: 'string' },
  },
})

const { setKnownMode } = await import('../__test__/fuzz/known.mjs')
setKnownMode(flags.known)
const { PROPERTIES } = await import('../__test__/fuzz/properties.mjs')

// the bounded pass runs beside other work (CI, six engineers): only a long stall is a hang there
const stallMs = Number(flags.timeout ?? (flags.bounded ? 60 : 15)) * 1000
const seed = Number(flags.seed ?? process.env.FUZZ_SEED ?? (flags.bounded ? BOUNDED_SEED : Date.now() % 2 ** 31))
const runsOverride = flags.runs ?? process.env.FUZZ_RUNS
const only = (flags.only ?? process.env.FUZZ_ONLY)?.split(',').filter(Boolean)
const work = mkdtempSync(join(tmpdir(), 'mmapkit-fuzz-run-'))

/**
 * Runs the child with `config`; kills it when its progress file stops changing for `stallMs`.
 * @returns {Promise<{ code: number | null, signal: string | null, stdout: string, stderr: string, hung: boolean }>}
 */
function runChild(config, { progress } = {}) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [childPath, JSON.stringify(config)], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    let last = ''
    let lastChange = Date.now()
    let hung = false
    const watchdog = setInterval(() => {
      let now = ''
      try {
        now = progress ? readFileSync(progress, 'utf8') : ''
      } catch {}
      if (now !== last) {
        last = now
        lastChange = Date.now()
      } else if (Date.now() - lastChange > stallMs) {
        hung = true
        child.kill('SIGKILL')
      }
    }, 250)
    child.on('close', (code, signal) => {
      clearInterval(watchdog)
      resolve({ code, signal, stdout, stderr, hung })
    })
  })
}

function resultLine(stdout) {
  const line = stdout.split('\n').find((l) => l.startsWith('FUZZ-RESULT '))
  return line ? JSON.parse(line.slice('FUZZ-RESULT '.length)) : null
}

function how(outcome) {
  if (outcome.hung) return `hung (no progress for ${stallMs / 1000} s; killed)`
  if (outcome.signal) return `killed by ${outcome.signal}`
  return `exited with code ${outcome.code}`
}

/** Replays one input in a fresh child: null if it holds, else how it failed. */
async function replay(name, input) {
  const progress = join(work, `replay-${name}.json`)
  writeFileSync(progress, 'start')
  const outcome = await runChild({ mode: 'replay', property: name, known: flags.known, input }, { progress })
  if (outcome.code === 0 && !outcome.hung) return null
  const text = outcome.stdout.split('\n').find((l) => l.startsWith('FUZZ-REPLAY-FAILED ')) ?? ''
  return `${how(outcome)}${text ? `: ${text.slice('FUZZ-REPLAY-FAILED '.length)}` : ''}${outcome.signal ? `\n  stderr: ${outcome.stderr.slice(-800)}` : ''}`
}

/**
 * A crash or hang at run `run` of `seed`: shrink it by replaying fast-check's shrinks of that input
 * in fresh children (each candidate that still fails is kept), within a time budget.
 */
async function shrinkCrash(name, run, budgetMs) {
  let last = null
  const property = fc.asyncProperty(PROPERTIES[name].arbitrary(), async (input) => {
    const failure = await replay(name, input)
    if (failure) {
      last = { input, failure }
      return false
    }
    return true
  })
  const result = await fc.check(property, {
    seed,
    path: String(run),
    numRuns: 1,
    interruptAfterTimeLimit: budgetMs,
  })
  return { result, last }
}

async function fuzzProperty(name) {
  const property = PROPERTIES[name]
  const numRuns = runsOverride ? Number(runsOverride) : flags.bounded ? property.runs : property.runs * 10
  const progress = join(work, `progress-${name}.json`)
  writeFileSync(progress, '')
  const started = Date.now()
  const outcome = await runChild(
    { mode: 'check', property: name, seed, numRuns, known: flags.known, progress },
    { progress },
  )
  const seconds = ((Date.now() - started) / 1000).toFixed(1)
  const result = resultLine(outcome.stdout)
  if (result?.passed) {
    console.log(`ok   ${name}: ${result.numRuns} runs, seed ${seed}, ${seconds} s`)
    return true
  }
  console.log(`FAIL ${name} (seed ${seed}, ${seconds} s)`)
  if (result) {
    console.log(
      `  replay: npm run fuzz -- --only ${name} --seed ${seed} --runs ${numRuns}${flags.known ? ' --known' : ''}`,
    )
    console.log(`  fast-check path: ${result.path}`)
    console.log(`  counterexample (shrunk): ${JSON.stringify(result.counterexample)}`)
    console.log(`  error: ${result.error}`)
    return false
  }
  // The child died or hung: the progress file holds the input that was running.
  let last = null
  try {
    last = JSON.parse(readFileSync(progress, 'utf8'))
  } catch {}
  console.log(`  the child process ${how(outcome)}`)
  if (outcome.stderr) console.log(`  stderr: ${outcome.stderr.slice(-1500).replace(/\n/g, '\n    ')}`)
  if (!last) return false
  console.log(`  at run ${last.run}; input: ${JSON.stringify(last.input)}`)
  const budget = flags.bounded ? 60_000 : 300_000
  console.log(`  shrinking by replay in fresh children (at most ${budget / 1000} s)...`)
  const { result: shrunk, last: smallest } = await shrinkCrash(name, last.run, budget)
  if (smallest) {
    const file = join(tmpdir(), `mmapkit-fuzz-${name}-${seed}-${last.run}.json`)
    writeFileSync(file, JSON.stringify({ property: name, seed, run: last.run, input: smallest.input }))
    console.log(`  shrunk counterexample: ${JSON.stringify(smallest.input)}`)
    console.log(`  which ${smallest.failure}`)
    console.log(
      `  path: ${shrunk.counterexamplePath ?? `${last.run}`}; saved to ${file} (npm run fuzz -- --replay ${file})`,
    )
  } else {
    console.log('  the input did not fail again when replayed alone (state from earlier runs, or timing)')
  }
  return false
}

let ok = true
try {
  if (flags.replay) {
    const saved = JSON.parse(readFileSync(flags.replay, 'utf8'))
    const failure = await replay(saved.property, saved.input)
    console.log(failure ? `FAIL ${saved.property}: ${failure}` : `ok   ${saved.property}: the saved input holds`)
    ok = !failure
  } else {
    const names = only ?? Object.keys(PROPERTIES)
    for (const name of names) {
      if (!PROPERTIES[name]) throw new Error(`unknown property ${name}; have ${Object.keys(PROPERTIES).join(', ')}`)
    }
    console.log(
      `mmapkit fuzz: seed ${seed}${flags.bounded ? ' (bounded pass)' : ''}${flags.known ? ', known-broken inputs included' : ''}`,
    )
    // Two at a time: the machine has 2 cores, and the properties are independent.
    const results = []
    for (let i = 0; i < names.length; i += 2) {
      results.push(...(await Promise.all(names.slice(i, i + 2).map(fuzzProperty))))
    }
    ok = results.every(Boolean)
    if (!ok) console.log(`fuzz: failures above (seed ${seed})`)
  }
} finally {
  rmSync(work, { recursive: true, force: true })
}
process.exitCode = ok ? 0 : 1
