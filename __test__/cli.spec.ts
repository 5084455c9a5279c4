// The mmapkit CLI (bin/mmapkit.mjs), run as a child process: every command against JS references,
// --json shapes, exit codes (0 success, 1 no match, 2 error with one line on stderr), and the demo.
import { spawn, spawnSync, type SpawnSyncOptions } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import test, { type ExecutionContext } from 'ava'

import { pageSize } from '../index.js'
import { bar, createProgress } from '../bin/lib/progress.mjs'
import { readableCopy, tempDir, tempFile } from './helpers.mjs'

// Windows has no POSIX permissions or uid switching, and NTFS files are not sparse by default.
const posixOnly = process.platform === 'win32' ? test.skip : test

const BIN = fileURLToPath(new URL('../bin/mmapkit.mjs', import.meta.url))
const VERSION = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version as string

interface Run {
  status: number | null
  stdout: string
  stderr: string
}

function mmapkit(args: string[], options: SpawnSyncOptions = {}, bin = BIN): Run {
  const child = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', ...options })
  return { status: child.status, stdout: String(child.stdout), stderr: String(child.stderr) }
}

/** Runs and parses the one JSON document on stdout. */
function json(t: ExecutionContext, args: string[], expectedStatus = 0): unknown {
  const run = mmapkit([...args, '--json'])
  t.is(run.status, expectedStatus, run.stderr)
  t.is(run.stderr, '')
  return JSON.parse(run.stdout)
}

/** Greedy, non-overlapping, left to right: the semantics of count and find. */
function findAllRef(data: Buffer, pattern: string): number[] {
  const needle = Buffer.from(pattern)
  const out: number[] = []
  for (let at = data.indexOf(needle); at !== -1; at = data.indexOf(needle, at + needle.length)) out.push(at)
  return out
}

const newlines = (data: Buffer) => findAllRef(data, '\n').length

/** An exit-2 failure: status 2, nothing on stdout, exactly one line on stderr, no stack trace. */
function failsWith(t: ExecutionContext, run: Run, message: string | RegExp, label = '') {
  t.is(run.status, 2, `${label}: status (stderr: ${run.stderr})`)
  t.is(run.stdout, '', `${label}: stdout`)
  t.true(run.stderr.endsWith('\n'), `${label}: stderr ends with a newline`)
  const lines = run.stderr.slice(0, -1).split('\n')
  t.is(lines.length, 1, `${label}: one line on stderr: ${run.stderr}`)
  t.notRegex(run.stderr, /^\s+at /m, `${label}: no stack trace`)
  if (typeof message === 'string') t.is(lines[0], message, label)
  else t.regex(lines[0], message, label)
}

/** Small text files with known contents. */
function fixtures(t: ExecutionContext) {
  const dir = tempDir(t)
  const files = {
    log: Buffer.from('INFO start\nERROR disk\nINFO ok\nERROR net\nWARN slow\n'),
    noTrailingNewline: Buffer.from('one\ntwo\nthree ERROR'),
    empty: Buffer.alloc(0),
    dense: Buffer.from('aaaaa\naaa\nbaaab\n'),
    random: randomBytes(300_000),
  }
  const paths = Object.fromEntries(
    Object.entries(files).map(([name, data]) => {
      const path = join(dir, `${name}.txt`)
      writeFileSync(path, data)
      return [name, path]
    }),
  ) as Record<keyof typeof files, string>
  return { dir, files, paths }
}

test('lines counts newline bytes like wc -l, with a total for several files', (t) => {
  const { files, paths } = fixtures(t)
  for (const name of ['log', 'noTrailingNewline', 'empty', 'random'] as const) {
    const run = mmapkit(['lines', paths[name]])
    t.is(run.status, 0, run.stderr)
    t.is(run.stdout, `${newlines(files[name])} ${paths[name]}\n`, name)
    t.is(run.stderr, '', `${name}: no progress bar when stderr is not a terminal`)
  }
  const all = [paths.log, paths.noTrailingNewline, paths.random]
  const counts = [files.log, files.noTrailingNewline, files.random].map(newlines)
  const total = counts.reduce((a, b) => a + b, 0)
  const run = mmapkit(['lines', ...all])
  t.is(run.status, 0)
  const width = String(total).length
  const expected = [...all.map((path, i) => `${String(counts[i]).padStart(width)} ${path}`), `${total} total`]
  t.deepEqual(run.stdout.trimEnd().split('\n'), expected)
  t.deepEqual(json(t, ['lines', ...all]), {
    files: all.map((path, i) => ({ path, lines: counts[i] })),
    total,
  })
  t.deepEqual(json(t, ['lines', paths.log]), { files: [{ path: paths.log, lines: 5 }], total: 5 })
})

