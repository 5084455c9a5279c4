// The CLI's turn-2 behaviour: several files like wc and grep (go on past a bad one, exit status at
// the end), plain reads for pipes, '-' and /proc files, find streaming as it finds, usage with no
// arguments.
import { spawn, spawnSync, type SpawnSyncOptions } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import test from 'ava'

import { tempDir, tempFile } from './helpers.mjs'

const BIN = fileURLToPath(new URL('../bin/mmapkit.mjs', import.meta.url))
const linuxOnly = process.platform === 'linux' ? test : test.skip
const posixOnly = process.platform === 'win32' ? test.skip : test

function mmapkit(args: string[], options: SpawnSyncOptions = {}) {
  const child = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', ...options })
  return { status: child.status, stdout: String(child.stdout), stderr: String(child.stderr) }
}

test('lines, count and find go on past a file that fails, and exit 2 at the end', (t) => {
  const dir = tempDir(t)
  const a = join(dir, 'a.log')
  const b = join(dir, 'b.log')
  const missing = join(dir, 'missing.log')
  writeFileSync(a, 'x ERROR\ny\n')
  writeFileSync(b, 'ERROR ERROR\n')
  const enoent = `mmapkit: ENOENT: no such file or directory, open '${missing}'\n`

  const lines = mmapkit(['lines', a, missing, b])
  t.is(lines.status, 2)
  t.is(lines.stdout, `2 ${a}\n1 ${b}\n3 total\n`)
  t.is(lines.stderr, enoent)

  const count = mmapkit(['count', 'ERROR', a, missing, b])
  t.is(count.status, 2)
  t.is(count.stdout, `1 ${a}\n2 ${b}\n3 total\n`)
  t.is(count.stderr, enoent)

  const find = mmapkit(['find', 'ERROR', a, missing, b])
  t.is(find.status, 2)
  t.is(find.stdout, `${a}:2\n${b}:0\n${b}:6\n`)
  t.is(find.stderr, enoent)

  const one = mmapkit(['find', 'ERROR', b])
  t.deepEqual(one, { status: 0, stdout: '0\n6\n', stderr: '' })
  t.is(mmapkit(['find', 'ERROR', a, b, '--limit', '1']).stdout, `${a}:2\n${b}:0\n`)

  const json = mmapkit(['find', 'ERROR', a, missing, '--json'])
  t.is(json.status, 2)
  t.deepEqual(JSON.parse(json.stdout), {
    pattern: 'ERROR',
    files: [
      { path: a, offsets: [2], truncated: false },
      { path: missing, error: { code: 'ENOENT', message: `ENOENT: no such file or directory, open '${missing}'` } },
    ],
  })
  t.deepEqual(JSON.parse(mmapkit(['lines', missing, a, '--json']).stdout), {
    files: [
      { path: missing, error: { code: 'ENOENT', message: `ENOENT: no such file or directory, open '${missing}'` } },
      { path: a, lines: 2 },
    ],
    total: 2,
  })
  // Only bad files: one line per file on stderr, and (as wc does) the total.
  const none = mmapkit(['lines', missing, dir])
  t.is(none.status, 2)
  t.is(none.stdout, '0 total\n')
  t.deepEqual(none.stderr.trimEnd().split('\n'), [
    enoent.trimEnd(),
    `mmapkit: EISDIR: illegal operation on a directory, open '${dir}'`,
  ])
})

linuxOnly('lines /proc/cpuinfo equals wc -l (files of unknown size are read, not mapped)', (t) => {
  const wc = spawnSync('wc', ['-l', '/proc/cpuinfo'], { encoding: 'utf8' })
  const expected = Number(wc.stdout.trim().split(/\s+/)[0])
  t.true(expected > 0)
  const run = mmapkit(['lines', '/proc/cpuinfo'])
  t.is(run.status, 0, run.stderr)
  t.is(run.stdout, `${expected} /proc/cpuinfo\n`)
  const processor = readFileSync('/proc/cpuinfo', 'latin1').split('processor').length - 1
  t.is(mmapkit(['count', 'processor', '/proc/cpuinfo']).stdout, `${processor} /proc/cpuinfo\n`)
})

