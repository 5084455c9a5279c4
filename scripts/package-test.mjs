#!/usr/bin/env node
// Proves the published shape of mmapkit works: the main package (loader + typings, no binary) plus
// the per-platform package that carries the addon, installed from their tarballs into an empty
// project on a machine that has no Rust toolchain on PATH.
//
//   node scripts/package-test.mjs            (PACKAGE_TEST_KEEP=1 keeps the temp dir for debugging)
//
// Uses only Node built-ins and the repo's devDependencies (@napi-rs/cli, typescript, typescript-5.0,
// esbuild, @types/node). It never builds anything: it packs with --ignore-scripts and uses the
// already built mmapkit.<platform>.node. The repo's package.json is only read, never written.
//
// Checks: the tarballs' contents; the published package.json shape (optionalDependencies as
// `napi prepublish` adds them, install scripts removed as scripts/publish-manifest.mjs does); an
// offline install of both tarballs into an empty project with no Rust on PATH and no
// `npm warn install-scripts`; ESM and CommonJS consumers; the exports (public API only); strict
// TypeScript with the oldest (5.0) and newest supported compilers; a worker thread; an esbuild
// bundle with mmapkit external; the loader's error without the platform package and without
// permission to load addons.
//
// The checks of what index.js and the typings promise (6a public exports, 7a/7b the loader's
// message, 4d the typings under TypeScript 5.0) are collected and reported together at the end,
// after every other check has run.

import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import zlib from 'node:zlib'

import { withoutInstallScripts } from './publish-manifest.mjs'

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const repoRequire = createRequire(path.join(repoRoot, 'package.json'))
const started = Date.now()
const keepTemp = process.env.PACKAGE_TEST_KEEP === '1'

// ---------------------------------------------------------------------------------------------
// Reporting

class CheckError extends Error {
  constructor(message, details) {
    super(message)
    this.details = details
  }
}

const fail = (message, details) => {
  throw new CheckError(message, details)
}
const ok = (label, detail) => console.log(`ok    ${label}${detail ? ` - ${detail}` : ''}`)
const note = (message) => console.log(`note  ${message}`)

// Failures of checks that wait for the lead's index.js rewrite: reported together at the end, so
// that every other check still runs. Each one is a real assertion: the test fails while any is open.
const pending = []
const pendingFail = (label, message, details) => {
  pending.push({ label, message, details })
  console.log(`FAIL  ${label}: ${message} (PENDING; details at the end)`)
}

// ---------------------------------------------------------------------------------------------
// Helpers

const isWindows = process.platform === 'win32'

/** Environment for child processes: no npm_* leaking from `npm run`, no loader overrides. */
function baseEnv() {
  const env = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(key)) continue
    if (/^NAPI_RS_/i.test(key)) continue
    env[key] = value
  }
  return env
}

