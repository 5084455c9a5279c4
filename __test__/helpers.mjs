// Shared fixtures for the ava specs: temp files, hashing, and error-shape assertions.
// Plain ESM with JSDoc types: ava 7 on Node 20 loads specs through require(esm), where a spec's
// own TypeScript imports cannot be transpiled, so shared code is JavaScript (type-checked by tsc).
import { spawn, spawnSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** @typedef {import('ava').ExecutionContext} ExecutionContext */

/**
 * A fresh temp directory, removed when the test ends.
 * @param {ExecutionContext} t
 * @returns {string}
 */
export function tempDir(t) {
  const dir = mkdtempSync(join(tmpdir(), 'mmapkit-test-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/**
 * A temp file with `contents` (default: 10,000 random bytes); returns its path.
 * @param {ExecutionContext} t
 * @param {Uint8Array | string} [contents]
 * @param {string} [name]
 */
export function tempFile(t, contents = randomBytes(10_000), name = 'data.bin') {
  const path = join(tempDir(t), name)
  writeFileSync(path, contents)
  return path
}

/** @param {string} path */
export function sha256(path) {
  return createHash('sha256').update(readFileSync(path)).digest('hex')
}

/**
 * @typedef {object} ErrorShape
 * @property {string} code
 * @property {Function} [class] the exact class (Error, TypeError, RangeError)
 * @property {string} [name]
 * @property {RegExp | string} [message]
 */

/**
 * Asserts that `fn` throws an error of exactly this class and code.
 * @param {ExecutionContext} t
 * @param {() => unknown} fn
 * @param {ErrorShape} shape
 * @param {string} [label]
 * @returns {(Error & Record<string, unknown>) | undefined}
 */
export function throwsLike(t, fn, shape, label = '') {
  const error = /** @type {(Error & Record<string, unknown>) | undefined} */ (t.throws(fn, undefined, label))
  if (error) checkShape(t, error, shape, label)
  return error
}

/**
 * Asserts that `promise` rejects with an error of exactly this class and code.
 * @param {ExecutionContext} t
 * @param {Promise<unknown>} promise
 * @param {ErrorShape} shape
 * @param {string} [label]
 * @returns {Promise<(Error & Record<string, unknown>) | undefined>}
 */
export async function rejectsLike(t, promise, shape, label = '') {
  const error = /** @type {(Error & Record<string, unknown>) | undefined} */ (
    await t.throwsAsync(promise, undefined, label)
  )
  if (error) checkShape(t, error, shape, label)
  return error
}

/**
 * @param {ExecutionContext} t
 * @param {Error & Record<string, unknown>} error
 * @param {ErrorShape} shape
 * @param {string} label
 */
function checkShape(t, error, shape, label) {
  t.is(error.code, shape.code, `${label}: code (message: ${error.message})`)
  if (shape.class) t.is(Object.getPrototypeOf(error), shape.class.prototype, `${label}: class`)
  if (shape.name) t.is(error.name, shape.name, `${label}: name`)
  if (typeof shape.message === 'string') t.is(error.message, shape.message, `${label}: message`)
  else if (shape.message) t.regex(error.message, shape.message, `${label}: message`)
}

/**
 * A world-readable copy of the package (package.json, the root's .js/.node files, `bin/` and
 * `lib/`), for children run as an unprivileged user: the checkout itself may sit in a directory
 * only root can enter (as `mktemp -d` makes). Removed when the test ends.
 * @param {ExecutionContext} t
 * @returns {{ root: string, binding: string, bin: string }}
 */
export function readableCopy(t) {
  const source = dirname(dirname(fileURLToPath(import.meta.url)))
  const root = mkdtempSync(join(tmpdir(), 'mmapkit-package-'))
  t.teardown(() => rmSync(root, { recursive: true, force: true }))
  for (const name of readdirSync(source)) {
    if (name === 'package.json' || /\.(c?js|mjs|node)$/.test(name) || name === 'bin' || name === 'lib') {
      cpSync(join(source, name), join(root, name), { recursive: true, dereference: true })
    }
  }
  /** @param {string} path */
  const open = (path) => {
    chmodSync(path, 0o755)
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const child = join(path, entry.name)
      if (entry.isDirectory()) open(child)
      else chmodSync(child, 0o644)
    }
  }
  open(root)
  if (!existsSync(join(root, 'index.js'))) throw new Error(`no index.js in ${source}`)
  return { root, binding: join(root, 'index.js'), bin: join(root, 'bin', 'mmapkit.mjs') }
}

/** How long a child of `runChild` may run before it counts as hung (the busiest CI machine fits). */
const BOUND_MS = 90_000
const INDEX = fileURLToPath(new URL('../index.js', import.meta.url))

/**
 * Waits for `child` to end, killing it after 90 s (then `hung: true`). Judged on 'close', not
 * 'exit': only then has all of the child's output been read.
 * @param {import('node:child_process').ChildProcess} child
 * @returns {Promise<{ code: number | null, signal: NodeJS.Signals | null, hung: boolean }>}
 */
export function ended(child) {
  return new Promise((resolve) => {
    let hung = false
    const timer = setTimeout(() => {
      hung = true
      child.kill('SIGKILL')
    }, BOUND_MS)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, hung })
    })
  })
}

/**
 * Runs `code` (CommonJS, with `binding` = the path of the package's index.js in scope) in a child
 * process; resolves with how it ended and its stdout + stderr.
 * @param {string} code
 * @param {string[]} [args]
 */
export function runChild(code, args = []) {
  const child = spawn(process.execPath, ['-e', `const binding = ${JSON.stringify(INDEX)};\n${code}`, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (d) => (output += d))
  child.stderr.on('data', (d) => (output += d))
  return ended(child).then(({ code, signal, hung }) => ({ code, signal, hung, output }))
}

/**
 * Runs `script` (CommonJS, with `binding` = the path of the package's index.js and `codeOf(call)` =
 * the code of the error `call` throws, or 'no error', in scope) in a child, waiting for it; asserts
 * that it exited normally and returns the JSON it printed. For cases that may kill a process.
 * @param {ExecutionContext} t
 * @param {string} script
 * @param {number} [timeout] ms before the child is killed (then the test fails)
 * @returns {Record<string, unknown>}
 */
export function jsonChild(t, script, timeout = 120_000) {
  const run = spawnSync(
    process.execPath,
    [
      '-e',
      `const binding = ${JSON.stringify(INDEX)}
      const codeOf = (call) => { try { call(); return 'no error' } catch (error) { return error.code } }
      ${script}`,
    ],
    { encoding: 'utf8', timeout },
  )
  t.is(run.signal, null, `the child was killed by ${run.signal}: ${run.stderr}`)
  t.is(run.status, 0, run.stderr)
  return JSON.parse(run.stdout)
}
