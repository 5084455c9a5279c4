// Checks the hover docs of the public API (issue 10, "Typings"): loads index.d.ts with the
// TypeScript compiler API and walks every exported function, and every method and property of the
// exported classes and interfaces (the classes' static factories and the methods merged into them
// from interfaces such as SpanMethods included). Each public method's JSDoc needs a description, a
// `@param` for each parameter, `@returns` unless it returns `void`, at least one `@throws` and an
// `@example`; getters and properties need a description. Members declared outside this package
// (the lib's iterator helpers, `Iterator.next` of lib.d.ts) are not ours and are skipped.
//
// Usage: node scripts/check-jsdoc.mjs [path/to/index.d.ts]   (exit code 1 and a list on failure)
import { createRequire } from 'node:module'
import { dirname, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const ts = require(resolve(root, 'node_modules/typescript'))

// Members allowed to lack tags for now, as `Class.member` (empty: every public member is checked).
// An entry that names nothing in the API fails the check, so the list cannot go stale.
const PENDING_TOOLKIT_DOCS = new Set([])

const entry = resolve(process.argv[2] ?? resolve(root, 'index.d.ts'))
const ownFiles = (fileName) => {
  const rel = relative(dirname(entry), fileName)
  return !rel.startsWith('..') && !rel.includes('node_modules')
}

const program = ts.createProgram([entry], {
  target: ts.ScriptTarget.ES2022,
  lib: ['lib.es2022.d.ts', 'lib.esnext.disposable.d.ts', 'lib.dom.d.ts'],
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  types: ['node'],
  strict: true,
  noEmit: true,
})
const checker = program.getTypeChecker()
const source = program.getSourceFile(entry)
if (!source) throw new Error(`cannot load ${entry}`)
const moduleSymbol = checker.getSymbolAtLocation(source)
if (!moduleSymbol) throw new Error(`${entry} is not a module`)

const problems = []
let checked = 0
/** Declarations already checked: SpanMethods' methods are reached through files and segments too. */
const seenDeclarations = new Set()
/** The PENDING_TOOLKIT_DOCS entries met in the walk (an entry never met is stale). */
const pendingSeen = new Set()

const where = (decl) => {
  const file = decl.getSourceFile()
  const { line } = file.getLineAndCharacterOfPosition(decl.getStart())
  return `${relative(process.cwd(), file.fileName)}:${line + 1}`
}

/** The description and tags of the JSDoc comment directly on `decl`. */
function docOf(decl) {
  const docs = ts.getJSDocCommentsAndTags(decl).filter((node) => node.kind === ts.SyntaxKind.JSDoc)
  const jsDoc = docs.at(-1)
  const text = (comment) => (typeof comment === 'string' ? comment : (ts.getTextOfJSDocComment(comment) ?? ''))
  return {
    description: jsDoc ? text(jsDoc.comment).trim() : '',
    tags: jsDoc?.tags ? [...jsDoc.tags] : [],
  }
}

const memberName = (symbol) => {
  const name = symbol.getName()
  return name.startsWith('__@') ? `[Symbol.${name.slice(3).replace(/@\d+$/, '')}]` : name
}

function returnsVoid(decl) {
  const signature = checker.getSignatureFromDeclaration(decl)
  if (!signature) return false
  const type = checker.getReturnTypeOfSignature(signature)
  return (type.flags & ts.TypeFlags.Void) !== 0
}

function checkCallable(label, decl) {
  checked++
  const { description, tags } = docOf(decl)
  const missing = []
  if (!description) missing.push('a description')
  const params = new Set(tags.filter(ts.isJSDocParameterTag).map((tag) => tag.name.getText()))
  for (const param of decl.parameters ?? []) {
    const name = param.name.getText()
    if (!params.has(name)) missing.push(`@param ${name}`)
  }
  const has = (tagName) => tags.some((tag) => tag.tagName.text === tagName)
  if (!returnsVoid(decl) && !has('returns') && !has('return')) missing.push('@returns')
  if (!has('throws') && !has('throw') && !has('exception')) missing.push('@throws')
  if (!has('example')) missing.push('@example')
  if (missing.length) problems.push(`${where(decl)} ${label}: missing ${missing.join(', ')}`)
}

function checkProperty(label, decl) {
  checked++
  if (!docOf(decl).description) problems.push(`${where(decl)} ${label}: missing a description`)
}

function checkMember(owner, symbol) {
  const name = memberName(symbol)
  const label = `${owner}.${name}`
  if (PENDING_TOOLKIT_DOCS.has(label)) {
    pendingSeen.add(label)
    return
  }
  for (const decl of symbol.getDeclarations() ?? []) {
    if (!ownFiles(decl.getSourceFile().fileName) || seenDeclarations.has(decl)) continue
    seenDeclarations.add(decl)
    if (ts.isMethodDeclaration(decl) || ts.isMethodSignature(decl) || ts.isFunctionDeclaration(decl)) {
      checkCallable(label, decl)
    } else if (ts.isGetAccessorDeclaration(decl) || ts.isPropertyDeclaration(decl) || ts.isPropertySignature(decl)) {
      checkProperty(label, decl)
    }
  }
}

const seenTypes = new Set()
function checkType(name, type) {
  if (seenTypes.has(type)) return
  seenTypes.add(type)
  for (const property of checker.getPropertiesOfType(type)) checkMember(name, property)
}

for (const exported of checker.getExportsOfModule(moduleSymbol)) {
  const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported
  const name = exported.getName()
  if (symbol.flags & ts.SymbolFlags.Function) {
    for (const decl of symbol.getDeclarations() ?? []) {
      if (ts.isFunctionDeclaration(decl) && ownFiles(decl.getSourceFile().fileName) && !seenDeclarations.has(decl)) {
        seenDeclarations.add(decl)
        checkCallable(name, decl)
      }
    }
  }
  if (symbol.flags & (ts.SymbolFlags.Class | ts.SymbolFlags.Interface | ts.SymbolFlags.TypeAlias)) {
    const declared = checker.getDeclaredTypeOfSymbol(symbol)
    const target = declared.getSymbol()
    // Only classes and interfaces: a type alias names one (`MemoryMappedFile = binding.MemoryMappedFile`)
    // or is a union of option shapes, which is not API surface with methods of its own.
    if (!target || !(target.flags & (ts.SymbolFlags.Class | ts.SymbolFlags.Interface))) continue
    checkType(name, declared)
    if (target.flags & ts.SymbolFlags.Class) {
      const constructorType = checker.getTypeOfSymbol(target)
      for (const property of checker.getPropertiesOfType(constructorType)) {
        if (property.getName() !== 'prototype') checkMember(name, property)
      }
    }
  }
}

for (const label of PENDING_TOOLKIT_DOCS) {
  if (!pendingSeen.has(label)) problems.push(`PENDING_TOOLKIT_DOCS names ${label}, which the API no longer has`)
}

if (checked === 0) {
  console.error(`check-jsdoc: found no public API in ${relative(root, entry)}; is the walk broken?`)
  process.exit(1)
}
if (problems.length) {
  console.error(`check-jsdoc: ${problems.length} of ${checked} public members lack JSDoc:`)
  for (const problem of problems) console.error(`  ${problem}`)
  console.error(
    `(skipped for now: ${[...PENDING_TOOLKIT_DOCS].join(', ')}; see PENDING_TOOLKIT_DOCS in scripts/check-jsdoc.mjs)`,
  )
  process.exit(1)
}
console.log(`check-jsdoc: ${checked} public members documented (${PENDING_TOOLKIT_DOCS.size} skipped)`)