function quoteForCmd(arg) {
  return /[\s"&|<>^]/.test(arg) ? `"${arg.replace(/"/g, '""')}"` : arg
}

/** expectFailure: false (must succeed, the default), true (must fail) or null (either). */
function run(cmd, args, { cwd, env = baseEnv(), label, expectFailure = false }) {
  // npm is npm.cmd on Windows, which Node only spawns through a shell.
  const useShell = isWindows && cmd === 'npm'
  const result = spawnSync(useShell ? cmd : cmd, useShell ? args.map(quoteForCmd) : args, {
    cwd,
    env,
    encoding: 'utf8',
    shell: useShell,
    maxBuffer: 64 * 1024 * 1024,
  })
  const shown = `\`${[cmd, ...args].join(' ')}\` (in ${cwd})`
  if (result.error) fail(`${label}: could not run ${shown}: ${result.error.message}`)
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`
  if (expectFailure === false && result.status !== 0) {
    fail(`${label}: ${shown} exited with ${result.status ?? result.signal}`, output)
  }
  if (expectFailure === true && result.status === 0) {
    fail(`${label}: ${shown} was expected to fail but exited with 0`, output)
  }
  return { ...result, output }
}

/** Runs `npm pack --json` and returns the absolute path of the tarball it wrote. */
function npmPack(dir, destination, label, env) {
  const { stdout } = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', destination], {
    cwd: dir,
    env,
    label,
  })
  let info
  try {
    info = JSON.parse(stdout)[0]
  } catch {
    fail(`${label}: could not parse the output of npm pack --json`, stdout)
  }
  const tarball = path.join(destination, info.filename)
  if (!fs.existsSync(tarball)) fail(`${label}: npm pack reported ${info.filename}, but ${tarball} does not exist`)
  return tarball
}

/** Minimal .tgz reader (ustar + pax + GNU long names): enough for tarballs written by npm pack. */
function readTarGz(file) {
  const buf = zlib.gunzipSync(fs.readFileSync(file))
  const entries = []
  let offset = 0
  let pendingName = null
  while (offset + 512 <= buf.length) {
    const header = buf.subarray(offset, offset + 512)
    if (header.every((byte) => byte === 0)) break
    const field = (start, length) => {
      const bytes = header.subarray(start, start + length)
      const end = bytes.indexOf(0)
      return bytes.subarray(0, end === -1 ? length : end).toString('utf8')
    }
    const size = parseInt(field(124, 12).trim() || '0', 8)
    const type = field(156, 1) || '0'
    let name = field(0, 100)
    if (field(257, 6).startsWith('ustar')) {
      const prefix = field(345, 155)
      if (prefix) name = `${prefix}/${name}`
    }
    const data = buf.subarray(offset + 512, offset + 512 + size)
    offset += 512 + Math.ceil(size / 512) * 512
    if (type === 'x') {
      // pax extended header: "<len> key=value\n" records
      const match = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(data.toString('utf8'))
      if (match) pendingName = match[1]
      continue
    }
    if (type === 'g') continue
    if (type === 'L') {
      pendingName = data.toString('utf8').replace(/\0[\s\S]*$/, '')
      continue
    }
    if (pendingName) {
      name = pendingName
      pendingName = null
    }
    entries.push({ name, type, data: Buffer.from(data) })
  }
  return entries
}

/** The files of an npm tarball, keyed by their path inside the package (without `package/`). */
function tarballFiles(tarball, label) {
  const files = new Map()
  for (const entry of readTarGz(tarball)) {
    if (entry.type !== '0' && entry.type !== '\0') continue // directories etc.
    if (!entry.name.startsWith('package/')) fail(`${label}: unexpected entry outside package/: ${entry.name}`)
    files.set(entry.name.slice('package/'.length), entry.data)
  }
  return files
}

const sha256 = (data) => createHash('sha256').update(data).digest('hex')

function walkFiles(dir) {
  const out = []
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) out.push(...walkFiles(full))
    else out.push(full)
  }
  return out
}

const isInside = (child, parent) => {
  const rel = path.relative(parent, child)
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel)
}

function isLinuxX64Gnu() {
  if (process.platform !== 'linux' || process.arch !== 'x64') return false
  const report = process.report?.getReport?.()
  return Boolean(report?.header?.glibcVersionRuntime)
}

function hostDescription() {
  if (process.platform !== 'linux') return `${process.platform}-${process.arch}`
  const glibc = Boolean(process.report?.getReport?.()?.header?.glibcVersionRuntime)
  return `${process.platform}-${process.arch}-${glibc ? 'gnu' : 'musl'}`
}

// ---------------------------------------------------------------------------------------------
// Consumer sources written into the temp project

function jsConsumer(kind) {
  const imports =
    kind === 'esm'
      ? [
          `import * as mmapkit from 'mmapkit'`,
          `import { MemoryMappedFile, pageSize } from 'mmapkit'`,
          `import assert from 'node:assert/strict'`,
          `import fs from 'node:fs'`,
          `import { createRequire } from 'node:module'`,
          `const require = createRequire(import.meta.url)`,
        ]
      : [
          `const mmapkit = require('mmapkit')`,
          `const { MemoryMappedFile, pageSize } = require('mmapkit')`,
          `const assert = require('node:assert/strict')`,
          `const fs = require('node:fs')`,
        ]
  return `${imports.join('\n')}

const file = 'data-${kind}.bin'
const data = Buffer.alloc(10_000)
for (let i = 0; i < data.length; i++) data[i] = (i * 31 + 7) & 0xff
fs.writeFileSync(file, data)
const onDisk = fs.readFileSync(file)

const m = MemoryMappedFile.openRo(file)
assert.equal(m.length, onDisk.length, 'length')
const all = new Uint8Array(m.length)
assert.equal(m.readInto(0, all), onDisk.length, 'readInto count')
assert.ok(onDisk.equals(all), 'readInto(0) bytes differ from fs')
const part = new Uint8Array(100)
m.readInto(4101, part)
assert.ok(onDisk.subarray(4101, 4201).equals(part), 'readInto(4101) bytes differ from fs')
const view = m.asBuffer()
assert.ok(Buffer.isBuffer(view), 'asBuffer returns a Buffer')
assert.ok(onDisk.equals(view), 'asBuffer bytes differ from fs')
m.close()
assert.equal(m.closed, true, 'closed after close()')
assert.equal(m.length, 0, 'length after close()')
assert.equal(view.byteLength, onDisk.length, 'a view keeps its length after close()')
assert.ok(view.every((byte) => byte === 0), 'a view reads zeros after close()')

const ps = pageSize()
assert.ok(Number.isInteger(ps) && ps > 0 && (ps & (ps - 1)) === 0, 'pageSize() is a power of two')
const addons = Object.keys(require.cache).filter((k) => k.endsWith('.node'))
console.log('OK ' + JSON.stringify({ addons, pageSize: ps, exports: Object.keys(mmapkit).sort(), bytes: onDisk.length }))
`
}

const tsConsumer = `import { MemoryMappedFile, pageSize } from 'mmapkit'
import type { MmapMode } from 'mmapkit'
import * as fs from 'node:fs'

function roundTrip(file: string): { bytes: number; mode: MmapMode; closedByUsing: boolean } {
  const expected: Buffer = fs.readFileSync(file)
  let escaped: MemoryMappedFile
  let mode: MmapMode
  {
    using m = MemoryMappedFile.openRo(file)
    escaped = m
    mode = m.mode
    const length: number = m.length
    const target: Uint8Array = new Uint8Array(length)
    const copied: number = m.readInto(0, target)
    const view: Buffer = m.asBuffer()
    if (copied !== expected.length || !expected.equals(target) || !expected.equals(view)) {
      throw new Error('mapped bytes differ from fs.readFileSync')
    }
  }
  return { bytes: expected.length, mode, closedByUsing: escaped.closed }
}

const file = 'data-ts.bin'
fs.writeFileSync(file, 'typed mmapkit consumer\\n'.repeat(200))
const ps: number = pageSize()
const result = roundTrip(file)
if (!result.closedByUsing) throw new Error('\`using\` did not close the mapping')
const addons: string[] = Object.keys(require.cache).filter((k) => k.endsWith('.node'))
console.log('OK ' + JSON.stringify({ ...result, pageSize: ps, addons }))
`

const tsEsmConsumer = `import { MemoryMappedFile, pageSize, type FactoryOptions } from 'mmapkit'

export function mappedLength(p: string): number {
  const options: FactoryOptions<'readOnly'> = { advice: 'sequential' }
  using m = MemoryMappedFile.openRo(p, options)
  const page: number = pageSize()
  const head: Buffer = m.asBuffer(0, Math.min(m.length, page))
  return head.byteLength
}
`

const badCall = (expectError) => `import { MemoryMappedFile } from 'mmapkit'

export function badCall(p: string): void {
  using m = MemoryMappedFile.openRo(p)
${expectError ? '  // @ts-expect-error offset must be a number, not a string\n' : ''}  m.readInto('0', new Uint8Array(1))
}
`

// The oldest supported TypeScript (5.0) has no `using`; the typings must still compile, strict,
// with lib checking on (skipLibCheck: false), in CommonJS and in ESM.
const ts50Consumer = `import { MemoryMappedFile, RingBuffer, Segment, pageSize, createMmap, loadMmap, writeMmap } from 'mmapkit'
import type { MmapMode, OpenOptions, FlushPolicy, ScanOptions } from 'mmapkit'

export function summary(p: string): string {
  const options: OpenOptions = { mode: 'readOnly', advice: 'sequential' }
  const m: MemoryMappedFile = MemoryMappedFile.open(p, options)
  try {
    const mode: MmapMode = m.mode
    const policy: FlushPolicy = m.flushPolicy
    const scan: ScanOptions = { threads: 1 }
    const head: Segment = m.segment(0, Math.min(m.length, pageSize()))
    const lines: number = m.countLines() + head.countLines()
    const hits: number[] = m.findAll('x', { ...scan, limit: 10 })
    return [mode, JSON.stringify(policy), lines, hits.length].join(' ')
  } finally {
    m.close()
  }
}
export const names = [RingBuffer, createMmap, loadMmap, writeMmap].map((f) => f.name)
`

// A worker thread loads the addon too (the main thread has it loaded already) and reads its own
// mapping of the same file; both must see the same bytes.
const workerConsumer = `import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads'
import { MemoryMappedFile } from 'mmapkit'
import fs from 'node:fs'

function sum(file) {
  const m = MemoryMappedFile.openRo(file)
  try {
    let total = 0
    for (const chunk of m.chunks(4096)) for (const byte of chunk) total += byte
    return total
  } finally {
    m.close()
  }
}

if (isMainThread) {
  const file = 'data-worker.bin'
  fs.writeFileSync(file, Buffer.from(Array.from({ length: 50_000 }, (_, i) => (i * 13) & 0xff)))
  const here = sum(file)
  const worker = new Worker(new URL(import.meta.url), { workerData: file })
  const [there] = await Promise.all([
    new Promise((resolve, reject) => worker.once('message', resolve).once('error', reject)),
    new Promise((resolve) => worker.once('exit', resolve)),
  ])
  if (here !== there) throw new Error('worker sum ' + there + ' differs from main thread sum ' + here)
  console.log('OK ' + JSON.stringify({ sum: here }))
} else {
  parentPort.postMessage(sum(workerData))
}
`

// The entry of the esbuild bundle: imports mmapkit, which stays external (see the README's Bundlers).
const bundleEntry = `import { MemoryMappedFile, pageSize } from 'mmapkit'
import fs from 'node:fs'

fs.writeFileSync('data-bundle.bin', 'bundled\\n'.repeat(1000))
const m = MemoryMappedFile.openRo('data-bundle.bin')
try {
  const lines = m.countLines()
  if (lines !== 1000) throw new Error('countLines ' + lines)
  console.log('OK ' + JSON.stringify({ lines, pageSize: pageSize(), head: m.read(0, 7).toString() }))
} finally {
  m.close()
}
`

// The exports a user may rely on (the API contract). Anything starting with `__` is a test hook or
// loader detail and must not be exported by the published package.
const PUBLIC_EXPORTS = ['MemoryMappedFile', 'Segment', 'RingBuffer', 'createMmap', 'loadMmap', 'writeMmap', 'pageSize']

// ---------------------------------------------------------------------------------------------
// The checks

function checkNpmDirs(pkg, targets) {
  const npmDir = path.join(repoRoot, 'npm')
  if (!fs.existsSync(npmDir)) fail('npm/ is missing: run `npx napi create-npm-dirs` and commit the result')
  const expected = targets.map((t) => t.platformArchABI).sort()
  const actual = fs
    .readdirSync(npmDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()
  if (expected.join() !== actual.join()) {
    fail(`npm/ folders do not match napi.targets: expected [${expected}], found [${actual}]`)
  }
  for (const abi of actual) {
    const platformPkg = JSON.parse(fs.readFileSync(path.join(npmDir, abi, 'package.json'), 'utf8'))
    const wantName = `${pkg.name}-${abi}`
    const wantMain = `${pkg.napi.binaryName}.${abi}.node`
    if (platformPkg.name !== wantName)
      fail(`npm/${abi}/package.json: name is ${platformPkg.name}, expected ${wantName}`)
    if (platformPkg.main !== wantMain)
      fail(`npm/${abi}/package.json: main is ${platformPkg.main}, expected ${wantMain}`)
    if (!platformPkg.files?.includes(wantMain)) fail(`npm/${abi}/package.json: files does not list ${wantMain}`)
  }
  ok('0. npm/ platform packages', `${actual.length} folders = napi.targets, named ${pkg.name}-<platform>`)
}

function checkMainTarball(pkg, targets, tmp) {
  const packDir = path.join(tmp, 'pack-main')
  fs.mkdirSync(packDir)
  const tarball = npmPack(repoRoot, packDir, '1. npm pack (main)')
  const files = tarballFiles(tarball, '1. main tarball')
  const names = [...files.keys()].sort()

  // README / LICENSE are always packed by npm when they exist; require them only if they do.
  const rootDocs = fs.readdirSync(repoRoot).filter((f) => /^(readme|license|licence)(\.[^.]+)?$/i.test(f))
  const required = ['index.js', 'index.d.ts', 'binding.js', 'binding.d.ts', 'lib/load.js', 'package.json', ...rootDocs]
  const missing = required.filter((f) => !files.has(f))
  if (missing.length)
    fail(`1. main tarball is missing ${missing.join(', ')}`, `tarball contains:\n  ${names.join('\n  ')}`)
  const forbidden = names.filter(
    (f) =>
      f.endsWith('.node') ||
      /^(src|target|core|npm|__test__)\//.test(f) ||
      f.endsWith('.rs') ||
      /^Cargo\.(toml|lock)$/.test(f) ||
      f.endsWith('.tgz'),
  )
  if (forbidden.length) fail(`1. main tarball contains files it must not ship: ${forbidden.join(', ')}`)

  const packedPkg = JSON.parse(files.get('package.json').toString('utf8'))
  for (const field of ['main', 'types']) {
    if (!files.has(packedPkg[field]))
      fail(`1. main tarball: package.json ${field} "${packedPkg[field]}" is not in the tarball`)
  }
  // binding.js is napi-rs's generated loader (index.js loads it through lib/load.js).
  const loader = files.get('binding.js').toString('utf8')
  const notLoaded = targets
    .map((t) => `${pkg.name}-${t.platformArchABI}`)
    .filter((name) => !loader.includes(`require('${name}')`))
  if (notLoaded.length) fail(`1. binding.js never requires platform package(s) ${notLoaded.join(', ')}`)

  ok('1. main tarball contents', `${names.join(', ')} (no .node, src/, target/)`)
  if (!rootDocs.length) note('the repo has no README.md or LICENSE, so the package ships neither')
  return { tarball, files, packedPkg }
}

/**
 * `npm pack` does not run prepublishOnly, so the packed package.json lacks the optionalDependencies
 * that `napi prepublish -t npm` adds when publishing. Rebuild the tarball from the packed files with
 * them added (the repo's package.json is not touched), so the install below sees what npm will serve.
 */
function publishShapeMainTarball(pkg, targets, main, tmp) {
  const expected = Object.fromEntries(targets.map((t) => [`${pkg.name}-${t.platformArchABI}`, pkg.version]))
  const declared = main.packedPkg.optionalDependencies
  const stage = path.join(tmp, 'stage-main')
  for (const [name, data] of main.files) {
    const dest = path.join(stage, name)
    if (!isInside(dest, stage)) fail(`2. refusing to extract ${name}: it leaves the staging folder`)
    fs.mkdirSync(path.dirname(dest), { recursive: true })
    fs.writeFileSync(dest, data)
  }
  let how
  let packedPkg = main.packedPkg
  if (declared && Object.keys(declared).length) {
    const wrong = Object.entries(expected).filter(([name, version]) => declared[name] !== version)
    if (wrong.length) {
      fail(
        `2. package.json optionalDependencies disagree with napi.targets/version for ${wrong.map(([n]) => n).join(', ')}`,
      )
    }
    how = 'package.json already declares them'
  } else {
    packedPkg = { ...packedPkg, optionalDependencies: expected }
    how = 'added to the packed copy, as `napi prepublish -t npm` does at publish time'
  }
  // What the publish job does before `npm publish` (scripts/publish-manifest.mjs): no install-time
  // scripts in the published package.json. (It also fills repository/homepage/bugs from the GitHub
  // repository it runs in; no URL is invented here.)
  const removed = Object.keys(packedPkg.scripts ?? {}).filter((s) => !(s in withoutInstallScripts(packedPkg).scripts))
  packedPkg = withoutInstallScripts(packedPkg)
  fs.writeFileSync(path.join(stage, 'package.json'), `${JSON.stringify(packedPkg, null, 2)}\n`)
  how += `; removed ${removed.length ? removed.join(', ') : 'no install scripts (none declared)'} as scripts/publish-manifest.mjs does`
  const dist = path.join(tmp, 'dist')
  fs.mkdirSync(dist, { recursive: true })
  const tarball = npmPack(stage, dist, '2. npm pack (publish-shape main)')
  const repacked = [...tarballFiles(tarball, '2. publish-shape main tarball').keys()].sort()
  if (repacked.join() !== [...main.files.keys()].sort().join()) {
    fail(`2. repacking changed the file list: ${repacked.join(', ')}`)
  }
  ok(
    '2. publish-shape main tarball',
    `optionalDependencies for ${Object.keys(expected).length} platform packages (${how})`,
  )
  return { tarball, optionalDependencies: expected }
}

function platformTarball(pkg, abi, tmp) {
  const binaryName = `${pkg.napi.binaryName}.${abi}.node`
  const builtBinary = path.join(repoRoot, binaryName)
  if (!fs.existsSync(builtBinary)) fail(`2. ${binaryName} is not built: run \`npm run build\` first`)
  const stage = path.join(tmp, `stage-${abi}`)
  fs.cpSync(path.join(repoRoot, 'npm', abi), stage, { recursive: true })
  // Read once and hash what was copied: the build may be rewriting the file concurrently.
  const builtBytes = fs.readFileSync(builtBinary)
  const builtHash = sha256(builtBytes)
  fs.writeFileSync(path.join(stage, binaryName), builtBytes, { mode: 0o755 }) // what `napi artifacts` does
  const platformPkgPath = path.join(stage, 'package.json')
  const platformPkg = JSON.parse(fs.readFileSync(platformPkgPath, 'utf8'))
  platformPkg.version = pkg.version
  fs.writeFileSync(platformPkgPath, `${JSON.stringify(platformPkg, null, 2)}\n`)

  const dist = path.join(tmp, 'dist')
  fs.mkdirSync(dist, { recursive: true })
  const tarball = npmPack(stage, dist, `2. npm pack (${platformPkg.name})`)
  const files = tarballFiles(tarball, `2. ${platformPkg.name} tarball`)
  if (!files.has(binaryName)) fail(`2. ${platformPkg.name} tarball lacks ${binaryName}`)
  if (sha256(files.get(binaryName)) !== builtHash) fail(`2. ${binaryName} in the tarball differs from the built one`)
  const packedVersion = JSON.parse(files.get('package.json').toString('utf8')).version
  if (packedVersion !== pkg.version)
    fail(`2. ${platformPkg.name} tarball has version ${packedVersion}, expected ${pkg.version}`)
  ok(
    `2. platform tarball ${platformPkg.name}@${pkg.version}`,
    `${[...files.keys()].sort().join(', ')} (${(files.get(binaryName).length / 1024).toFixed(0)} KiB addon)`,
  )
  return { tarball, name: platformPkg.name, abi, binaryName, builtHash }
}

/** PATH without any directory holding cargo/rustc, led by shims that record any attempt to run them. */
function noRustEnv(tmp) {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)
  const removed = [...new Set(dirs.filter((d) => /cargo|rustup/i.test(d)))]
  const kept = dirs.filter((d) => !/cargo|rustup/i.test(d))
  // node itself must stay reachable (npm's bin runs through `#!/usr/bin/env node`).
  const nodeDir = path.dirname(process.execPath)
  if (!kept.includes(nodeDir) && !/cargo|rustup/i.test(nodeDir)) kept.push(nodeDir)

  const tools = ['cargo', 'rustc', 'rustup']
  const exts = isWindows ? ['.exe', '.cmd', '.bat', ''] : ['']
  const stillFound = []
  for (const dir of kept) {
    for (const tool of tools) {
      for (const ext of exts) {
        try {
          fs.accessSync(path.join(dir, tool + ext), fs.constants.X_OK)
          stillFound.push(path.join(dir, tool + ext))
        } catch {}
      }
    }
  }

  const shimDir = path.join(tmp, 'rust-tripwire-bin')
  const marker = path.join(tmp, 'rust-tripwire.log')
  fs.mkdirSync(shimDir)
  for (const tool of tools) {
    const shim = path.join(shimDir, tool)
    fs.writeFileSync(
      shim,
      `#!/bin/sh\necho "${tool} $*" >> '${marker}'\necho "package-test: ${tool} must not be needed by a consumer" >&2\nexit 1\n`,
    )
    fs.chmodSync(shim, 0o755)
  }

  const env = baseEnv()
  for (const key of ['CARGO', 'CARGO_HOME', 'RUSTC', 'RUSTUP_HOME', 'RUSTUP_TOOLCHAIN', 'RUSTFLAGS']) delete env[key]
  env.PATH = [shimDir, ...kept].join(path.delimiter)
  // The loader then rejects a platform package whose version differs from the one it was generated for.
  env.NAPI_RS_ENFORCE_VERSION_CHECK = '1'
  return { env, removed, stillFound, marker }
}

function installConsumer(pkg, mainTgz, platform, tmp, rust) {
  const app = path.join(tmp, 'consumer')
  fs.mkdirSync(app)
  run('npm', ['init', '-y'], { cwd: app, env: rust.env, label: '3. npm init -y' })
  const install = run(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--offline', // only the two local tarballs can satisfy anything
      '--include=optional',
      '--cache',
      path.join(tmp, 'npm-cache'), // fresh cache: nothing cached elsewhere can leak in
      mainTgz,
      platform.tarball,
    ],
    { cwd: app, env: rust.env, label: '3. npm install <main.tgz> <platform.tgz>' },
  )

  // How npm resolved the main package's optionalDependency on the platform package.
  const { stdout } = run('npm', ['ls', '--all', '--json', '--offline'], { cwd: app, env: rust.env, label: '3. npm ls' })
  const tree = JSON.parse(stdout)
  const top = tree.dependencies?.[platform.name]
  const viaMain = tree.dependencies?.[pkg.name]?.dependencies?.[platform.name]
  if (!top?.resolved?.endsWith(path.basename(platform.tarball))) {
    fail(`3. ${platform.name} was not installed from the local tarball`, stdout)
  }
  if (viaMain?.version !== pkg.version) {
    fail(`3. ${pkg.name}'s optionalDependency ${platform.name} is not satisfied by ${pkg.version}`, stdout)
  }
  const nested = path.join(app, 'node_modules', pkg.name, 'node_modules')
  if (fs.existsSync(nested)) fail(`3. npm nested a second copy under ${nested}`)
  const unmet = Object.entries(tree.dependencies[pkg.name].dependencies ?? {})
    .filter(([, info]) => !info.version)
    .map(([name]) => name)

  // No install-time lifecycle script may exist: a consumer has nothing to build.
  for (const name of [pkg.name, platform.name]) {
    const installed = JSON.parse(fs.readFileSync(path.join(app, 'node_modules', name, 'package.json'), 'utf8'))
    const scripts = Object.keys(installed.scripts ?? {}).filter((s) =>
      ['preinstall', 'install', 'postinstall', 'prepare'].includes(s),
    )
    if (scripts.length) fail(`3. installed ${name} has install-time script(s): ${scripts.join(', ')}`)
  }

  ok(
    '3. offline install of both tarballs without Rust',
    `PATH minus [${rust.removed.join(', ') || 'nothing to remove'}]; ${platform.name} deduped into ${pkg.name}'s optionalDependency; ` +
      `${unmet.length} other platform packages skipped as unmet optional`,
  )
  if (rust.stillFound.length)
    note(`cargo/rustc also exist outside cargo dirs (${rust.stillFound.join(', ')}); shadowed by tripwire shims`)
  if (/install-scripts|npm warn/i.test(install.output)) {
    fail('3. npm install printed a warning; installing mmapkit must warn about nothing', install.output)
  }
  ok('3. no install-script warning', 'npm install printed no `npm warn` line')
  return app
}

