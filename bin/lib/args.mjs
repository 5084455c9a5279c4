// A small argument parser with one-line error messages (node:util parseArgs prints several lines
// and treats `--limit -1` as a missing value rather than a bad one).
import { UsageError } from './errors.mjs'

/**
 * @typedef {object} OptionSpec
 * @property {boolean} [flag] takes no value
 * @property {string} [short] one-letter alias, e.g. 'h'
 */

/**
 * Splits `argv` into positionals and options. Options may come before or after positionals;
 * `--name value` and `--name=value` both work, and the value is taken as given even if it starts
 * with '-' (so `--limit -1` is reported as a bad number). Everything after `--` is positional.
 * @param {string[]} argv
 * @param {Record<string, OptionSpec>} spec
 * @returns {{ positionals: string[], options: Map<string, string | true> }}
 */
export function parseArgv(argv, spec) {
  const positionals = []
  const options = new Map()
  const shorts = new Map(Object.entries(spec).flatMap(([name, s]) => (s.short ? [[s.short, name]] : [])))
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1))
      break
    }
    if (arg === '-' || !arg.startsWith('-')) {
      positionals.push(arg)
      continue
    }
    const [raw, inline] = arg.startsWith('--') ? splitOnce(arg.slice(2), '=') : [shorts.get(arg.slice(1)), undefined]
    const option = raw === undefined ? undefined : spec[raw]
    if (!option || raw === undefined) throw new UsageError(`unknown option '${arg}'`)
    if (option.flag) {
      if (inline !== undefined) throw new UsageError(`option '--${raw}' takes no value`)
      options.set(raw, true)
    } else if (inline !== undefined) {
      options.set(raw, inline)
    } else if (i + 1 < argv.length) {
      options.set(raw, argv[++i])
    } else {
      throw new UsageError(`option '--${raw}' needs a value`)
    }
  }
  return { positionals, options }
}

/** @param {string} text @param {string} separator @returns {[string, string | undefined]} */
function splitOnce(text, separator) {
  const at = text.indexOf(separator)
  return at === -1 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)]
}

/**
 * A whole number in [min, max], written in decimal digits only.
 * @param {string} name the option, for the message
 * @param {string} text
 * @param {number} min
 * @param {number} [max]
 */
export function parseInteger(name, text, min, max = Number.MAX_SAFE_INTEGER) {
  const value = /^\d+$/.test(text) ? Number(text) : NaN
  if (!(value >= min && value <= max)) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`
    throw new UsageError(`--${name} must be an integer ${range}, not '${text}'`)
  }
  return value
}

const UNITS = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 }

/**
 * A size such as 1G, 256M, 512K, 1.5G or 4096 (binary units; an optional 'iB' or 'B' suffix).
 * @param {string} name the option, for the message
 * @param {string} text
 */
export function parseSize(name, text) {
  const match = /^(\d+(?:\.\d+)?)([KMGT]?)(?:i?B)?$/i.exec(text)
  const bytes = match ? Math.floor(Number(match[1]) * UNITS[/** @type {keyof UNITS} */ (match[2].toUpperCase())]) : NaN
  if (!(bytes >= 1 && bytes <= Number.MAX_SAFE_INTEGER)) {
    throw new UsageError(`--${name} must be a size such as 64M or 1G, not '${text}'`)
  }
  return bytes
}
