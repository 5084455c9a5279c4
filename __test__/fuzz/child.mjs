// One fuzz run in a child process (started by scripts/fuzz.mjs), so a signal, an abort or a hang
// is seen from outside. Argument: a JSON config.
//   { mode: 'check', property, seed, numRuns, known, progress }: runs the property `numRuns` times
//     with fast-check, recording each input in the `progress` file before running it; prints one
//     result line `FUZZ-RESULT {...}` (passed, or the seed, path, shrunk counterexample, error).
//   { mode: 'replay', property, known, input }: runs one input; exit 0 if it holds, 1 if not.
import fc from 'fast-check'
import { writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'

import { setKnownMode } from './known.mjs'

const config = JSON.parse(process.argv[2])
setKnownMode(config.known)
const { PROPERTIES } = await import('./properties.mjs')
const property = PROPERTIES[config.property]
if (!property) throw new Error(`unknown property ${config.property}`)
const M = createRequire(import.meta.url)('../../index.js')
const ctx = { M: M.MemoryMappedFile, lib: M }

function errorText(error) {
  if (!(error instanceof Error)) return String(error)
  const cause = error.cause instanceof Error ? `\n  cause: ${error.cause.stack}` : ''
  return `${error.message}${cause}`
}

if (config.mode === 'replay') {
  try {
    await property.run(config.input, ctx)
    process.exitCode = 0
  } catch (error) {
    process.stdout.write(`FUZZ-REPLAY-FAILED ${errorText(error)}\n`)
    process.exitCode = 1
  }
} else {
  let runIndex = 0
  const prop = fc.asyncProperty(property.arbitrary(), async (input) => {
    // Record what is about to run: if this process dies or hangs, the parent knows the input.
    writeFileSync(config.progress, JSON.stringify({ run: runIndex++, input }))
    await property.run(input, ctx)
  })
  const result = await fc.check(prop, { seed: config.seed, numRuns: config.numRuns, endOnFailure: false })
  const out = result.failed
    ? {
        passed: false,
        seed: result.seed,
        path: result.counterexamplePath,
        counterexample: result.counterexample?.[0],
        error: errorText(result.errorInstance ?? result.error),
        numRuns: result.numRuns,
        numShrinks: result.numShrinks,
      }
    : { passed: true, numRuns: result.numRuns }
  process.stdout.write(`FUZZ-RESULT ${JSON.stringify(out)}\n`)
}
