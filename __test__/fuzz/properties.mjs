// The fuzz properties, by name. Each has `arbitrary()` (fast-check inputs that are plain JSON, so a
// counterexample can be printed and replayed in another process), `run(input, ctx)` (throws a
// ContractViolation when the library breaks the contract), and its share of the bounded pass.
import * as fileOps from './file-ops.mjs'
import * as reentrancy from './reentrancy.mjs'
import * as ring from './ring-ops.mjs'
import * as special from './special.mjs'
import * as truncation from './truncation.mjs'

/** @type {Record<string, { arbitrary: () => any, run: (input: any, ctx: any) => Promise<void> | void, runs: number }>} */
export const PROPERTIES = {
  // runs: the bounded pass of `npm test` (about 45-60 s on 2 busy cores for all of them)
  files: { ...fileOps, runs: 3500 },
  reentrancy: { ...reentrancy, runs: 2200 },
  ring: { ...ring, runs: 1800 },
  truncation: { ...truncation, runs: 800 },
  special: { ...special, runs: 150 },
}
