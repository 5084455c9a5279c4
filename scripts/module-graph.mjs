#!/usr/bin/env node
// The module graph of a Rust crate, and a check that it has no cycles.
//
//   node scripts/module-graph.mjs core/src [--edges] [--dot]
//
// Modules come from `mod` declarations (files, `#[path]`/`#[cfg_attr(.., path = ..)]` included,
// and inline `mod name { .. }` blocks) starting at lib.rs (or main.rs). A module depends on every
// module of the crate it names by a `crate::`, `super::` or `self::` path (in `use` trees, with
// their `{..}` groups, and anywhere in code), or by a `use` of one of its child modules. Comments and
// string literals are ignored.
//
// The rule is Rust's usual layering: a module may use its ancestors' and its descendants' items (a
// parent declares its children; a child uses `super::`). Any other dependency is lifted to the two
// sibling modules that contain its ends (`a::x -> b::y` is `a -> b`), and the siblings of each
// module must not depend on each other in a cycle. Exit status 1 on a cycle, listing the `use`
// lines that make it; 0 otherwise. `--edges` prints the sibling dependencies, `--dot` a Graphviz
// graph of them.
import { existsSync, readFileSync } from 'node:fs'
import { basename, dirname, join, relative } from 'node:path'

const args = process.argv.slice(2)
const flags = new Set(args.filter((a) => a.startsWith('--')))
const roots = args.filter((a) => !a.startsWith('--'))
if (roots.length !== 1 || [...flags].some((f) => f !== '--edges' && f !== '--dot')) {
  console.error('usage: node scripts/module-graph.mjs <crate src dir> [--edges] [--dot]')
  process.exit(2)
}
const srcDir = roots[0]
const rootFile = ['lib.rs', 'main.rs'].map((f) => join(srcDir, f)).find((f) => existsSync(f))
if (!rootFile) {
  console.error(`module-graph: no lib.rs or main.rs in ${srcDir}`)
  process.exit(2)
}

