#!/usr/bin/env node
// Runs the JavaScript and TypeScript examples of the docs, so a wrong example fails `npm test`.
//
//   node scripts/readme-examples.mjs [FILE.md ...]    (default: README.md BENCHMARKS.md CONTRIBUTING.md)
//   README_EXAMPLES_KEEP=1 keeps the temp dir
//
// Every fenced block whose language is js, mjs, cjs, javascript, ts, mts, cts or typescript is
// checked; shell and console blocks are not. How a block is treated is set by words after the
// language in its info string (```ts fragment) or by an HTML comment on the line before the fence
// (<!-- example: fragment -->):
//
//   (nothing)   a complete program: TypeScript is type-checked (strict) and then run, JavaScript is
//               run; both as ES modules (cjs: as CommonJS) on the current Node, in a fresh temp dir
//               where `mmapkit` resolves to this checkout's built package. It must exit with 0.
//   fragment    type-checked only, inside an async function, with the public names of mmapkit
//               imported and `file`, `rw` (MemoryMappedFile), `segment` (Segment), `target`
//               (Uint8Array) and `signal` (AbortSignal) declared, unless the block declares them.
//   cjs         run as CommonJS (.cjs / .cts).
//   skip        not checked (say why in the text).
//
// Fixture files, created in the temp dir when the block mentions their name:
//   data.bin   1 MiB (1,048,576 bytes) of deterministic bytes
//   app.log    a 2,000-line log (~130 KB) with `ERROR` on every 8th line and `GET /api` requests

import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(path.join(root, 'package.json'))
const TIMEOUT_MS = 60_000
const LANGUAGES = new Map([
  ['js', 'js'],
  ['javascript', 'js'],
  ['mjs', 'js'],
  ['cjs', 'js'],
  ['ts', 'ts'],
  ['typescript', 'ts'],
  ['mts', 'ts'],
  ['cts', 'ts'],
])
const TAGS = new Set(['fragment', 'cjs', 'skip'])

/** The fenced blocks of a markdown file that hold JS or TS, with how to treat each. */
export function extractBlocks(markdown, file) {
  const lines = markdown.split('\n')
  const blocks = []
  for (let i = 0; i < lines.length; i++) {
    const open = /^( {0,3})(`{3,}|~{3,})\s*([^\s`]*)\s*(.*)$/.exec(lines[i])
    if (!open) continue
    const [, indent, fence, lang, rest] = open
    const start = i
    const body = []
    for (i++; i < lines.length; i++) {
      if (new RegExp(`^ {0,3}${fence[0]}{${fence.length},}\\s*$`).test(lines[i])) break
      body.push(lines[i].startsWith(indent) ? lines[i].slice(indent.length) : lines[i])
    }
    const kind = LANGUAGES.get(lang.toLowerCase())
    if (!kind) continue
    const tags = new Set(rest.split(/[\s,]+/).filter(Boolean))
    let j = start - 1
    while (j >= 0 && lines[j].trim() === '') j--
    const comment = j >= 0 ? /^<!--\s*example:\s*(.*?)\s*-->$/.exec(lines[j].trim()) : null
    if (comment) for (const tag of comment[1].split(/[\s,]+/).filter(Boolean)) tags.add(tag)
    for (const tag of tags) {
      if (!TAGS.has(tag)) throw new Error(`${file}:${start + 1}: unknown example tag '${tag}'`)
    }
    if (lang === 'cjs' || lang === 'cts') tags.add('cjs')
    blocks.push({ file, line: start + 1, kind, tags, code: body.join('\n') })
  }
  return blocks
}

// ---------------------------------------------------------------------------------------------
// Fixtures

function lcgBytes(length, seed) {
  const out = Buffer.alloc(length)
  let x = seed >>> 0
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0
    out[i] = x >>> 24
  }
  return out
}

function appLog() {
  const lines = []
  const paths = ['/api/items', '/api/users', '/static/app.js', '/api/orders', '/health']
  for (let i = 0; i < 2000; i++) {
    const time = new Date(Date.UTC(2026, 10, 30, 12, 0, 0) + i * 137).toISOString()
    const level = i % 8 === 3 ? 'ERROR' : i % 5 === 0 ? 'WARN ' : 'INFO '
    const p = paths[i % paths.length]
    lines.push(`${time} ${level} GET ${p}/${(i * 7919) % 10007} status=${level === 'ERROR' ? 500 : 200} ms=${i % 97}`)
  }
  return `${lines.join('\n')}\n`
}

