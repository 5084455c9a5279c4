// What counts as a typed error (the contract's Errors table), and the failure type the fuzz
// properties throw when the library misbehaves.

/** Thrown by a property when the library broke the contract; carries a short description. */
export class ContractViolation extends Error {
  name = 'ContractViolation'
}

export function violation(message) {
  return new ContractViolation(message)
}

const TYPE_ERROR_CODES = new Set(['ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_VALUE', 'ERR_INVALID_THIS'])
const RANGE_ERROR_CODES = new Set(['ERR_OUT_OF_RANGE', 'ERR_MMAP_MISALIGNED'])
const PLAIN_ERROR_CODES = new Set([
  'ERR_MMAP_CLOSED',
  'ERR_MMAP_READ_ONLY',
  'ERR_MMAP_INVALID_MODE',
  'ERR_MMAP_TRUNCATED',
  'ERR_MMAP_CORRUPT',
  'ERR_MMAP_NOT_REGULAR_FILE',
  'ERR_MMAP_NO_ZERO_COPY',
  'ERR_ILLEGAL_CONSTRUCTOR',
])

function describeError(error) {
  if (!(error instanceof Error)) return `a thrown non-Error ${typeof error}: ${String(error)}`
  return `${error.constructor?.name ?? 'Error'}${error.code === undefined ? '' : ` [${String(error.code)}]`}: ${error.message}`
}

/**
 * Checks that `error` is a typed error of the contract; returns a description of what is wrong,
 * or null. `allowed`, if given, is the set of codes this call may throw.
 * @param {unknown} error
 * @param {Iterable<string>} [allowed]
 */
export function typedErrorProblem(error, allowed) {
  if (!(error instanceof Error)) return `threw ${describeError(error)}`
  const { code } = /** @type {any} */ (error)
  if (typeof code !== 'string') return `untyped error (no string code): ${describeError(error)}`
  if (code === 'ABORT_ERR') {
    if (error.name !== 'AbortError') return `ABORT_ERR with name ${error.name}`
  } else if (TYPE_ERROR_CODES.has(code)) {
    if (error.constructor !== TypeError) return `${code} should be a TypeError: ${describeError(error)}`
  } else if (RANGE_ERROR_CODES.has(code)) {
    if (error.constructor !== RangeError) return `${code} should be a RangeError: ${describeError(error)}`
  } else if (PLAIN_ERROR_CODES.has(code)) {
    if (error.constructor !== Error) return `${code} should be a plain Error: ${describeError(error)}`
  } else if (/^E[A-Z0-9]+$/.test(code)) {
    const { errno, syscall } = /** @type {any} */ (error)
    if (typeof errno !== 'number' || typeof syscall !== 'string') {
      return `OS error ${code} without errno/syscall: ${describeError(error)}`
    }
  } else {
    return `not a Node/contract code: ${describeError(error)}`
  }
  if (allowed) {
    const set = new Set(allowed)
    if (!set.has(code)) return `expected ${[...set].join(' or ')}, got ${describeError(error)}`
  }
  return null
}

/** Throws a ContractViolation unless `error` is typed (and among `allowed`). */
export function expectTyped(error, allowed, what) {
  const problem = typedErrorProblem(error, allowed)
  if (problem) {
    const v = violation(`${what}: ${problem}`)
    v.cause = error
    throw v
  }
}

/** Runs `fn`; returns `{ ok: true, value }` or `{ ok: false, error }`. Never lets a violation pass as an error. */
export function attempt(fn) {
  try {
    return { ok: true, value: fn() }
  } catch (error) {
    if (error instanceof ContractViolation) throw error
    return { ok: false, error }
  }
}

export async function attemptAsync(fn) {
  try {
    return { ok: true, value: await fn() }
  } catch (error) {
    if (error instanceof ContractViolation) throw error
    return { ok: false, error }
  }
}

export { describeError }
