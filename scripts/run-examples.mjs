#!/usr/bin/env node
// Type-checks and runs every example in examples/ and checks its output (`npm run test:examples`).
//
//   node scripts/run-examples.mjs [NAME...]   # e.g. `node scripts/run-examples.mjs ipc`
//
// Each example runs as `node --import @oxc-node/core/register examples/NAME.ts` from the repo root,
// with a 30 s timeout, and passes if it exits 0 and its stdout meets the expectation below. Every
// examples/*.ts needs an expectation here, so a new example cannot go untested. Prints one line per
// check and ends with the line `N passed, M failed`; exits 1 if any failed.
import { spawn } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = dirname(dirname(fileURLToPath(import.meta.url)))
const TIMEOUT_MS = 30_000

/** A check that passes if every regex matches stdout; returns a failure reason or null. */
const matches =
  (...regexes) =>
  (stdout) => {
    const missing = regexes.filter((regex) => !regex.test(stdout))
    return missing.length > 0 ? `stdout does not match ${missing.join(', ')}` : null
  }

/** @type {Record<string, (stdout: string) => string | null>} */
const EXPECTATIONS = {
  'read-header.ts': matches(
    /^image\.png: PNG image \(89504e470d0a1a0a\)$/m,
    /^notes\.txt\.gz: gzip data \(1f8b\)$/m,
    /^program\.elf: ELF executable \(7f454c46\)$/m,
    /^notes\.txt: text, first line: "Memory-mapped files are fun\."$/m,
    /^empty\.bin: empty file$/m,
  ),
  'ipc.ts': (stdout) => {
    const received = [...stdout.matchAll(/^reader: message (\d+)$/gm)].map((match) => Number(match[1]))
    if (received.join() !== Array.from({ length: 20 }, (_, i) => i + 1).join()) {
      return `the reader printed messages [${received}], not 1..20 in order`
    }
    return matches(
      /^reader: received 20 messages in order$/m,
      /^writer: published 20 messages and 'bye', flushed$/m,
      /^reader process exited with code 0$/m,
    )(stdout)
  },
  'modify-in-place.ts': matches(
    /^uppercased \d+ letters in \d+ bytes, flushed$/m,
    /^verified with fs\.readFileSync; it starts with: THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG: /m,
  ),
  'worker-reads.ts': (stdout) => {
    const single = /^1 thread: +sum (\d+) /m.exec(stdout)?.[1]
    const parallel = /^\d+ workers: sum (\d+) /m.exec(stdout)?.[1]
    if (!single || single !== parallel) return `sums differ or are missing: ${single} vs ${parallel}`
    if (Number(single) < 32 * 2 ** 20 * 100) return `sum ${single} is implausibly small for 32 MiB of random bytes`
    return matches(/^file: 33554432 bytes$/m, /^match: yes$/m)(stdout)
  },
  'zero-every-other-byte.ts': matches(
    /^zeroed 33554432 of 67108864 bytes in \d+ ms$/m,
    /^verified: even bytes are 0, odd bytes unchanged$/m,
  ),
  'parallel-lines.ts': (stdout) => {
    const workers = [...stdout.matchAll(/^ {2}worker \d+: bytes (\d+)\.\.(\d+), (\d+) lines$/gm)]
    if (workers.length < 2) return `expected at least 2 workers, saw ${workers.length}`
    // The ranges are contiguous and cover the file; their lines add up to the file's.
    const size = Number(/^file: (\d+) bytes, (\d+) lines;/m.exec(stdout)?.[1])
    const lines = Number(/^file: \d+ bytes, (\d+) lines;/m.exec(stdout)?.[1])
    let at = 0
    for (const [, start, end] of workers) {
      if (Number(start) !== at) return `a worker range starts at ${start}, not ${at}`
      at = Number(end)
    }
    if (at !== size) return `the worker ranges end at ${at}, not at the file size ${size}`
    const sum = workers.reduce((total, match) => total + Number(match[3]), 0)
    if (sum !== lines || lines !== 200000) return `workers saw ${sum} lines, the file has ${lines}`
    return matches(/^ {2}ERROR 33333$/m, /^error latency total: \d+ ms$/m, /^match: yes$/m)(stdout)
  },
  'embeddings.ts': matches(
    /^file: 51200016 bytes, 200000 vectors of 64 float32$/m,
    /^ {2}vector \d+: \d+\.\d{4}$/m,
    /^same answer as the heap copy: yes$/m,
  ),
  'log-analyzer.ts': (stdout) => {
    const rows = [...stdout.matchAll(/^ {2}"(.+?)" +(\d+) +[\d.]+% +ok$/gm)].map((match) => match[1])
    if (rows.join() !== ' ERROR , WARN , INFO ,timeout,user=alice') return `pattern rows: [${rows}]`
    return matches(/: \d+ bytes, 200000 lines \(scanned in \d+ ms\)$/m, /^all counts match the JS reference$/m)(stdout)
  },
}

/** Runs a command from the repo root; resolves with its exit code (null if killed) and output. */
function run(args) {
  return new Promise((resolve) => {
    // A process group of its own (not on Windows), so a timeout also kills forked grandchildren.
    const detached = process.platform !== 'win32'
    const child = spawn(process.execPath, args, { cwd: root, detached, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (data) => (stdout += data))
    child.stderr.setEncoding('utf8').on('data', (data) => (stderr += data))
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      try {
        if (detached) process.kill(-child.pid, 'SIGKILL')
        else child.kill('SIGKILL')
      } catch {
        // already gone
      }
    }, TIMEOUT_MS)
    child.on('error', (error) => (stderr += String(error)))
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr, timedOut })
    })
  })
}

const only = process.argv.slice(2).map((name) => name.replace(/(\.ts)?$/, '.ts'))
const examples = readdirSync(join(root, 'examples'))
  .filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts') && !name.startsWith('demo.'))
  .filter((name) => only.length === 0 || only.includes(name))
  .sort()

let passed = 0
let failed = 0
function report(name, seconds, failure, output) {
  if (failure === null) {
    passed++
    console.log(`ok    ${name} (${seconds.toFixed(1)} s)`)
  } else {
    failed++
    console.log(`FAIL  ${name} (${seconds.toFixed(1)} s): ${failure}`)
    const text = output.trimEnd()
    if (text) console.log(text.replace(/^/gm, '      | '))
  }
}

async function check(name, args, expectation) {
  const start = performance.now()
  const { code, stdout, stderr, timedOut } = await run(args)
  const seconds = (performance.now() - start) / 1000
  let failure = null
  if (timedOut) failure = `timed out after ${TIMEOUT_MS / 1000} s`
  else if (code !== 0) failure = `exit code ${code}`
  else failure = expectation(stdout)
  report(name, seconds, failure, failure === null ? '' : stdout + stderr)
}

if (only.length === 0) {
  const tsc = join('node_modules', 'typescript', 'bin', 'tsc')
  await check('type-check (tsc -p examples/tsconfig.json)', [tsc, '-p', 'examples/tsconfig.json'], () => null)
}
for (const name of examples) {
  const expectation = EXPECTATIONS[name] ?? (() => 'no expectation for it in scripts/run-examples.mjs')
  await check(name, ['--import', '@oxc-node/core/register', join('examples', name)], expectation)
}
for (const name of only.filter((name) => !examples.includes(name))) report(name, 0, 'no such example', '')

console.log(`${passed} passed, ${failed} failed`)
process.exitCode = failed > 0 ? 1 : 0