const FIXTURES = {
  'data.bin': () => lcgBytes(1 << 20, 12345),
  'app.log': appLog,
}

// ---------------------------------------------------------------------------------------------
// Type-checking

const PUBLIC_VALUES = ['MemoryMappedFile', 'Segment', 'RingBuffer', 'ChunkIterator', 'createMmap', 'loadMmap']
PUBLIC_VALUES.push('writeMmap', 'pageSize')
const FRAGMENT_GLOBALS = {
  file: 'MemoryMappedFile',
  rw: 'MemoryMappedFile',
  segment: 'Segment',
  target: 'Uint8Array',
  signal: 'AbortSignal',
}

/**
 * A fragment as a module: its imports at the top, the rest in an async function. Returns the text
 * and, for each line of it, the fragment's line number (0 for added lines).
 */
function fragmentModule(code) {
  const importLines = []
  const bodyLines = []
  const importAt = []
  const bodyAt = []
  const imported = new Set()
  for (const [index, line] of code.split('\n').entries()) {
    const match = /^import\s+(?:type\s+)?\{([^}]*)\}\s+from\s+['"]([^'"]+)['"]/.exec(line)
    if (/^import\s/.test(line)) {
      importLines.push(line)
      importAt.push(index + 1)
      if (match && match[2] === 'mmapkit') {
        for (const name of match[1].split(',')) imported.add(name.replace(/^\s*type\s+/, '').trim())
      }
    } else {
      bodyLines.push(line)
      bodyAt.push(index + 1)
    }
  }
  const values = PUBLIC_VALUES.filter((name) => !imported.has(name))
  const prelude = values.length ? [`import { ${values.join(', ')} } from 'mmapkit'`] : []
  for (const [name, type] of Object.entries(FRAGMENT_GLOBALS)) prelude.push(`declare const ${name}: ${type}`)
  prelude.push(`void [${values.join(', ')}]`)
  const lines = [...importLines, ...prelude, 'export async function fragment(): Promise<void> {', ...bodyLines, '}', '']
  const lineMap = [...importAt, ...prelude.map(() => 0), 0, ...bodyAt, 0, 0]
  return { text: lines.join('\n'), lineMap }
}

function linkPackage(dir) {
  fs.mkdirSync(path.join(dir, 'node_modules'), { recursive: true })
  fs.symlinkSync(root, path.join(dir, 'node_modules', 'mmapkit'), process.platform === 'win32' ? 'junction' : 'dir')
}

function typeCheck(blocks, tmp) {
  const dir = path.join(tmp, 'types')
  linkPackage(dir)
  const files = []
  blocks.forEach((block, index) => {
    const cjs = block.tags.has('cjs')
    const name = `block-${index + 1}.${cjs ? 'cts' : 'mts'}`
    const { text, lineMap } = block.tags.has('fragment')
      ? fragmentModule(block.code)
      : { text: `${block.code}\nexport {}\n`, lineMap: null }
    fs.writeFileSync(path.join(dir, name), text)
    files.push({ name, block, lineMap })
  })
  fs.writeFileSync(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify(
      {
        compilerOptions: {
          strict: true,
          noEmit: true,
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          lib: ['ES2022', 'esnext.disposable', 'DOM'],
          types: ['node'],
          typeRoots: [path.join(root, 'node_modules', '@types')],
          skipLibCheck: false,
        },
        files: files.map((f) => f.name),
      },
      null,
      2,
    ),
  )
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc')
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json', '--pretty', 'false'], {
    cwd: dir,
    encoding: 'utf8',
  })
  const failures = new Map()
  for (const line of `${result.stdout}${result.stderr}`.split('\n')) {
    const match = /^(block-(\d+)\.[cm]ts)\((\d+),(\d+)\): (error .*)$/.exec(line)
    if (!match) continue
    const { block, lineMap } = files[Number(match[2]) - 1]
    const inBlock = lineMap ? lineMap[Number(match[3]) - 1] : Number(match[3])
    const where = inBlock ? `line ${block.line + inBlock} (block line ${inBlock})` : 'the fragment prelude'
    const message = `${block.file}:${block.line}: ${where}: ${match[5]}`
    failures.set(block, [...(failures.get(block) ?? []), message])
  }
  if (result.status !== 0 && failures.size === 0) {
    throw new Error(`tsc failed without block errors:\n${result.stdout}${result.stderr}`)
  }
  return failures
}