test('count counts non-overlapping occurrences of a fixed string; exit 1 when there is none', (t) => {
  const { files, paths } = fixtures(t)
  for (const [name, pattern] of [
    ['log', 'ERROR'],
    ['log', 'INFO'],
    ['dense', 'aaa'],
    ['dense', 'a'],
    ['dense', 'aa\nb'],
    ['random', 'ab'],
  ] as const) {
    const expected = findAllRef(files[name], pattern).length
    const run = mmapkit(['count', pattern, paths[name]])
    t.is(run.status, expected > 0 ? 0 : 1, `${pattern} in ${name}: ${run.stderr}`)
    t.is(run.stdout, `${expected} ${paths[name]}\n`, `${pattern} in ${name}`)
  }
  const five = tempFile(t, 'aaaaa')
  t.is(mmapkit(['count', 'aaa', five]).stdout, `1 ${five}\n`, "'aaa' occurs once in 'aaaaa'")
  const run = mmapkit(['count', 'ERROR', paths.log, paths.noTrailingNewline, paths.empty])
  t.is(run.status, 0)
  t.deepEqual(run.stdout.trimEnd().split('\n'), [
    `2 ${paths.log}`,
    `1 ${paths.noTrailingNewline}`,
    `0 ${paths.empty}`,
    '3 total',
  ])
  t.deepEqual(json(t, ['count', 'ERROR', paths.log, paths.empty]), {
    pattern: 'ERROR',
    files: [
      { path: paths.log, count: 2 },
      { path: paths.empty, count: 0 },
    ],
    total: 2,
  })
  // No match anywhere: exit 1, the counts are still printed.
  const none = mmapkit(['count', 'FATAL', paths.log, paths.empty])
  t.is(none.status, 1)
  t.is(none.stderr, '')
  t.deepEqual(none.stdout.trimEnd().split('\n'), [`0 ${paths.log}`, `0 ${paths.empty}`, '0 total'])
  t.deepEqual(json(t, ['count', 'FATAL', paths.log], 1), {
    pattern: 'FATAL',
    files: [{ path: paths.log, count: 0 }],
    total: 0,
  })
  // A pattern that starts with '-' goes after '--'; UTF-8 patterns are matched as bytes.
  const dashed = tempFile(t, 'x --flag y --flag\nnaïve naïve\n')
  t.is(mmapkit(['count', '--', '--flag', dashed]).stdout, `2 ${dashed}\n`)
  t.is(mmapkit(['count', 'naïve', dashed]).stdout, `2 ${dashed}\n`)
})

