// Issue 11, the cost of views: each view is a Buffer of its own, made with as few Node-API calls
// as the runtime allows (Buffer.prototype set with node_api_set_prototype where Node has it, else
// through the __proto__ accessor, checked). Whatever a page does to the prototype machinery, a view
// is a real Buffer over the file's bytes, never a plain Uint8Array or a wrong prototype. Runs in a
// child process (the cases change globals).
import { spawnSync } from 'node:child_process'
import { truncateSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

import test from 'ava'

import { tempFile } from './helpers.mjs'

const INDEX = JSON.stringify(fileURLToPath(new URL('../index.js', import.meta.url)))

function child(script: string) {
  return spawnSync(process.execPath, ['--expose-gc', '-e', `const mmapkit = require(${INDEX});\n${script}`], {
    encoding: 'utf8',
    timeout: 60_000,
  })
}

const CHECK = `
  const { Buffer } = require('node:buffer')
  const describe = (view) =>
    [Buffer.isBuffer(view), Object.getPrototypeOf(view) === Buffer.prototype, view.toString('latin1'), view.length].join(' ')
  const file = mmapkit.MemoryMappedFile.openRo(PATH)
  const results = [describe(file.asBuffer(2, 5)), describe(file.chunks(4).next().value), describe(file.segment(1, 6).asBuffer())]
  file.close()
  console.log(results.join('\\n'))`

for (const [name, tamper] of [
  ['nothing changed', ''],
  ['Object.prototype.__proto__ deleted', 'delete Object.prototype.__proto__'],
  [
    'a __proto__ setter that throws',
    "Object.defineProperty(Object.prototype, '__proto__', { set() { throw new Error('no') }, get() { return null } })",
  ],
  [
    'Object.setPrototypeOf and Reflect.setPrototypeOf replaced',
    'Object.setPrototypeOf = Reflect.setPrototypeOf = () => { throw new Error("no") }',
  ],
  ['Buffer.prototype frozen', "Object.freeze(require('node:buffer').Buffer.prototype)"],
] as const) {
  test(`views are Buffers over the file's bytes: ${name}`, (t) => {
    const path = tempFile(t, 'abcdefghij')
    const run = child(`${tamper}\n${CHECK.replace('PATH', JSON.stringify(path))}`)
    t.is(run.signal, null, run.stderr)
    t.is(run.status, 0, run.stderr)
    t.deepEqual(run.stdout.trim().split('\n'), ['true true cdefg 5', 'true true abcd 4', 'true true bcdefg 6'])
  })
}

test('100,000 small views are collected and their address ranges given back after close', (t) => {
  // 10 mappings of a 256 MiB sparse file: 2.5 GiB of address space if the ranges were kept.
  const path = tempFile(t, '')
  truncateSync(path, 256 << 20)
  const run = child(`
    const { readFileSync } = require('node:fs')
    const vmSize = () => Number(/VmSize:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) * 1024
    const before = vmSize()
    let sum = 0
    for (let round = 0; round < 10; round++) {
      const file = mmapkit.MemoryMappedFile.openRo(${JSON.stringify(path)})
      for (let i = 0; i < 10000; i++) sum += file.asBuffer((i * 40961) % (file.length - 16), 16)[3] + 1
      file.close()
    }
    const settle = (n, done) => (n === 0 ? done() : (gc(), setTimeout(() => settle(n - 1, done), 20)))
    settle(10, () => console.log(sum + ' ' + (vmSize() - before)))`)
  t.is(run.status, 0, run.stderr)
  const [sum, grown] = run.stdout.trim().split(' ').map(Number)
  t.is(sum, 100_000)
  if (process.platform === 'linux') t.true(grown! < 512 << 20, `VmSize grew by ${grown} bytes`)
  else t.pass()
})
