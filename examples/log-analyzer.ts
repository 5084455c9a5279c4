// A log analyzer: counts lines and several fixed strings at once, each scan running off the JS
// thread (and itself split across cores), then checks the numbers against plain JavaScript.
//
//   node --import @oxc-node/core/register examples/log-analyzer.ts [LOGFILE] [PATTERN...]
//
// Without arguments it generates a ~16 MiB log file in a temp dir.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { MemoryMappedFile } from 'mmapkit'

// `count` counts occurrences of a fixed string. Patterns that occur at most once per line, like
// the level field here, therefore count matching lines.
const DEFAULT_PATTERNS = [' ERROR ', ' WARN ', ' INFO ', 'timeout', 'user=alice']

function generateLog(path: string, lines: number): void {
  const levels = ['INFO', 'INFO', 'INFO', 'DEBUG', 'WARN', 'ERROR']
  const users = ['alice', 'bob', 'carol']
  const out: string[] = []
  let seed = 42 // a small deterministic PRNG, so every run generates the same log
  const random = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 16) % n
  for (let i = 0; i < lines; i++) {
    const level = levels[random(levels.length)]
    const what = random(10) === 0 ? 'upstream timeout after 30000 ms' : `GET /api/items/${random(1000)} 200`
    out.push(`2024-05-01T12:${String(i % 60).padStart(2, '0')}:00Z ${level} user=${users[random(3)]} ${what}\n`)
  }
  writeFileSync(path, out.join(''))
}

/** The JS reference: the same counts with Buffer.indexOf over a zero-copy view of the mapping. */
function countInJs(data: Buffer, pattern: string): number {
  const needle = Buffer.from(pattern)
  let n = 0
  for (let at = data.indexOf(needle); at !== -1; at = data.indexOf(needle, at + needle.length)) n++
  return n
}

const [pathArg, ...patternArgs] = process.argv.slice(2)
const patterns = patternArgs.length > 0 ? patternArgs : DEFAULT_PATTERNS
const tempDir = pathArg ? undefined : mkdtempSync(join(tmpdir(), 'mmapkit-logs-'))
const path = pathArg ?? join(tempDir!, 'app.log')
if (tempDir) generateLog(path, 200_000)

try {
  using file = MemoryMappedFile.openRo(path)

  // Start every scan at once; Promise.all waits for all of them. The JS thread stays free
  // meanwhile (a server could keep answering requests), and a signal bounds the whole job.
  const signal = AbortSignal.timeout(20_000)
  const start = performance.now()
  const [lines, ...counts] = await Promise.all([
    file.countLinesAsync({ signal }),
    ...patterns.map((pattern) => file.countAsync(pattern, { signal })),
  ])
  const ms = performance.now() - start

  console.log(`${path}: ${file.length} bytes, ${lines} lines (scanned in ${ms.toFixed(0)} ms)`)
  console.log(`  ${'pattern'.padEnd(14)} ${'count'.padStart(8)}  ${'% lines'.padStart(7)}  JS check`)
  const data = file.asBuffer() // a zero-copy view of the whole file, for the JS reference
  let mismatches = 0
  for (const [i, pattern] of patterns.entries()) {
    const expected = countInJs(data, pattern)
    const percent = lines > 0 ? ((100 * counts[i]) / lines).toFixed(1) : '0.0'
    const check = counts[i] === expected ? 'ok' : `MISMATCH, JS counts ${expected}`
    console.log(
      `  ${JSON.stringify(pattern).padEnd(14)} ${String(counts[i]).padStart(8)}  ${`${percent}%`.padStart(7)}  ${check}`,
    )
    if (counts[i] !== expected) mismatches++
  }
  if (lines !== countInJs(data, '\n')) throw new Error('line count mismatch')
  if (mismatches > 0) throw new Error(`${mismatches} counts differ from the JS reference`)
  console.log('all counts match the JS reference')
} finally {
  if (tempDir) rmSync(tempDir, { recursive: true, force: true })
}