test('find prints offsets one per line, honours --limit, and exits 1 when there is none', (t) => {
  const { files, paths } = fixtures(t)
  for (const [name, pattern] of [
    ['log', 'ERROR'],
    ['dense', 'aa'],
    ['dense', 'b'],
    ['random', '\xff'],
  ] as const) {
    const expected = findAllRef(files[name], pattern)
    const run = mmapkit(['find', pattern, paths[name]])
    // Random bytes may lack the pattern ('\xff' is 2 bytes of UTF-8: absent about 1 time in 100).
    t.is(run.status, expected.length > 0 ? 0 : 1, run.stderr)
    t.is(run.stdout, expected.map((n) => `${n}\n`).join(''), `${JSON.stringify(pattern)} in ${name}`)
  }
  const all = findAllRef(files.dense, 'a')
  const limited = mmapkit(['find', 'a', paths.dense, '--limit', '3'])
  t.is(limited.status, 0)
  t.is(limited.stdout, all.slice(0, 3).join('\n') + '\n')
  const errors = findAllRef(files.log, 'ERROR')
  t.is(mmapkit(['find', '--limit=1', 'ERROR', paths.log]).stdout, `${errors[0]}\n`)
  t.deepEqual(json(t, ['find', 'a', paths.dense, '--limit', '3']), {
    pattern: 'a',
    path: paths.dense,
    offsets: all.slice(0, 3),
    truncated: true,
  })
  t.deepEqual(json(t, ['find', 'a', paths.dense, '--limit', String(all.length)]), {
    pattern: 'a',
    path: paths.dense,
    offsets: all,
    truncated: false,
  })
  t.deepEqual(json(t, ['find', 'ERROR', paths.log]), {
    pattern: 'ERROR',
    path: paths.log,
    offsets: errors,
    truncated: false,
  })
  const none = mmapkit(['find', 'FATAL', paths.log])
  t.deepEqual(none, { status: 1, stdout: '', stderr: '' })
  t.deepEqual(json(t, ['find', 'x', paths.empty], 1), {
    pattern: 'x',
    path: paths.empty,
    offsets: [],
    truncated: false,
  })
})

