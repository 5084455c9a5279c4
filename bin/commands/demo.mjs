import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'

import { parseSize } from '../lib/args.mjs'
import { EXIT_ERROR, EXIT_OK, UsageError } from '../lib/errors.mjs'
import { formatBytes, formatCount, formatDuration, formatRate, renderTable } from '../lib/format.mjs'
import { createProgress } from '../lib/progress.mjs'
import { generateLog } from '../lib/demo/generate.mjs'
import { memory, pageCache, random, search, sequential } from '../lib/demo/sections.mjs'
import { toolkit } from '../lib/demo/toolkit-rows.mjs'

export const summary = 'benchmark mmap against read() on a generated log file (npm run demo)'
export const usage = `Usage: mmapkit demo [--size 1G] [--dir DIR] [--keep] [--threads N] [--json]

Writes a log file of ~80-byte lines (SIZE bytes, default 1G; K, M, G, T suffixes) in a new
directory under DIR (default: the OS temp dir), then measures and prints, with the machine:
  - sequential line counts: mmap countLines on 1 thread vs read() in 1 MiB pieces (counted by the
    same native counter, and by a JS indexOf loop), and a JS indexOf loop over one mapped view
  - the parallel scan (N threads, default all cores) and its speedup over 1 thread, both on a
    mapping already faulted in
  - random 4 KiB reads: mmap readInto vs fs.readSync (pread), same seeded offsets, both warm
  - a first pass with the file evicted from the page cache (posix_fadvise DONTNEED via GNU dd or
    python3, checked with fincore) vs a second, warm pass
  - memory: RSS and anonymous RSS after mapping + scanning vs after reading the file into memory
  - pattern search: a rare 9-byte pattern planted a known number of times, and a common word,
    mmap count vs a JS Buffer.indexOf loop, checked against what was written
Times are medians of 3 to 7 runs (the evicted pass: 1 run). The file is removed afterwards
unless --keep. Exits 2 if any answer differs from what was written.

  --size SIZE  file size (default 1G, at least 1M)
  --dir DIR    where to create the file (default ${os.tmpdir()})
  --keep       keep the file (its path is printed)
  --threads N  threads for the parallel rows (default: all cores)
  --json       {"machine": {...}, "file": {...}, "rows": [...], "problems": []}`
export const options = ['size', 'dir', 'keep']

/** Smaller files would measure little but timer noise. */
const MIN_SIZE = 2 ** 20

/** What the rows measure, printed under the table. */
const LEGEND = [
  'time: median of 3 to 7 runs (evicted: 1 run); every mmap scan is vectorised native code (mmapkit).',
  'sequential: a fresh mapping per run (mapping and page faults included) vs read() into one reused',
  '  1 MiB buffer, counted by the same native counter or by a JS Buffer.indexOf(10) loop.',
  'mapped already / parallel: one mapping, faulted in, scanned on 1 thread and on N threads.',
  'random 4 KiB: 200,000 reads at the same seeded offsets, each copied into one 4 KiB Buffer; both warm.',
  'evicted / warm: posix_fadvise(DONTNEED) on the whole file, checked with fincore, then a fresh mapping.',
  'lines: counting lines and summing their lengths in JS; workers map their own window from splitRanges,',
  '  are started before the clock and each run is timed from "go" to the last answer.',
]

function machine() {
  return {
    cpu: os.cpus()[0]?.model.trim() || 'unknown CPU',
    cores: os.availableParallelism(),
    memory: os.totalmem(),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
  }
}

/** @param {import('../mmapkit.mjs').Context} ctx */
export async function run({ options, json, threads, out }) {
  const sizeText = options.get('size')
  const size = parseSize('size', typeof sizeText === 'string' ? sizeText : '1G')
  if (size < MIN_SIZE) throw new UsageError(`demo: --size must be at least 1M, not '${sizeText}'`)
  const dirText = options.get('dir')
  const keep = options.has('keep')
  const workDir = mkdtempSync(join(typeof dirText === 'string' ? dirText : os.tmpdir(), 'mmapkit-demo-'))
  const path = join(workDir, 'demo.log')
  const interactive = !json && process.stderr.isTTY === true
  const status = (/** @type {string} */ label) => {
    if (interactive) process.stderr.write(`\r  measuring: ${label}...\x1b[K`)
  }
  const cleanup = () => {
    if (interactive) process.stderr.write('\r\x1b[K')
    if (!keep) rmSync(workDir, { recursive: true, force: true })
  }
  // Ctrl-C, kill, a closed terminal: remove the file before leaving (every step yields to the event loop now and then).
  const onSignal = (/** @type {NodeJS.Signals} */ signal) => {
    cleanup()
    process.exit(128 + (os.constants.signals[signal] ?? 0))
  }
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal).on('SIGHUP', onSignal)
  try {
    const progress = createProgress('generating', size, { enabled: interactive })
    const started = performance.now()
    const generated = await generateLog(path, size, (done) => progress.update(done))
    const generateMs = performance.now() - started
    progress.finish()
    /** @type {import('../lib/demo/sections.mjs').Setup} */
    const setup = {
      path,
      generated,
      threads: threads ?? os.availableParallelism(),
      problems: [],
      status,
      footnotes: [],
    }
    const rows = [
      ...(await sequential(setup)),
      ...(await random(setup)),
      ...(await pageCache(setup)),
      ...(await memory(setup)),
      ...(await search(setup)),
      ...(await toolkit(setup)),
    ]
    if (interactive) process.stderr.write('\r\x1b[K')
    const host = machine()
    const file = { path, bytes: generated.bytes, lines: generated.lines, generateMs, kept: keep }
    if (json) {
      out(JSON.stringify({ machine: host, file, rows, problems: setup.problems }))
    } else {
      out(report(host, file, rows, setup.footnotes))
      if (keep) out(`\nkept ${path}`)
    }
    for (const problem of setup.problems) process.stderr.write(`mmapkit: demo: wrong answer: ${problem}\n`)
    return setup.problems.length > 0 ? EXIT_ERROR : EXIT_OK
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal).off('SIGHUP', onSignal)
    cleanup()
  }
}

/**
 * The human-readable report: machine, file, table.
 * @param {ReturnType<typeof machine>} host
 * @param {{ path: string, bytes: number, lines: number, generateMs: number }} file
 * @param {import('../lib/demo/sections.mjs').Row[]} rows
 * @param {string[]} footnotes
 */
function report(host, file, rows, footnotes) {
  const table = renderTable(
    [
      { title: 'measurement' },
      { title: 'time', align: 'right' },
      { title: 'throughput', align: 'right' },
      { title: 'result', align: 'right' },
      { title: 'notes' },
    ],
    rows.map((row) => [
      row.measurement,
      row.ms === undefined ? '' : formatDuration(row.ms),
      row.ms === undefined || row.bytes === undefined ? '' : formatRate(row.bytes, row.ms),
      row.result,
      row.note,
    ]),
  )
  const average = (file.bytes / Math.max(1, file.lines)).toFixed(0)
  return [
    'mmapkit demo: memory-mapped I/O vs read() on a generated log file',
    `machine: ${host.cpu}, ${host.cores} cores, ${formatBytes(host.memory)} RAM, ${host.os}, Node ${host.node}`,
    `file:    ${formatBytes(file.bytes)}, ${formatCount(file.lines)} lines of ~${average} bytes, written and fsynced in ${formatDuration(file.generateMs)}`,
    '',
    table,
    '',
    ...LEGEND,
    ...footnotes,
  ].join('\n')
}