test("'-' reads stdin; matches across read boundaries are found once", (t) => {
  // 1 MiB reads: put matches across the boundaries, and a run of 'a's for greedy counting.
  const data = Buffer.alloc(3 * 2 ** 20 + 7, '.')
  const spots = [0, 2 ** 20 - 2, 2 * 2 ** 20 - 1, 3 * 2 ** 20 + 1]
  for (const at of spots) data.write('NEEDLE', at)
  data.write('aaaaa\n', 100)
  const options = { input: data }
  t.is(mmapkit(['lines', '-'], options).stdout, '1 -\n')
  t.is(mmapkit(['count', 'NEEDLE', '-'], options).stdout, '4 -\n')
  t.is(mmapkit(['count', 'aa', '-'], options).stdout, '2 -\n')
  t.is(mmapkit(['find', 'NEEDLE', '-'], options).stdout, spots.map((at) => `${at}\n`).join(''))
  // The same file mapped gives the same answers.
  const path = tempFile(t, data)
  t.is(mmapkit(['find', 'NEEDLE', path]).stdout, spots.map((at) => `${at}\n`).join(''))
  t.is(mmapkit(['count', 'aa', path]).stdout, `2 ${path}\n`)
})

posixOnly('a named pipe is read, not mapped', (t) => {
  const fifo = join(tempDir(t), 'fifo')
  t.is(spawnSync('mkfifo', [fifo]).status, 0)
  const run = spawnSync(
    'bash',
    ['-c', `printf 'a\\nb\\nc\\n' > "$1" & "$0" "$2" lines "$1"; wait`, process.execPath, fifo, BIN],
    {
      encoding: 'utf8',
    },
  )
  t.is(run.stdout, `3 ${fifo}\n`, run.stderr)
  t.is(run.status, 0)
})

test('find streams: the first offsets arrive while the search is still going on', async (t) => {
  // 64 Mi matches: collecting them first (as findAll does) would take seconds and GiBs.
  const path = tempFile(t, Buffer.alloc(64 * 2 ** 20, 'a'))
  const child = spawn(process.execPath, [BIN, 'find', 'a', path], { stdio: ['ignore', 'pipe', 'pipe'] })
  const first = await new Promise<string>((resolve) => {
    let text = ''
    child.stdout.setEncoding('utf8').on('data', (data) => {
      text += data
      if (text.length >= 20) resolve(text)
    })
  })
  t.true(first.startsWith('0\n1\n2\n3\n'), first.slice(0, 40))
  t.is(child.exitCode, null, 'still running when the first offsets arrived')
  child.kill()
  await new Promise((resolve) => child.on('close', resolve))
})

test('no arguments: the usage on stderr and exit 2', (t) => {
  const run = mmapkit([])
  t.is(run.status, 2)
  t.is(run.stdout, '')
  t.regex(run.stderr, /^Usage: mmapkit <command> \[options\] \[operands\]\n/)
  t.regex(run.stderr, /^ {2}find /m)
})

posixOnly('Ctrl-C erases the progress bar and ends with status 130', async (t) => {
  const progressModule = new URL('../bin/lib/progress.mjs', import.meta.url).href
  // A terminal stand-in that copies what the bar draws to stdout.
  const script = `
    const { createProgress } = await import(${JSON.stringify(progressModule)})
    const stream = { isTTY: true, columns: 80, write: (text) => process.stdout.write(JSON.stringify(text) + '\\n') }
    const progress = createProgress('lines', 100, { stream })
    progress.update(40)
    process.stdout.write('ready\\n')
    setInterval(() => {}, 1000)`
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
  let output = ''
  let interrupted = false
  child.stdout.setEncoding('utf8').on('data', (data) => {
    output += data
    if (!interrupted && output.includes('ready\n')) {
      interrupted = true // once: a second Ctrl-C would meet the default handler
      child.kill('SIGINT')
    }
  })
  const status = await new Promise((resolve) => child.on('close', (code, signal) => resolve(code ?? signal)))
  t.is(status, 130)
  const writes = output
    .trim()
    .split('\n')
    .filter((line) => line !== 'ready')
    .map((line) => JSON.parse(line) as string)
  t.regex(writes[0], /^\rlines \[#+\.+\] {2}40%/)
  t.is(writes.at(-1), '\r\x1b[K', 'the last thing written erases the bar')
})
