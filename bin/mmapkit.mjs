#!/usr/bin/env node
// mmapkit: memory-mapped file tools on the command line. `mmapkit --help` lists the commands;
// each lives in commands/<name>.mjs and exports summary, usage, options and run(ctx).
import { readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'

import { parseArgv, parseInteger } from './lib/args.mjs'
import { EXIT_ERROR, EXIT_OK, UsageError, errorLine } from './lib/errors.mjs'

/**
 * What a command's run() receives.
 * @typedef {object} Context
 * @property {string[]} operands the positionals after the command name
 * @property {Map<string, string | true>} options every option given, by name
 * @property {boolean} json --json: one JSON document on stdout, no progress bar
 * @property {number | undefined} threads --threads N
 * @property {(text: string) => void} out writes a line (or lines) to stdout
 */

const COMMANDS = ['lines', 'count', 'find', 'stat', 'demo']

/** Every option of every command; which command accepts which is checked after parsing. */
const OPTIONS = {
  help: { flag: true, short: 'h' },
  version: { flag: true },
  json: { flag: true },
  threads: {},
  limit: {},
  size: {},
  dir: {},
  keep: { flag: true },
}
const GLOBAL_OPTIONS = ['help', 'version', 'json', 'threads']

const version = () => JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version

/** @param {string} name */
const load = (name) => import(`./commands/${name}.mjs`)

async function help() {
  const rows = await Promise.all(COMMANDS.map(async (name) => [name, (await load(name)).summary]))
  return `Usage: mmapkit <command> [options] [operands]

Memory-mapped file tools (mmapkit ${version()}).

Commands:
${rows.map(([name, summary]) => `  ${name.padEnd(7)}${summary}`).join('\n')}

Options for every command:
  --json       print one JSON document on stdout (for scripts); no progress bar
  --threads N  scan on N threads (default and most used: all ${availableParallelism()} cores)
  -h, --help   show help ('mmapkit <command> --help' for one command)
  --version    print the version

Exit status: 0 success, 1 no match (count, find), 2 error (message on stderr).
A progress bar is drawn on stderr during long scans, only when stderr is a terminal.`
}

/** @param {string} text */
function out(text) {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`)
}

/**
 * Runs the command line `argv` and returns the exit code.
 * @param {string[]} argv
 */
async function main(argv) {
  let command = COMMANDS.includes(argv[0]) ? argv[0] : undefined
  try {
    const { positionals, options } = parseArgv(argv, OPTIONS)
    if (options.has('version')) return (out(version()), EXIT_OK)
    const [name, ...operands] = positionals
    if (name === 'help') {
      if (operands[0] !== undefined && !COMMANDS.includes(operands[0])) {
        throw new UsageError(`unknown command '${operands[0]}'`)
      }
      return (out(operands[0] ? (await load(operands[0])).usage : await help()), EXIT_OK)
    }
    if (name === undefined) {
      if (options.has('help')) return (out(await help()), EXIT_OK)
      // Like grep and tar: the usage on stderr, status 2 (a script that forgot its arguments fails).
      process.stderr.write(`${await help()}\n`)
      return EXIT_ERROR
    }
    if (!COMMANDS.includes(name)) throw new UsageError(`unknown command '${name}'`)
    command = name
    const module = await load(name)
    if (options.has('help')) return (out(module.usage), EXIT_OK)
    for (const option of options.keys()) {
      if (!GLOBAL_OPTIONS.includes(option) && !module.options.includes(option)) {
        throw new UsageError(`${name}: unknown option '--${option}'`)
      }
    }
    const threadsText = options.get('threads')
    /** @type {Context} */
    const ctx = {
      operands,
      options,
      json: options.has('json'),
      threads: typeof threadsText === 'string' ? parseInteger('threads', threadsText, 1, 1024) : undefined,
      out,
    }
    return await module.run(ctx)
  } catch (error) {
    process.stderr.write(`${errorLine(error, command)}\n`)
    if (process.env.MMAPKIT_DEBUG) console.error(error)
    return EXIT_ERROR
  }
}

// `mmapkit find x big.log | head` closes the pipe early: stop quietly, as Unix tools do. Any other
// failure to write the output (ENOSPC on a full disk or /dev/full, EIO) is one line on stderr and
// the error status, as grep's "write error" is; never a stack trace.
process.stdout.on('error', (error) => {
  if (/** @type {NodeJS.ErrnoException} */ (error).code === 'EPIPE') process.exit(process.exitCode ?? EXIT_OK)
  process.stderr.write(`${errorLine(new Error(`cannot write the output: ${error.message}`))}\n`)
  process.exit(EXIT_ERROR)
})
// Nowhere left to report a failure of stderr itself: just the error status.
process.stderr.on('error', () => process.exit(EXIT_ERROR))

// Set the code and let Node exit by itself, so that output still queued for a pipe is written.
process.exitCode = await main(process.argv.slice(2))