test('stat reports size, lines, pages and resident pages (or says it cannot)', (t) => {
  const { files, paths } = fixtures(t)
  const page = pageSize()
  const stat = json(t, ['stat', paths.random]) as Record<string, unknown>
  t.deepEqual(Object.keys(stat), ['path', 'size', 'lines', 'pageSize', 'pages', 'residentPages', 'residentSource'])
  t.like(stat, {
    path: paths.random,
    size: files.random.length,
    lines: newlines(files.random),
    pageSize: page,
    pages: Math.ceil(files.random.length / page),
  })
  if (stat.residentSource === 'mincore') {
    // Just written, so all of it is in the page cache.
    t.is(stat.residentPages, stat.pages)
  } else {
    t.is(stat.residentPages, null)
    t.is(typeof stat.residentSource, 'string')
  }
  const text = mmapkit(['stat', paths.log])
  t.is(text.status, 0)
  t.regex(text.stdout, new RegExp(`^file: +${paths.log.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'))
  t.regex(text.stdout, new RegExp(`^size: +${files.log.length} bytes$`, 'm'))
  t.regex(text.stdout, /^lines: +5$/m)
  t.regex(text.stdout, /^pages: +1$/m)
  t.regex(text.stdout, /^resident: +(1 of 1 pages \(100\.0%\) before this scan \(mincore\)|unknown \(.+\))$/m)
  t.like(json(t, ['stat', paths.empty]), { size: 0, lines: 0, pages: 0 })
})

test('--threads changes nothing in the results; bad values are rejected', (t) => {
  const { paths } = fixtures(t)
  const big = tempFile(t, Buffer.concat(Array.from({ length: 40 }, () => randomBytes(100_000))))
  for (const args of [
    ['lines', big, paths.log],
    ['count', '\n', big],
    ['find', 'a', big, '--limit', '50'],
  ]) {
    const one = mmapkit([...args, '--threads', '1'])
    t.is(one.status, 0, one.stderr)
    for (const threads of ['2', '3', '7']) t.is(mmapkit([...args, '--threads', threads]).stdout, one.stdout)
  }
  for (const bad of ['0', '-1', 'x', '1.5', '2000']) {
    failsWith(
      t,
      mmapkit(['lines', paths.log, '--threads', bad]),
      `mmapkit: --threads must be an integer from 1 to 1024, not '${bad}' (see 'mmapkit lines --help')`,
      bad,
    )
  }
})

test('a missing file, a directory or an unreadable file: exit 2, one line, nothing on stdout', (t) => {
  const { dir } = fixtures(t)
  const missing = join(dir, 'missing.log')
  for (const args of [['lines'], ['count', 'x'], ['find', 'x'], ['stat']]) {
    const label = args[0]
    failsWith(t, mmapkit([...args, missing]), `mmapkit: ENOENT: no such file or directory, open '${missing}'`, label)
    failsWith(t, mmapkit([...args, dir]), `mmapkit: EISDIR: illegal operation on a directory, open '${dir}'`, label)
  }
  // Relative paths are reported as given.
  failsWith(t, mmapkit(['lines', 'x'], { cwd: dir }), "mmapkit: ENOENT: no such file or directory, open 'x'")
})

posixOnly('no permission is EACCES with exit 2 (checked as an unprivileged user)', (t) => {
  const dir = tempDir(t)
  chmodSync(dir, 0o755)
  const secret = join(dir, 'secret.log')
  writeFileSync(secret, 'top secret\n')
  chmodSync(secret, 0o600)
  const asRoot = process.getuid?.() === 0
  if (!asRoot) chmodSync(secret, 0o000)
  const options = asRoot ? { uid: 65534, gid: 65534 } : {}
  // The child runs as nobody: it runs a world-readable copy of the package.
  const { bin } = readableCopy(t)
  for (const args of [['lines'], ['count', 'secret'], ['find', 'secret'], ['stat']]) {
    failsWith(
      t,
      mmapkit([...args, secret], options, bin),
      `mmapkit: EACCES: permission denied, open '${secret}'`,
      args[0],
    )
  }
  chmodSync(secret, 0o600)
})

test('bad arguments, unknown commands and missing operands: exit 2 with a one-line message', (t) => {
  const { paths } = fixtures(t)
  const cases: [string[], string][] = [
    [
      ['find', 'a', paths.dense, '--limit', '-1'],
      "mmapkit: --limit must be an integer >= 1, not '-1' (see 'mmapkit find --help')",
    ],
    [
      ['find', 'a', paths.dense, '--limit', 'x'],
      "mmapkit: --limit must be an integer >= 1, not 'x' (see 'mmapkit find --help')",
    ],
    [
      ['find', 'a', paths.dense, '--limit', '0'],
      "mmapkit: --limit must be an integer >= 1, not '0' (see 'mmapkit find --help')",
    ],
    [['find', 'a', paths.dense, '--limit'], "mmapkit: option '--limit' needs a value (see 'mmapkit find --help')"],
    [['frobnicate', paths.log], "mmapkit: unknown command 'frobnicate' (see 'mmapkit --help')"],
    [['count'], "mmapkit: count: missing PATTERN operand (see 'mmapkit count --help')"],
    [['count', '', paths.log], "mmapkit: count: PATTERN must not be empty (see 'mmapkit count --help')"],
    [['find'], "mmapkit: find: missing PATTERN operand (see 'mmapkit find --help')"],
    [['stat'], "mmapkit: stat: missing FILE operand (see 'mmapkit stat --help')"],
    [['lines', '--frob', paths.log], "mmapkit: unknown option '--frob' (see 'mmapkit lines --help')"],
    [['lines', '-x', paths.log], "mmapkit: unknown option '-x' (see 'mmapkit lines --help')"],
    [['lines', '--limit', '3', paths.log], "mmapkit: lines: unknown option '--limit' (see 'mmapkit lines --help')"],
    [['lines', '--json=yes', paths.log], "mmapkit: option '--json' takes no value (see 'mmapkit lines --help')"],
    [
      ['demo', '--size', 'big'],
      "mmapkit: --size must be a size such as 64M or 1G, not 'big' (see 'mmapkit demo --help')",
    ],
    [['demo', '--size', '100K'], "mmapkit: demo: --size must be at least 1M, not '100K' (see 'mmapkit demo --help')"],
    [['help', 'frobnicate'], "mmapkit: unknown command 'frobnicate' (see 'mmapkit --help')"],
  ]
  for (const [args, message] of cases) failsWith(t, mmapkit(args), message, args.join(' '))
  failsWith(
    t,
    mmapkit(['demo', '--dir', join(tempDir(t), 'nope')]),
    /^mmapkit: ENOENT: no such file or directory, mkdtemp /,
  )
})

test('with no FILE, lines, count and find read stdin, as wc and grep do', (t) => {
  const input = 'a\nERROR one\nb\nERROR two\n'
  t.is(mmapkit(['lines'], { input }).stdout, '4 -\n')
  t.is(mmapkit(['count', 'ERROR'], { input }).stdout, '2 -\n')
  const find = mmapkit(['find', 'ERROR'], { input })
  t.is(find.stdout, '2\n14\n')
  t.is(find.status, 0)
  t.is(mmapkit(['count', 'nothing'], { input }).status, 1)
})

test('--help, -h, help COMMAND and --version print to stdout and exit 0', (t) => {
  const general = mmapkit(['--help'])
  t.is(general.status, 0)
  t.is(general.stderr, '')
  for (const command of ['lines', 'count', 'find', 'stat', 'demo'])
    t.regex(general.stdout, new RegExp(`^  ${command} `, 'm'))
  t.regex(general.stdout, /Exit status: 0 success, 1 no match \(count, find\), 2 error/)
  t.is(mmapkit(['-h']).stdout, general.stdout)
  t.is(mmapkit(['help']).stdout, general.stdout)
  for (const command of ['lines', 'count', 'find', 'stat', 'demo']) {
    const own = mmapkit([command, '--help'])
    t.is(own.status, 0)
    t.regex(own.stdout, new RegExp(`^Usage: mmapkit ${command} `))
    t.is(mmapkit(['help', command]).stdout, own.stdout)
    t.is(mmapkit([command, '-h']).stdout, own.stdout)
  }
  t.deepEqual(mmapkit(['--version']), { status: 0, stdout: `${VERSION}\n`, stderr: '' })
})

test('a reader that closes the pipe early ends the output quietly', (t) => {
  const path = tempFile(t, Buffer.alloc(2_000_000, 'a'))
  const child = spawnSync(
    'bash',
    ['-c', 'set -o pipefail; "$0" "$1" find a "$2" | head -n 2', process.execPath, BIN, path],
    {
      encoding: 'utf8',
    },
  )
  t.is(child.stdout, '0\n1\n')
  t.is(child.stderr, '')
  t.is(child.status, 0)
})

test('the progress bar draws only on a terminal and is erased at the end', (t) => {
  const written: string[] = []
  const stream = { isTTY: true, columns: 80, write: (text: string) => written.push(text) > 0 }
  const tty = stream as unknown as NodeJS.WriteStream
  let clock = 0
  const progress = createProgress('lines', 2 ** 20, { stream: tty, now: () => clock })
  clock = 1000
  progress.update(2 ** 19)
  progress.update(2 ** 19 + 1) // within 100 ms of the last draw: skipped
  progress.finish()
  t.is(written.length, 2)
  t.is(written[0], `\r${bar('lines', 2 ** 19, 2 ** 20, 80, 1000)}\x1b[K`)
  t.regex(bar('lines', 2 ** 19, 2 ** 20, 80), /^lines \[#+\.+\]  50%  512\.0 KiB \/ 1\.00 MiB$/)
  // Rate and ETA once time has passed: 512 KiB in 1 s, 512 KiB to go.
  t.regex(
    bar('lines', 2 ** 19, 2 ** 20, 120, 1000),
    /^lines \[#+\.+\]  50%  512\.0 KiB \/ 1\.00 MiB  512\.0 KiB\/s  ETA 1s$/,
  )
  t.regex(bar('lines', 2 ** 20, 2 ** 30, 120, 1000), /ETA 17m03s$/)
  t.is(written[1], '\r\x1b[K')
  t.is(process.listenerCount('SIGINT'), 0, 'the Ctrl-C handler is removed with the bar')
  const quiet: string[] = []
  const pipe = { isTTY: false, write: (text: string) => quiet.push(text) > 0 } as unknown as NodeJS.WriteStream
  const off = createProgress('lines', 100, { stream: pipe })
  off.update(50)
  off.finish()
  t.deepEqual(quiet, [])
  t.true(bar('x', 5, 10, 20).length <= 40, 'a narrow terminal gets a short bar')
})

const DEMO_ROWS = [
  'sequential: mmap countLines, 1 thread',
  'sequential: read() 1 MiB + same native count',
  'sequential: read() 1 MiB + JS indexOf loop',
  'sequential: mmap view + JS indexOf loop',
  'mapped already: countLines, 1 thread',
  'parallel: countLines, ',
  'random 4 KiB: mmap readInto',
  'random 4 KiB: fs.readSync (pread)',
  'evicted: countLines, ',
  'warm: countLines, ',
  'memory: mmap + countLines',
  'memory: fs.readFileSync',
  'search "disk-full": mmap count, ',
  'search "disk-full": JS indexOf loop, one view',
  'search "ERROR": mmap count, ',
  'search "ERROR": JS indexOf loop, one view',
  'lines: lines(), count + sum lengths',
  'lines: readline over createReadStream',
  'lines: splitRanges(',
  'lines: 1 worker',
]

test('demo --size 8M prints the machine and every row, and removes its file', (t) => {
  const dir = tempDir(t)
  const run = mmapkit(['demo', '--size', '8M', '--dir', dir], { timeout: 120_000 })
  t.is(run.status, 0, run.stderr)
  t.is(run.stderr, '')
  t.regex(run.stdout, /^machine: .+, \d+ cores, .+ RAM, .+, Node v\d+/m)
  t.regex(run.stdout, /^file: +8\.00 MiB, [\d,]+ lines of ~8\d bytes/m)
  const rows = run.stdout.split('\n').filter((line) => DEMO_ROWS.some((row) => line.startsWith(row)))
  t.is(rows.length, DEMO_ROWS.length, run.stdout)
  for (const row of DEMO_ROWS)
    t.true(
      rows.some((line) => line.startsWith(row)),
      row,
    )
  // Every count agrees with what the generator wrote, and no row fakes an eviction.
  t.notRegex(run.stdout, /MISMATCH/)
  t.regex(run.stdout, /^search "disk-full": mmap count, .* 1,000 {2}1,000 written/m)
  t.regex(run.stdout, /^evicted: countLines, .*(\d pages cached|unverified|eviction unavailable)/m)
  t.deepEqual(readdirSync(dir), [], 'nothing left in --dir')
})

test('demo killed by SIGTERM or SIGHUP (a closed terminal) removes its file', async (t) => {
  for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
    const dir = tempDir(t)
    const child = spawn(process.execPath, [BIN, 'demo', '--size', '512M', '--dir', dir], { stdio: 'ignore' })
    const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
    // Judged by progress, not time: wait until the demo's file exists, then send the signal.
    while (child.exitCode === null && !readdirSync(dir).some((entry) => readdirSync(join(dir, entry)).length > 0)) {
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    child.kill(signal)
    t.is(await closed, 128 + (signal === 'SIGTERM' ? 15 : 1), signal)
    t.deepEqual(readdirSync(dir), [], `nothing left in --dir after ${signal}`)
  }
})

test('demo --json --keep: one JSON document, and the file is kept', (t) => {
  const dir = tempDir(t)
  const run = mmapkit(['demo', '--size', '2M', '--dir', dir, '--keep', '--json', '--threads', '2'], {
    timeout: 120_000,
  })
  t.is(run.status, 0, run.stderr)
  t.is(run.stderr, '')
  const report = JSON.parse(run.stdout) as {
    machine: { cpu: string; cores: number; node: string }
    file: { path: string; bytes: number; lines: number; kept: boolean }
    rows: { measurement: string; result: string; note: string; ms?: number; bytes?: number }[]
    problems: string[]
  }
  t.is(report.machine.node, process.version)
  t.true(report.file.bytes <= 2 ** 21 && report.file.bytes > 2 ** 21 - 100)
  t.true(report.file.kept)
  t.true(existsSync(report.file.path))
  t.is(report.rows.length, DEMO_ROWS.length)
  t.deepEqual(report.problems, [])
  t.true(report.rows.find((row) => row.measurement.startsWith('parallel: countLines, 2 threads')) !== undefined)
  rmSync(report.file.path)
})

test('a directory as stdin is EISDIR with exit 2, as a directory operand is', (t) => {
  for (const args of [['lines'], ['count', 'x'], ['find', 'x'], ['lines', '-']]) {
    const run = mmapkit(args, { stdio: [openSync(tempDir(t), 'r'), 'pipe', 'pipe'] })
    t.is(run.status, 2, args.join(' '))
    t.is(run.stdout, '', args.join(' '))
    t.regex(run.stderr, /^mmapkit: -: EISDIR: illegal operation on a directory/, args.join(' '))
  }
})
