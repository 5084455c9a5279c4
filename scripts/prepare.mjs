#!/usr/bin/env node
// The `prepare` script. npm runs it on `npm install` / `npm ci` in a clone or source tree (where it
// builds the addon) and on `npm pack` / `npm publish` (where there is nothing to build: the main
// package ships index.js and index.d.ts, the binaries ship in the mmapkit-<platform> packages).
//
// - not a source tree (no Cargo.toml next to package.json: an installed package): nothing to do;
// - `npm pack` / `npm publish`: nothing to do, so a clone without Rust can pack;
// - otherwise (`npm install`, `npm ci`, `npm run prepare`): `npm run build` (napi build --platform
//   --release), and a clear error when cargo or the clone's dev dependencies are missing.
//
// The published package.json has no `prepare` at all (scripts/publish-manifest.mjs removes it), so
// installing mmapkit from the registry runs no script.

import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const command = process.env.npm_command ?? ''
const isWindows = process.platform === 'win32'

if (!existsSync(join(root, 'Cargo.toml'))) {
  process.exit(0)
}
if (command === 'pack' || command === 'publish') {
  console.log(`mmapkit prepare: nothing to build for \`npm ${command}\` (the binaries ship in mmapkit-<platform>)`)
  process.exit(0)
}

const cargo = spawnSync('cargo', ['--version'], { encoding: 'utf8', shell: isWindows })
if (cargo.error || cargo.status !== 0) {
  console.error(
    'mmapkit prepare: building the addon from a clone needs a Rust toolchain (1.83 or newer), and `cargo` is not on PATH.\n' +
      'Install Rust with rustup, then run `npm run build`. (Users of the published package need no Rust: `npm install mmapkit`.)',
  )
  process.exit(1)
}

// `npm install /path/to/clone` from another project runs this in the clone, but installs none of the
// clone's devDependencies: the napi CLI is missing until `npm install` has run in the clone itself.
if (!existsSync(join(root, 'node_modules', '@napi-rs', 'cli'))) {
  console.error(
    `mmapkit prepare: building the addon needs the clone's dev dependencies (the napi CLI), which are not installed in ${root}.\n` +
      `Run \`npm install\` in ${root} first (it builds the addon there), then install the clone again.`,
  )
  process.exit(1)
}

const build = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit', shell: isWindows })
process.exit(build.status ?? 1)
