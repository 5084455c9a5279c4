'use strict'
// A generation number per mapping, bumped by close() and resize(): batches of zero-copy views taken
// before (lib/batches.js) are then stale, and iterators over them stop with ERR_MMAP_CLOSED instead
// of yielding the zeros that retired views read.

/** file -> { generation } */
const states = new WeakMap()

/** The live state object of `file` (a MemoryMappedFile), made on first use. */
function stateOf(file) {
  let state = states.get(file)
  if (state === undefined) states.set(file, (state = { generation: 0 }))
  return state
}

/** Marks every batch of `file` taken so far as stale. */
function retire(file) {
  stateOf(file).generation++
}

module.exports = { stateOf, retire }