/** Blanks comments, string and char literals (keeping offsets and newlines). */
function stripCode(text) {
  const out = text.split('')
  const blank = (from, to) => {
    for (let k = from; k < to; k++) if (out[k] !== '\n') out[k] = ' '
  }
  let i = 0
  while (i < text.length) {
    const c = text[i]
    const next = text[i + 1]
    if (c === '/' && next === '/') {
      const end = text.indexOf('\n', i)
      const stop = end === -1 ? text.length : end
      blank(i, stop)
      i = stop
    } else if (c === '/' && next === '*') {
      let depth = 1
      let j = i + 2
      while (j < text.length && depth > 0) {
        if (text.startsWith('/*', j) || text.startsWith('*/', j)) {
          depth += text[j] === '/' ? 1 : -1
          j += 2
        } else j++
      }
      blank(i, j)
      i = j
    } else if (/[rb]/.test(c) && /[r#"]/.test(next ?? '') && !/\w/.test(text[i - 1] ?? '')) {
      // r"..", r#".."#, b"..", br#".."#
      const m = /^(?:br|rb|r|b)(#*)"/.exec(text.slice(i, i + 260))
      if (!m) {
        i++
        continue
      }
      const raw = m[0].includes('r')
      const close = '"' + m[1]
      let j = i + m[0].length
      while (j < text.length) {
        if (!raw && text[j] === '\\') j += 2
        else if (text.startsWith(close, j)) break
        else j++
      }
      blank(i, j + close.length)
      i = j + close.length
    } else if (c === '"') {
      let j = i + 1
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1
      blank(i, j + 1)
      i = j + 1
    } else if (c === "'") {
      // A char literal ('x', '\n', '\u{1F600}') or a lifetime ('a).
      if (next === '\\') {
        const j = text.indexOf("'", i + 2)
        blank(i, j + 1)
        i = j + 1
      } else {
        const cp = text.codePointAt(i + 1)
        const width = cp > 0xffff ? 2 : 1
        if (text[i + 1 + width] === "'") {
          blank(i, i + 2 + width)
          i += 2 + width
        } else i++
      }
    } else i++
  }
  return out.join('')
}

const lineOf = (text, offset) => text.slice(0, offset).split('\n').length

/** Index of the brace matching the `{` at `open`. */
function matchingBrace(code, open) {
  let depth = 0
  for (let j = open; j < code.length; j++) {
    if (code[j] === '{') depth++
    else if (code[j] === '}' && --depth === 0) return j
  }
  return code.length
}

// module path ('' for the crate root, else 'a::b') -> { files, children: Set }
const modules = new Map()
// occurrences: { from, segments (as written), file, line, inUse }
const references = []

function addModule(path) {
  if (!modules.has(path)) modules.set(path, { files: [], children: new Set() })
  return modules.get(path)
}
const join2 = (parent, name) => (parent ? `${parent}::${name}` : name)

/** Reads a file module (and the inline modules inside it). */
function readFile(file, modPath) {
  const module = addModule(modPath)
  module.files.push(file)
  const text = readFileSync(file, 'utf8')
  const code = stripCode(text)
  const isDirOwner = ['lib.rs', 'main.rs', 'mod.rs'].includes(basename(file))
  const childDir = isDirOwner ? dirname(file) : join(dirname(file), basename(file, '.rs'))
  // Inline modules: [start, end, path], innermost found by nesting.
  const inline = []
  const modRe = /\bmod\s+(r#)?([A-Za-z_]\w*)\s*([;{])/g
  let m
  const declared = []
  while ((m = modRe.exec(code))) declared.push({ name: m[2], kind: m[3], at: m.index, end: modRe.lastIndex })
  const ownerAt = (offset) => {
    // The innermost block holding `offset` is the one that starts last.
    const holding = inline.filter((block) => block.start < offset && offset < block.end)
    return holding.length ? holding.reduce((a, b) => (b.start > a.start ? b : a)).path : modPath
  }
  for (const d of declared) {
    if (d.kind !== '{') continue
    const start = d.end - 1
    inline.push({ start, end: matchingBrace(code, start), path: '' })
  }
  // Assign inline paths outermost first.
  inline.sort((a, b) => a.start - b.start)
  for (const d of declared.filter((x) => x.kind === '{')) {
    const block = inline.find((b) => b.start === d.end - 1)
    block.path = join2(ownerAt(d.at), d.name)
    addModule(block.path)
    modules.get(ownerAt(d.at)).children.add(block.path)
  }
  for (const d of declared) {
    if (d.kind !== ';') continue
    const parent = ownerAt(d.at)
    const path = join2(parent, d.name)
    modules.get(parent).children.add(path)
    // Attributes right before the declaration (in the original text: they hold strings).
    const before = code.slice(0, d.at)
    const attrStart = Math.max(before.lastIndexOf(';'), before.lastIndexOf('}'), before.lastIndexOf('{')) + 1
    const attrs = text.slice(attrStart, d.at)
    const paths = [...attrs.matchAll(/\bpath\s*=\s*"([^"]+)"/g)].map((p) => join(dirname(file), p[1]))
    const baseDir =
      parent === modPath ? childDir : join(childDir, ...parent.slice(modPath.length).split('::').filter(Boolean))
    const candidates = paths.length ? paths : [join(baseDir, `${d.name}.rs`), join(baseDir, d.name, 'mod.rs')]
    const found = candidates.filter((f) => existsSync(f))
    if (!found.length) {
      console.error(`module-graph: ${relative('.', file)}:${lineOf(text, d.at)}: no file for mod ${d.name}`)
      process.exitCode = 2
      addModule(path)
    }
    for (const f of paths.length ? found : found.slice(0, 1)) readFile(f, path)
  }
  // `use` trees, expanded.
  const useRe = /\buse\s+([^;]*);/g
  const inUse = []
  while ((m = useRe.exec(code))) {
    const tree = m[1].replace(/\s+/g, '')
    inUse.push([m.index, useRe.lastIndex])
    for (const segments of expandUseTree(tree)) {
      references.push({ from: ownerAt(m.index), segments, file, line: lineOf(text, m.index), inUse: true })
    }
  }
  // Paths anywhere else in the code.
  const pathRe = /(?<![\w:])(?:crate|super|self)(?:\s*::\s*(?:super|[A-Za-z_]\w*))+/g
  while ((m = pathRe.exec(code))) {
    if (inUse.some(([s, e]) => s <= m.index && m.index < e)) continue
    const segments = m[0].split('::').map((s) => s.trim())
    references.push({ from: ownerAt(m.index), segments, file, line: lineOf(text, m.index), inUse: false })
  }
}

/** `a::{b,c::{d,e}}` -> [[a,b],[a,c,d],[a,c,e]] (glob and `as` renames dropped). */
function expandUseTree(tree) {
  const out = []
  const walk = (prefix, s) => {
    s = s.replace(/^::/, '')
    const brace = s.indexOf('{')
    if (brace === -1) {
      const segs = s
        .replace(/\bas\b.*$/, '')
        .split('::')
        .filter((x) => x && x !== '*')
      out.push([...prefix, ...segs].filter((x) => x !== 'self' || prefix.length === 0))
      return
    }
    const head = s.slice(0, brace).split('::').filter(Boolean)
    const inner = s.slice(brace + 1, s.lastIndexOf('}'))
    let depth = 0
    let start = 0
    for (let k = 0; k <= inner.length; k++) {
      const ch = inner[k]
      if (ch === '{') depth++
      else if (ch === '}') depth--
      else if ((ch === ',' || k === inner.length) && depth === 0) {
        const part = inner.slice(start, k)
        if (part) walk([...prefix, ...head], part)
        start = k + 1
      }
    }
  }
  walk([], tree.replace(/^(pub(\([^)]*\))?)/, ''))
  return out
}

readFile(rootFile, '')

/** The deepest module a path names, or null for a path outside the crate. */
function resolve(from, segments, inUse) {
  const [first, ...tail] = segments
  let current = from
  let rest = tail
  if (first === 'crate') current = ''
  else if (first === 'super') {
    rest = segments
    while (rest[0] === 'super') {
      current = current.includes('::') ? current.slice(0, current.lastIndexOf('::')) : ''
      rest = rest.slice(1)
    }
  } else if (first !== 'self') {
    // 2018 uniform paths: `use child::item` from the child's parent; anything else is external.
    if (!inUse || !modules.get(from)?.children.has(join2(from, first))) return null
    current = join2(from, first)
  }
  for (const seg of rest) {
    const next = join2(current, seg)
    if (!modules.has(next)) break
    current = next
  }
  return current
}

const split = (p) => (p ? p.split('::') : [])
const isAncestor = (a, b) => a === '' || b === a || b.startsWith(`${a}::`)

// Sibling edges: "a -> b" (full paths of the two siblings) -> the references that make it.
const edges = new Map()
for (const ref of references) {
  const to = resolve(ref.from, ref.segments, ref.inUse)
  if (to === null || isAncestor(to, ref.from) || isAncestor(ref.from, to)) continue
  const a = split(ref.from)
  const b = split(to)
  let k = 0
  while (a[k] === b[k]) k++
  const key = `${a.slice(0, k + 1).join('::')} -> ${b.slice(0, k + 1).join('::')}`
  if (!edges.has(key)) edges.set(key, [])
  edges.get(key).push(ref)
}

// Tarjan's strongly connected components over the sibling edges.
const graph = new Map()
for (const key of edges.keys()) {
  const [a, b] = key.split(' -> ')
  if (!graph.has(a)) graph.set(a, new Set())
  if (!graph.has(b)) graph.set(b, new Set())
  graph.get(a).add(b)
}
const index = new Map()
const low = new Map()
const stack = []
const onStack = new Set()
const components = []
let counter = 0
function strongConnect(v) {
  index.set(v, counter)
  low.set(v, counter++)
  stack.push(v)
  onStack.add(v)
  for (const w of graph.get(v)) {
    if (!index.has(w)) {
      strongConnect(w)
      low.set(v, Math.min(low.get(v), low.get(w)))
    } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)))
  }
  if (low.get(v) === index.get(v)) {
    const component = []
    let w
    do {
      w = stack.pop()
      onStack.delete(w)
      component.push(w)
    } while (w !== v)
    if (component.length > 1) components.push(component.sort())
  }
}
for (const v of [...graph.keys()].sort()) if (!index.has(v)) strongConnect(v)

const show = (p) => (p === '' ? 'crate' : p)
if (flags.has('--edges')) for (const key of [...edges.keys()].sort()) console.log(key)
if (flags.has('--dot')) {
  console.log('digraph modules {')
  for (const key of [...edges.keys()].sort()) {
    const [a, b] = key.split(' -> ')
    console.log(`  "${a}" -> "${b}";`)
  }
  console.log('}')
}
const where = (ref) => `${relative('.', ref.file)}:${ref.line} (${ref.segments.join('::')})`
for (const component of components) {
  const members = new Set(component)
  console.error(`module cycle in ${srcDir}: ${component.map(show).join(', ')}`)
  for (const [key, refs] of [...edges].sort()) {
    const [a, b] = key.split(' -> ')
    if (members.has(a) && members.has(b))
      console.error(
        `  ${key}: ${refs.slice(0, 3).map(where).join(', ')}${refs.length > 3 ? `, +${refs.length - 3}` : ''}`,
      )
  }
}
const summary = `${srcDir}: ${modules.size} modules, ${edges.size} dependencies between siblings`
if (components.length) {
  console.error(`${summary}, ${components.length} cycle(s)`)
  process.exitCode = 1
} else if (!flags.has('--dot')) console.log(`${summary}, no cycles`)
