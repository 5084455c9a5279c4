#!/usr/bin/env node
// Turns result files into the Markdown tables of the README's Performance section.
//
//   node benchmark/report.mjs [results/<run>.json ...] [--peers results/peers-<run>.json]
//
// The last bench file given gives the full table; every bench file gets a column in the targets
// table (so several runs on a noisy machine show side by side). Defaults: the newest
// results/<date>-<commit>.json and the newest results/peers-<date>-<commit>.json (by the date they
// record; see newestResult in lib.mjs).
import { existsSync, readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'

import { formatBytes, formatNs, formatNumber, formatRatio, newestResult } from './lib.mjs'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { peers: { type: 'string', default: newestResult('peers-') ?? '' } },
})
const paths = positionals.length ? positionals : [newestResult('')].filter(Boolean)
if (paths.length === 0) throw new Error('no results/<date>-<commit>.json yet: run `npm run bench` first')
console.log(`from ${paths.join(', ')}${values.peers ? ` and ${values.peers}` : ''}\n`)
const runs = paths.map((path) => JSON.parse(readFileSync(path, 'utf8')))

const table = (header, rows) =>
  [
    `| ${header.join(' | ')} |`,
    `| ${header.map((cell, i) => (i === 0 || !/^(median|ops|vs|run|issue)/.test(cell) ? '---' : '---:')).join(' | ')} |`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n')

const first = runs.at(-1)
const { machine } = first
console.log(
  `Machine: ${machine.cpu}, ${machine.cores} cores, ${formatBytes(machine.memoryBytes)}, ${machine.kernel}, ` +
    `Node ${machine.node}; file ${formatBytes(first.fileSize)}, ${first.rounds} rounds; mmapkit ` +
    `${runs.map((run) => run.machine.mmapkitCommit).join(', ')} (addon sha256 ` +
    `${[...new Set(runs.map((run) => run.machine.addon.sha256))].join(', ')}).\n`,
)

const rows = []
let lastGroup = null
for (const c of Object.values(first.cases)) {
  const group = c.group === lastGroup ? '' : c.group
  lastGroup = c.group
  if (c.unit === 'bytes') {
    rows.push([group, c.label, formatBytes(c.median), '', ''])
  } else {
    rows.push([
      group,
      c.label,
      formatNs(c.median),
      formatNumber(1e9 / c.median),
      c.ratioVsFs === null ? 'baseline' : formatRatio(c.ratioVsFs),
    ])
  }
}
console.log(table(['case', 'implementation', 'median', 'ops/s', 'vs node:fs'], rows))

console.log()
const perRound = (t) => (t.perRoundMedian === undefined ? '' : ` (rounds: ${t.perRoundMedian.toFixed(2)}x)`)
const show = (t) => {
  if (t.unit === 'x') return `${formatRatio(t.measured)}${perRound(t)}`
  if (t.unit === 'x time') return `${t.measured.toFixed(2)}x time${perRound(t)}`
  if (t.unit === 'MiB') return formatBytes(t.measured * 2 ** 20)
  return `${formatNumber(t.measured)} ${t.unit}`
}
console.log(
  table(
    ['issue', 'target', ...runs.map((_, i) => `run ${i + 1}`), 'met'],
    first.targets.map((target) => {
      // Matched by wording, so runs from before a target was added show an empty cell.
      const all = runs.map((run) => run.targets.find((t) => t.target === target.target))
      const found = all.filter(Boolean)
      const met = found.every((t) => t.met) ? 'met' : found.some((t) => t.met) ? 'mixed' : '**missed**'
      return [String(target.issue ?? 6), target.target, ...all.map((t) => (t ? show(t) : '')), met]
    }),
  ),
)

if (values.peers && existsSync(values.peers)) {
  const peers = JSON.parse(readFileSync(values.peers, 'utf8'))
  console.log()
  const peerRows = []
  let group = null
  for (const [id, c] of Object.entries(peers.cases)) {
    const [key] = id.split('.')
    const fs = peers.cases[`${key}.readSync`]?.median
    const reference = key === 'open' ? undefined : peers.cases[`${key}.c`]?.median
    peerRows.push([
      c.group === group ? '' : c.group,
      c.label,
      formatNs(c.median),
      fs ? formatRatio(fs / c.median) : '',
      reference ? `${(c.median / reference).toFixed(1)}x` : '',
    ])
    group = c.group
  }
  console.log(`peers (${peers.machine.mmapkitCommit}, ${peers.rounds} rounds):\n`)
  console.log(table(['case', 'implementation', 'median', 'vs node:fs', 'vs C (time / C time)'], peerRows))
}