function runConsumer(app, file, label, rust) {
  const { stdout, output } = run(process.execPath, [file], { cwd: app, env: rust.env, label })
  const line = stdout.trim().split('\n').pop() ?? ''
  if (!line.startsWith('OK ')) fail(`${label}: did not print OK`, output)
  return JSON.parse(line.slice(3))
}

function checkJsConsumers(app, rust) {
  fs.writeFileSync(path.join(app, 'esm-consumer.mjs'), jsConsumer('esm'))
  fs.writeFileSync(path.join(app, 'cjs-consumer.cjs'), jsConsumer('cjs'))
  const esm = runConsumer(app, 'esm-consumer.mjs', '4a. ESM consumer', rust)
  ok(
    '4a. ESM import { MemoryMappedFile, pageSize } from mmapkit',
    `openRo/readInto/asBuffer match fs over ${esm.bytes} bytes, pageSize ${esm.pageSize}`,
  )
  const cjs = runConsumer(app, 'cjs-consumer.cjs', '4b. CJS consumer', rust)
  ok("4b. CJS require('mmapkit')", `openRo/readInto/asBuffer match fs over ${cjs.bytes} bytes`)
  return { esm, cjs }
}

function checkTypeScript(app, rust) {
  const tscPath = path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc')
  if (!fs.existsSync(tscPath)) fail(`4c. ${tscPath} is missing: the repo's devDependencies are not installed`)
  const typeRoot = path.join(repoRoot, 'node_modules', '@types')
  if (!fs.existsSync(path.join(typeRoot, 'node'))) fail(`4c. ${typeRoot}/node is missing`)

  const compilerOptions = {
    strict: true,
    noEmit: true,
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    target: 'ES2022',
    lib: ['ES2022', 'esnext.disposable'],
    types: ['node'],
    typeRoots: [typeRoot],
  }
  const write = (name, text) => fs.writeFileSync(path.join(app, name), text)
  write('consumer.ts', tsConsumer)
  write('consumer-esm.mts', tsEsmConsumer)
  write('bad-call-expect-error.ts', badCall(true))
  write('bad-call.ts', badCall(false))
  write(
    'tsconfig.json',
    JSON.stringify(
      { compilerOptions, files: ['consumer.ts', 'consumer-esm.mts', 'bad-call-expect-error.ts'] },
      null,
      2,
    ),
  )
  write('tsconfig.bad.json', JSON.stringify({ extends: './tsconfig.json', files: ['bad-call.ts'] }, null, 2))

  const tsc = (project, expectFailure) =>
    run(process.execPath, [tscPath, '-p', project, '--pretty', 'false'], {
      cwd: app,
      env: rust.env,
      label: `4c. tsc -p ${project}`,
      expectFailure,
    })
  tsc('tsconfig.json', false)

  // Without the directive the bad call must fail, and only with the expected argument error.
  const bad = tsc('tsconfig.bad.json', true)
  const errors = bad.output.split('\n').filter((l) => /error TS\d+/.test(l))
  const line =
    badCall(false)
      .split('\n')
      .findIndex((l) => l.includes("readInto('0'")) + 1
  if (errors.length !== 1 || !errors[0].startsWith(`bad-call.ts(${line},`) || !errors[0].includes('error TS2345')) {
    fail(`4c. expected exactly one TS2345 at bad-call.ts line ${line}`, bad.output)
  }

  // Run the typed consumer too, so `using` is shown to close the mapping at runtime.
  const ts = repoRequire('typescript')
  const { outputText } = ts.transpileModule(tsConsumer, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
  })
  write('consumer-ts.cjs', outputText)
  const result = runConsumer(app, 'consumer-ts.cjs', '4c. compiled consumer.ts', rust)
  ok(
    '4c. strict TypeScript consumer (NodeNext, CJS .ts + ESM .mts)',
    `tsc ${ts.version} clean; readInto('0', ...) is ${errors[0].match(/TS\d+/)[0]}; \`using\` closed the file at runtime`,
  )
  return result
}

