// scripts/module-graph.mjs (part of `npm run lint`): small crates written to a temp dir, checked for
// module cycles. Siblings that use each other in a cycle fail (exit 1, naming the `use` lines);
// children using their parent, parents using their children, inline `mod tests { use super::* }`
// and `#[cfg_attr(.., path = ..)]` modules do not. Also the real crates: core/src has no cycles.
import { spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

import test, { type ExecutionContext } from 'ava'

import { tempDir } from './helpers.mjs'

const SCRIPT = fileURLToPath(new URL('../scripts/module-graph.mjs', import.meta.url))
const CORE_SRC = fileURLToPath(new URL('../core/src', import.meta.url))

function crate(t: ExecutionContext, files: Record<string, string>): string {
  const dir = tempDir(t)
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true })
    writeFileSync(join(dir, name), text)
  }
  return dir
}

function graph(dir: string, ...flags: string[]) {
  const child = spawnSync(process.execPath, [SCRIPT, dir, ...flags], { encoding: 'utf8' })
  return { status: child.status, stdout: String(child.stdout), stderr: String(child.stderr) }
}

test('a cycle between sibling modules fails and names the lines that make it', (t) => {
  const dir = crate(t, {
    'lib.rs': 'mod a;\nmod b;\nmod c;\n',
    'a.rs': 'use crate::b::B;\npub struct A;\n',
    'b.rs': '// use crate::c is only a comment here\nuse crate::{c::{self, C}, a};\npub struct B;\n',
    'c.rs': 'pub struct C;\nfn f() -> crate::a::A { crate::a::A }\n',
  })
  const run = graph(dir)
  t.is(run.status, 1, run.stderr)
  t.regex(run.stderr, /module cycle in .*: a, b, c/)
  t.regex(run.stderr, /a -> b: .*a\.rs:1 \(crate::b::B\)/)
  t.regex(run.stderr, /b -> c: .*b\.rs:2/)
  t.regex(run.stderr, /c -> a: .*c\.rs:2 \(crate::a::A\)/)
})

test('a cycle lifted from nested modules is a cycle of their ancestors', (t) => {
  const dir = crate(t, {
    'lib.rs': 'mod outer;\nmod other;\n',
    'outer.rs': 'mod inner;\n',
    'outer/inner.rs': 'use crate::other::Thing;\n',
    'other.rs': 'pub struct Thing;\nuse super::outer;\nfn f() { let _ = outer::X; }\n',
  })
  const run = graph(dir)
  t.is(run.status, 1, run.stderr)
  t.regex(run.stderr, /module cycle in .*: other, outer/)
})

test('parents and children may use each other; tests, strings and #[path] modules count right', (t) => {
  const dir = crate(t, {
    'lib.rs': 'pub mod mapping;\nmod os;\npub use mapping::MappedFile;\n',
    'mapping.rs': [
      'mod io;',
      'mod lock;',
      'pub use io::Window;',
      'use crate::os::page_size;',
      'pub struct MappedFile;',
      'const S: &str = "crate::mapping::lock::x";',
      '#[cfg(test)]',
      'mod tests {',
      '  use super::*;',
      '  use crate::mapping::io::Window;',
      '}',
      '',
    ].join('\n'),
    'mapping/io.rs': 'use super::MappedFile;\nuse super::lock;\npub struct Window;\n',
    'mapping/lock.rs': "use super::MappedFile;\nfn f<'a>(c: char) -> bool { c == '\"' }\n",
    'os/mod.rs':
      '#[cfg_attr(unix, path = "unix.rs")]\n#[cfg_attr(windows, path = "windows.rs")]\nmod platform;\npub use platform::page_size;\n',
    'os/unix.rs': 'pub fn page_size() -> usize { 4096 }\n',
    'os/windows.rs': 'pub fn page_size() -> usize { 4096 }\n',
  })
  const run = graph(dir, '--edges')
  t.is(run.status, 0, run.stderr)
  t.is(
    run.stdout
      .split('\n')
      .filter((line) => line.includes(' -> '))
      .join('\n'),
    ['mapping -> os', 'mapping::io -> mapping::lock', 'mapping::tests -> mapping::io'].join('\n'),
  )
  t.regex(run.stdout, /7 modules, 3 dependencies between siblings, no cycles/)
})

test('a module file that is missing is an error, not a silent pass', (t) => {
  const run = graph(crate(t, { 'lib.rs': 'mod gone;\n' }))
  t.is(run.status, 2)
  t.regex(run.stderr, /no file for mod gone/)
})

test('the core crate has no module cycles', (t) => {
  const run = graph(CORE_SRC)
  t.is(run.status, 0, run.stderr)
  t.regex(run.stdout, /no cycles/)
})