// ---------------------------------------------------------------------------------------------
// Running

function runBlock(block, tmp, index) {
  const dir = path.join(tmp, `run-${index + 1}`)
  linkPackage(dir)
  for (const [name, make] of Object.entries(FIXTURES)) {
    if (block.code.includes(name)) fs.writeFileSync(path.join(dir, name), make())
  }
  const cjs = block.tags.has('cjs')
  let code = block.code
  if (block.kind === 'ts') {
    const ts = require('typescript')
    code = ts.transpileModule(code, {
      compilerOptions: {
        module: cjs ? ts.ModuleKind.CommonJS : ts.ModuleKind.ESNext,
        target: ts.ScriptTarget.ES2022,
      },
    }).outputText
  }
  const name = `example.${cjs ? 'cjs' : 'mjs'}`
  fs.writeFileSync(path.join(dir, name), code)
  const env = { ...process.env }
  for (const key of Object.keys(env)) if (key.startsWith('NAPI_RS_')) delete env[key]
  const result = spawnSync(process.execPath, [name], { cwd: dir, env, encoding: 'utf8', timeout: TIMEOUT_MS })
  if (result.error) return `could not run: ${result.error.message}`
  if (result.signal) return `killed by ${result.signal}\n${result.stdout}${result.stderr}`
  if (result.status !== 0) return `exit code ${result.status}\n${result.stdout}${result.stderr}`
  return null
}

// ---------------------------------------------------------------------------------------------

function main() {
  const args = process.argv.slice(2)
  const docs = args.length ? args : ['README.md', 'BENCHMARKS.md', 'CONTRIBUTING.md']
  const blocks = []
  for (const doc of docs) {
    const file = path.resolve(root, doc)
    if (!fs.existsSync(file)) {
      if (args.length) throw new Error(`${doc} does not exist`)
      continue
    }
    blocks.push(...extractBlocks(fs.readFileSync(file, 'utf8'), path.relative(root, file)))
  }
  const checked = blocks.filter((b) => !b.tags.has('skip'))
  const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'mmapkit-readme-')))
  let failed = 0
  try {
    const tsBlocks = checked.filter((b) => b.kind === 'ts')
    const typeFailures = tsBlocks.length ? typeCheck(tsBlocks, tmp) : new Map()
    checked.forEach((block, index) => {
      const where = `${block.file}:${block.line}`
      const what = block.tags.has('fragment') ? 'type-checked' : block.kind === 'ts' ? 'type-checked and ran' : 'ran'
      const typeErrors = typeFailures.get(block)
      if (typeErrors) {
        failed++
        console.log(`FAIL  ${where} (${block.kind}): type errors\n${typeErrors.map((e) => `      | ${e}`).join('\n')}`)
        return
      }
      if (block.tags.has('fragment')) {
        console.log(`ok    ${where} (${block.kind} fragment) ${what}`)
        return
      }
      const started = performance.now()
      const failure = runBlock(block, tmp, index)
      const seconds = ((performance.now() - started) / 1000).toFixed(1)
      if (failure) {
        failed++
        console.log(`FAIL  ${where} (${block.kind}, ${seconds} s): ${failure.trimEnd().replace(/\n/g, '\n      | ')}`)
      } else {
        console.log(`ok    ${where} (${block.kind}) ${what} (${seconds} s)`)
      }
    })
    for (const block of blocks.filter((b) => b.tags.has('skip'))) console.log(`skip  ${block.file}:${block.line}`)
  } finally {
    if (process.env.README_EXAMPLES_KEEP === '1') console.log(`kept ${tmp}`)
    else fs.rmSync(tmp, { recursive: true, force: true })
  }
  console.log(
    `${checked.length - failed} passed, ${failed} failed (${blocks.length} JS/TS blocks in ${docs.join(', ')})`,
  )
  if (checked.length === 0) {
    console.log('no JS/TS blocks found: nothing was checked')
    process.exitCode = 1
  }
  if (failed) process.exitCode = 1
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main()
