#!/usr/bin/env node
// Completes package-lock.json with the other platforms' optional binary packages.
//
// Why: the npm registry mirror reachable from our build machines serves only the host platform's
// prebuilt binaries (e.g. `@oxc-node/core-darwin-arm64` answers 404), so `npm install` here writes
// a lockfile without them, and `npm ci` then refuses it everywhere ("Missing: ... from lock file").
// This adds an entry for every optional dependency the lockfile names but lacks, with the `os`,
// `cpu` and `libc` fields read off the napi-rs package name, so npm skips them on other platforms
// and fetches them (without a recorded integrity hash) on their own platform.
//
//   node scripts/lockfile-foreign-platforms.mjs [--check]
//
// Run it after any `npm install` that rewrites the lockfile. `--check` exits 1 if entries are missing.
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const lockPath = fileURLToPath(new URL('../package-lock.json', import.meta.url))
const lock = JSON.parse(readFileSync(lockPath, 'utf8'))
const packages = lock.packages

const PLATFORM = /-(android|darwin|freebsd|linux|openharmony|win32|wasm32)-([a-z0-9]+)(?:-([a-z]+))?$/

function platformFields(name) {
  const match = PLATFORM.exec(name)
  if (!match) return null
  const [, os, arch, abi] = match
  if (os === 'wasm32') return { cpu: ['wasm32'] }
  const fields = { os: [os], cpu: [arch] }
  if (abi?.startsWith('gnu')) fields.libc = ['glibc']
  if (abi?.startsWith('musl')) fields.libc = ['musl']
  return fields
}

const added = []
for (const [path, meta] of Object.entries(packages)) {
  for (const [name, version] of Object.entries(meta.optionalDependencies ?? {})) {
    const nested = `${path ? `${path}/` : ''}node_modules/${name}`
    const top = `node_modules/${name}`
    if (packages[nested] || packages[top]) continue
    const fields = platformFields(name)
    if (!fields) continue
    const basename = name.split('/').pop()
    packages[top] = {
      version,
      resolved: `https://registry.npmjs.org/${name}/-/${basename}-${version}.tgz`,
      ...fields,
      dev: meta.dev || undefined,
      optional: true,
    }
    added.push(`${name}@${version}`)
  }
}

if (process.argv.includes('--check')) {
  if (added.length) {
    console.error(
      `package-lock.json lacks ${added.length} platform packages; run node scripts/lockfile-foreign-platforms.mjs`,
    )
    process.exit(1)
  }
  process.exit(0)
}
// npm keeps `packages` sorted by path.
lock.packages = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))),
)
writeFileSync(lockPath, JSON.stringify(lock, null, 2) + '\n')
console.log(`added ${added.length} platform packages to package-lock.json`)