function checkOldestTypeScript(app, rust) {
  const tscPath = path.join(repoRoot, 'node_modules', 'typescript-5.0', 'bin', 'tsc')
  if (!fs.existsSync(tscPath)) fail(`4d. ${tscPath} is missing: the repo's devDependencies are not installed`)
  const version = JSON.parse(
    fs.readFileSync(path.join(repoRoot, 'node_modules', 'typescript-5.0', 'package.json'), 'utf8'),
  ).version
  const typeRoot = path.join(repoRoot, 'node_modules', '@types')
  const write = (name, text) => fs.writeFileSync(path.join(app, name), text)
  write('consumer-ts50.ts', ts50Consumer)
  write('consumer-ts50.mts', ts50Consumer)
  // skipLibCheck off checks the typings themselves; on, only what a consumer's code uses of them
  // (the tsc --init default). The first is pending a typings fix, the second must pass.
  const typingErrors = []
  for (const skipLibCheck of [false, true]) {
    for (const module of ['CommonJS', 'NodeNext']) {
      const name = `tsconfig.ts50-${module.toLowerCase()}-${skipLibCheck ? 'skiplib' : 'libcheck'}.json`
      const compilerOptions = {
        strict: true,
        noEmit: true,
        skipLibCheck,
        module,
        moduleResolution: module === 'CommonJS' ? 'node' : 'NodeNext',
        target: 'ES2022',
        lib: ['ES2022'],
        types: ['node'],
        typeRoots: [typeRoot],
      }
      const files = module === 'CommonJS' ? ['consumer-ts50.ts'] : ['consumer-ts50.mts']
      write(name, JSON.stringify({ compilerOptions, files }, null, 2))
      const result = run(process.execPath, [tscPath, '-p', name, '--pretty', 'false'], {
        cwd: app,
        env: rust.env,
        label: `4d. TypeScript ${version}: tsc -p ${name}`,
        expectFailure: skipLibCheck ? false : null,
      })
      if (!skipLibCheck && result.status !== 0) typingErrors.push(`tsc -p ${name}:\n${result.output.trim()}`)
    }
  }
  if (typingErrors.length) {
    const first = typingErrors[0].split('\n').find((l) => /error TS/.test(l)) ?? ''
    pendingFail(
      `4d. TypeScript ${version} with skipLibCheck: false`,
      `index.d.ts does not compile: ${first.trim()}`,
      typingErrors.join('\n\n'),
    )
  }
  ok(
    `4d. strict TypeScript ${version} (the oldest supported)`,
    `a consumer compiles (CommonJS and NodeNext, skipLibCheck on)${typingErrors.length ? '' : '; index.d.ts compiles with skipLibCheck off'}`,
  )
}

