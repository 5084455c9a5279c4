// Issue 11: views cause no garbage collection. Where views are external SharedArrayBuffers (Node
// 24.16+ in 24.x, 26.1+), V8 does not count them as external memory: 1,000 cycles of open + a
// whole view of a 1 GiB file + close run no full GC. Elsewhere (external ArrayBuffers, which V8
// counts) the figure is only logged.
import { spawnSync } from 'node:child_process'
import { closeSync, openSync, ftruncateSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

import test from 'ava'

import { MemoryMappedFile } from '../index.js'
import { tempFile } from './helpers.mjs'

const INDEX = JSON.stringify(fileURLToPath(new URL('../index.js', import.meta.url)))

test('1,000 cycles of open + asBuffer() of a 1 GiB file + close run no full GC', (t) => {
  const path = tempFile(t, '')
  const fd = openSync(path, 'r+')
  ftruncateSync(fd, 2 ** 30) // sparse
  closeSync(fd)
  const probe = MemoryMappedFile.openRo(path, { length: 16 })
  const shared = probe.asBuffer().buffer instanceof SharedArrayBuffer
  probe.close()
  const run = spawnSync(
    process.execPath,
    [
      '-e',
      `const { MemoryMappedFile } = require(${INDEX})
      const { PerformanceObserver } = require('node:perf_hooks')
      let major = 0
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) if (entry.detail.kind !== 1) major++
      }).observe({ entryTypes: ['gc'] })
      let sum = 0
      for (let i = 0; i < 1000; i++) {
        const file = MemoryMappedFile.openRo(${JSON.stringify(path)})
        sum += file.asBuffer()[i]
        file.close()
      }
      setTimeout(() => console.log(major), 50)`,
    ],
    { encoding: 'utf8', timeout: 120_000 },
  )
  t.is(run.status, 0, run.stderr)
  const major = Number(run.stdout.trim())
  t.log(`${major} full GCs over 1,000 cycles (views over ${shared ? 'SharedArrayBuffers' : 'ArrayBuffers'})`)
  if (shared) t.is(major, 0)
  else t.pass()
})