function checkWorker(app, rust) {
  fs.writeFileSync(path.join(app, 'worker-consumer.mjs'), workerConsumer)
  const result = runConsumer(app, 'worker-consumer.mjs', '4e. worker thread', rust)
  ok(
    '4e. worker thread',
    `a Worker loads mmapkit beside the main thread; both sum ${result.sum} from their own mappings`,
  )
}

function checkEsbuild(pkg, platform, app, rust) {
  const esbuild = path.join(repoRoot, 'node_modules', 'esbuild', 'bin', 'esbuild')
  if (!fs.existsSync(esbuild)) fail(`4f. ${esbuild} is missing: the repo's devDependencies are not installed`)
  fs.writeFileSync(path.join(app, 'app.js'), bundleEntry)
  // The command the README shows, word for word (plus --log-level).
  // esbuild's bin is its native executable once installed (a node shim otherwise): run it directly.
  run(
    esbuild,
    ['app.js', '--bundle', '--platform=node', '--external:mmapkit', '--outfile=dist/app.js', '--log-level=warning'],
    { cwd: app, env: rust.env, label: '4f. esbuild --bundle --external:mmapkit' },
  )
  const bundle = fs.readFileSync(path.join(app, 'dist', 'app.js'), 'utf8')
  if (!/require\(["']mmapkit["']\)/.test(bundle)) fail('4f. the bundle does not require("mmapkit") at run time', bundle)
  if (bundle.includes(platform.name)) fail(`4f. the bundle inlined the loader (it names ${platform.name})`)
  const result = runConsumer(app, path.join('dist', 'app.js'), '4f. node dist/app.js', rust)
  ok(
    '4f. esbuild bundle with mmapkit external',
    `${(bundle.length / 1024).toFixed(1)} KiB bundle requires ${pkg.name} at run time; it ran (${result.lines} lines)`,
  )
}

/**
 * The README's other bundler recipe: bundle the loader too, with the platform packages external,
 * and ship the addon file next to the bundle (here: in a folder with no node_modules at all).
 */
function checkEsbuildLoaderBundled(platform, app, tmp, rust) {
  const esbuild = path.join(repoRoot, 'node_modules', 'esbuild', 'bin', 'esbuild')
  run(
    esbuild,
    [
      'app.js',
      '--bundle',
      '--platform=node',
      '--external:mmapkit-*',
      '--outfile=dist-loader/app.js',
      '--log-level=error',
    ],
    { cwd: app, env: rust.env, label: "4g. esbuild --bundle --external:'mmapkit-*'" },
  )
  const deploy = path.join(tmp, 'deploy-without-node-modules')
  fs.mkdirSync(deploy)
  fs.copyFileSync(path.join(app, 'dist-loader', 'app.js'), path.join(deploy, 'app.js'))
  fs.copyFileSync(
    path.join(app, 'node_modules', platform.name, platform.binaryName),
    path.join(deploy, platform.binaryName),
  )
  const result = runConsumer(deploy, 'app.js', '4g. node app.js beside the .node file', rust)
  ok(
    "4g. esbuild bundle of the loader with 'mmapkit-*' external",
    `ran from a folder holding only app.js and ${platform.binaryName} (${result.lines} lines)`,
  )
}

// The README's Deno command, flag for flag, and Bun with no flags. They run when MMAPKIT_DENO /
// MMAPKIT_BUN name the executables (CI installs them: `npm i --prefix DIR deno@X bun@Y`).
const DENO_FLAGS = [
  '--allow-ffi',
  '--allow-read',
  '--allow-env=NAPI_RS_NATIVE_LIBRARY_PATH,NAPI_RS_FORCE_WASI,NAPI_RS_ENFORCE_VERSION_CHECK,NAPI_RS_WASI_FLAVOR',
]
const runtimeConsumer = `import { MemoryMappedFile, pageSize } from 'mmapkit'
import { createRequire } from 'node:module'

const cjs = createRequire(import.meta.url)('mmapkit')
let kept: MemoryMappedFile
let lines = 0
{
  using file = MemoryMappedFile.openRo('data-ts.bin')
  kept = file
  lines = file.countLines() + cjs.MemoryMappedFile.openRo('data-ts.bin').countLines()
}
if (!kept.closed) throw new Error('using did not close the mapping')
console.log('OK ' + JSON.stringify({ lines, pageSize: pageSize() }))
`

/** The commands these checks run are the ones the README (or docs/runtimes.md, its details) shows. */
function checkReadmeCommands() {
  const readme = ['README.md', 'docs/runtimes.md']
    .map((file) => fs.readFileSync(path.join(repoRoot, file), 'utf8'))
    .join('\n')
    .replace(/\\\n\s*/g, '')
  const wanted = [
    `deno run ${DENO_FLAGS.join(' ')} main.ts`,
    'esbuild app.js --bundle --platform=node --external:mmapkit --outfile=dist/app.js',
    "--external:'mmapkit-*'",
  ]
  const missing = wanted.filter((command) => !readme.includes(command))
  if (missing.length)
    fail(`README.md and docs/runtimes.md no longer show what the package test runs: ${missing.join(' | ')}`)
  ok('4h. README commands', 'the Deno and esbuild commands checked here are the ones README.md shows')
}

function checkRuntimes(app, rust) {
  checkReadmeCommands()
  fs.writeFileSync(path.join(app, 'runtime-consumer.ts'), runtimeConsumer)
  fs.writeFileSync(path.join(app, 'data-ts.bin'), 'runtime\n'.repeat(50))
  const runtimes = [
    ['4i. Deno', process.env.MMAPKIT_DENO, ['run', ...DENO_FLAGS, 'runtime-consumer.ts']],
    ['4j. Bun', process.env.MMAPKIT_BUN, ['runtime-consumer.ts']],
  ]
  for (const [label, exe, args] of runtimes) {
    if (!exe) {
      note(`${label} skipped: set ${label.includes('Deno') ? 'MMAPKIT_DENO' : 'MMAPKIT_BUN'} to its executable`)
      continue
    }
    const version = run(exe, ['--version'], { cwd: app, env: rust.env, label: `${label} --version` }).stdout
    const env = { ...rust.env, NO_COLOR: '1' }
    delete env.NAPI_RS_ENFORCE_VERSION_CHECK // our tripwire env var, not one a Deno user sets
    const { stdout, output } = run(exe, args, { cwd: app, env, label: `${label}: ${[exe, ...args].join(' ')}` })
    const line = stdout.trim().split('\n').pop() ?? ''
    if (!line.startsWith('OK ')) fail(`${label}: did not print OK`, output)
    ok(
      `${label} ${version.split('\n')[0].trim()}`,
      `${args.slice(0, -1).join(' ') || 'no flags'}: ESM + CJS + \`using\` work`,
    )
  }
}

function checkExports(esm, cjs) {
  const label = '6a. only public exports'
  const problems = []
  for (const [who, result] of Object.entries({ ESM: esm, CJS: cjs })) {
    const hooks = result.exports.filter((name) => name.startsWith('__'))
    const missing = PUBLIC_EXPORTS.filter((name) => !result.exports.includes(name))
    if (hooks.length) problems.push(`${who} exports test hooks / loader details: ${hooks.join(', ')}`)
    if (missing.length) problems.push(`${who} lacks ${missing.join(', ')}`)
  }
  if (problems.length) {
    pendingFail(
      label,
      problems.join('; '),
      `CJS exports: ${cjs.exports.join(', ')}\nESM exports: ${esm.exports.join(', ')}`,
    )
  } else {
    ok('6a. only public exports', cjs.exports.join(', '))
  }
}

/** The error's message, and those of its causes, one per line. */
const errorProbe = `
let e
try {
  require(process.argv[2])
} catch (error) {
  e = error
}
if (!e) {
  console.log('LOADED')
  process.exit(0)
}
console.log(JSON.stringify({ message: String(e.message), code: e.code ?? null, causes: (() => {
  const out = []
  for (let c = e.cause, i = 0; c && i < 10; c = c.cause, i++) out.push(String(c.message ?? c).split('\\n')[0])
  return out
})() }))
process.exit(3)
`

/**
 * The loader's error names the platform, the package to install and the real cause (lib/load.js).
 * `probe` is the loader's error as JSON, `cause` what must be named.
 */
function checkLoaderMessage(label, probe, abi, packageName, cause) {
  const problems = []
  const { message } = probe
  if (!new RegExp(`(^|[^\\w-])${abi}([^\\w-]|$)`).test(message)) problems.push(`does not name the platform ${abi}`)
  if (!message.includes(packageName)) problems.push(`does not name the package to install, ${packageName}`)
  if (!cause.test(message)) problems.push(`does not state the real cause (${cause})`)
  if (/wasm32-wasi/.test(message)) problems.push('blames the wasm32-wasi package, which does not exist')
  if (problems.length) {
    pendingFail(
      `${label}`,
      `the message ${problems.join('; ')}`,
      `message: ${message}\ncauses:\n  ${probe.causes.join('\n  ')}`,
    )
  } else {
    ok(label, message.split('\n')[0])
  }
}

function probeLoader(dir, args, label, rust) {
  fs.writeFileSync(path.join(dir, 'probe-loader.cjs'), errorProbe)
  const attempt = run(process.execPath, [...args, 'probe-loader.cjs', 'mmapkit'], {
    cwd: dir,
    env: rust.env,
    label,
    expectFailure: true,
  })
  const line = attempt.stdout.trim().split('\n').pop() ?? ''
  try {
    return JSON.parse(line)
  } catch {
    return fail(`${label}: the probe printed no error`, attempt.output)
  }
}

function checkPermissionMessage(platform, app, rust) {
  // Node 20 spells it --experimental-permission, Node 22+ --permission; neither allows addons
  // without --allow-addons, whatever the file system permissions.
  const flag = process.allowedNodeEnvironmentFlags.has('--permission') ? '--permission' : '--experimental-permission'
  const probe = probeLoader(
    app,
    [flag, '--allow-fs-read=*', '--no-warnings'],
    `7b. require('mmapkit') under ${flag} without --allow-addons`,
    rust,
  )
  checkLoaderMessage(
    `7b. loader error under ${flag} without --allow-addons`,
    probe,
    platform.abi,
    platform.name,
    /--allow-addons|ERR_DLOPEN_DISABLED|loading addons is disabled/,
  )
}

function checkProvenance(pkg, platform, app, tmp, mainTgz, loadedBy, rust) {
  const appReal = fs.realpathSync(app)
  const appRequire = createRequire(path.join(appReal, 'package.json'))
  const platformEntry = fs.realpathSync(appRequire.resolve(platform.name))
  const platformDir = path.join(appReal, 'node_modules', platform.name)
  if (!isInside(platformEntry, platformDir) || path.basename(platformEntry) !== platform.binaryName) {
    fail(`5. require.resolve('${platform.name}') is ${platformEntry}, not ${platform.binaryName} inside ${platformDir}`)
  }
  const mainEntry = fs.realpathSync(appRequire.resolve(pkg.name))
  const mainDir = path.join(appReal, 'node_modules', pkg.name)
  if (!isInside(mainEntry, mainDir)) fail(`5. require.resolve('${pkg.name}') is ${mainEntry}, outside ${mainDir}`)
  const mainBinaries = walkFiles(mainDir).filter((f) => f.endsWith('.node'))
  if (mainBinaries.length) fail(`5. the installed main package contains ${mainBinaries.join(', ')}`)
  const allBinaries = walkFiles(path.join(appReal, 'node_modules')).filter((f) => f.endsWith('.node'))
  if (allBinaries.length !== 1 || allBinaries[0] !== platformEntry) {
    fail(`5. expected exactly one .node under node_modules, found: ${allBinaries.join(', ')}`)
  }
  if (sha256(fs.readFileSync(platformEntry)) !== platform.builtHash)
    fail(`5. the installed ${platform.binaryName} differs from the built one`)
  for (const [who, result] of Object.entries(loadedBy)) {
    const loaded = result.addons.map((a) => fs.realpathSync(a))
    if (loaded.length !== 1 || loaded[0] !== platformEntry) {
      fail(`5. the ${who} consumer loaded [${loaded.join(', ')}] instead of ${platformEntry}`)
    }
  }

  // Without the platform package the main package must not find a binary anywhere.
  const bare = path.join(tmp, 'consumer-without-platform')
  fs.mkdirSync(bare)
  run('npm', ['init', '-y'], { cwd: bare, env: rust.env, label: '5. npm init -y (no platform)' })
  run(
    'npm',
    ['install', '--no-audit', '--no-fund', '--offline', '--cache', path.join(tmp, 'npm-cache-bare'), mainTgz],
    {
      cwd: bare,
      env: rust.env,
      label: '5. npm install <main.tgz> alone',
    },
  )
  const probe = probeLoader(bare, [], `5. require('${pkg.name}') without ${platform.name}`, rust)

  ok(
    '5. binary provenance',
    `ESM, CJS and TS consumers all loaded node_modules/${platform.name}/${platform.binaryName} (same bytes as the build); ` +
      `main package has no .node; without ${platform.name} require() fails`,
  )
  checkLoaderMessage(
    `7a. loader error without ${platform.name}`,
    probe,
    platform.abi,
    platform.name,
    new RegExp(`Cannot find module '${platform.name}'|${platform.name}[^\\n]*not (installed|found)`),
  )
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8'))
  const { parseTriple } = await import(repoRequire.resolve('@napi-rs/cli'))
  const targets = pkg.napi.targets.map((triple) => parseTriple(triple))

  const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), `${pkg.name}-package-test-`)))
  let passed = false
  try {
    checkNpmDirs(pkg, targets)
    const main = checkMainTarball(pkg, targets, tmp)

    const abi = 'linux-x64-gnu'
    if (!isLinuxX64Gnu()) {
      console.log(`skip  2-5. install checks: the built binary is ${abi} and this host is ${hostDescription()}`)
      passed = true
      return
    }
    const publishMain = publishShapeMainTarball(pkg, targets, main, tmp)
    const platform = platformTarball(pkg, abi, tmp)
    const rust = noRustEnv(tmp)
    const app = installConsumer(pkg, publishMain.tarball, platform, tmp, rust)
    const { esm, cjs } = checkJsConsumers(app, rust)
    const ts = checkTypeScript(app, rust)
    checkOldestTypeScript(app, rust)
    checkWorker(app, rust)
    checkEsbuild(pkg, platform, app, rust)
    checkEsbuildLoaderBundled(platform, app, tmp, rust)
    checkRuntimes(app, rust)
    checkProvenance(pkg, platform, app, tmp, publishMain.tarball, { ESM: esm, CJS: cjs, TS: ts }, rust)
    checkExports(esm, cjs)
    checkPermissionMessage(platform, app, rust)
    if (fs.existsSync(rust.marker)) {
      fail(`no-Rust tripwire: something ran ${fs.readFileSync(rust.marker, 'utf8').trim().replace(/\n/g, '; ')}`)
    }
    if (pending.length) {
      fail(
        `${pending.length} check(s) PENDING changes outside scripts/ (index.js, typings) failed:\n` +
          pending.map((p) => `  ${p.label}: ${p.message}`).join('\n'),
        pending.map((p) => `${p.label}:\n${p.details ?? ''}`).join('\n\n'),
      )
    }
    passed = true
  } finally {
    if (keepTemp) console.log(`kept  ${tmp}`)
    else fs.rmSync(tmp, { recursive: true, force: true })
    if (passed) console.log(`PASS  package test (${((Date.now() - started) / 1000).toFixed(1)}s)`)
  }
}

main().catch((error) => {
  if (error instanceof CheckError) {
    console.error(`FAIL  ${error.message}`)
    if (error.details) console.error(error.details.trimEnd().replace(/^/gm, '      '))
  } else {
    console.error('FAIL  package test crashed:', error)
  }
  process.exitCode = 1
})
