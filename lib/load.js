'use strict'
// Loads the native addon through the loader napi-rs generates (binding.js), and turns its failure
// into an error that names this platform, the package that carries its binary, and the real cause.

const TARGETS = new Set([
  'linux-x64-gnu',
  'linux-arm64-gnu',
  'linux-x64-musl',
  'linux-arm64-musl',
  'darwin-x64',
  'darwin-arm64',
  'win32-x64-msvc',
  'win32-arm64-msvc',
])

/** This runtime's platform as the platform packages name it (`linux-x64-gnu`, `darwin-arm64`). */
function platformName() {
  const { platform, arch } = process
  if (platform === 'win32') return `win32-${arch}-msvc`
  if (platform !== 'linux') return `${platform}-${arch}`
  let glibc = true
  try {
    glibc = Boolean(process.report.getReport().header.glibcVersionRuntime)
  } catch {
    // no report: assume glibc, the common case
  }
  return `linux-${arch}-${glibc ? 'gnu' : 'musl'}`
}

/** Every error in the loader's `cause` chain (it nests them, and some runtimes use arrays). */
function causes(error, seen = new Set()) {
  if (!error || typeof error !== 'object' || seen.has(error)) return []
  seen.add(error)
  if (Array.isArray(error)) return error.flatMap((e) => causes(e, seen))
  return [error, ...causes(error.cause, seen)]
}

/** The cause that explains the failure: not "module not found" for a package that cannot exist here. */
function realCause(error, packageName) {
  const all = causes(error).slice(1)
  const notFound = (e) => e.code === 'MODULE_NOT_FOUND' || String(e.message).startsWith('Cannot find module ')
  return (
    all.find((e) => !notFound(e)) ?? all.find((e) => String(e.message).includes(`'${packageName}'`)) ?? all[0] ?? error
  )
}

function loadBinding() {
  try {
    return require('../binding.js')
  } catch (error) {
    const platform = platformName()
    const packageName = `mmapkit-${platform}`
    const cause = realCause(error, packageName)
    const reason = `${String(cause.message).replace(/\.$/, '')}${cause.code ? ` [${cause.code}]` : ''}`
    const advice = /addons is disabled|ERR_DLOPEN_DISABLED/.test(`${cause.message} ${cause.code}`)
      ? `Node runs with the permission model (--permission), which forbids native addons (this one is ` +
        `in the package ${packageName}) unless it is also given --allow-addons.`
      : TARGETS.has(platform)
        ? `Its binary is in the package ${packageName}, an optional dependency: install it with ` +
          `\`npm install ${packageName}\` (npm skips optional dependencies when the lockfile was written ` +
          `on another platform: npm/cli#4828), or build from a clone with \`npm run build\`.`
        : `There is no prebuilt binary for ${platform}: build from a clone with \`npm run build\` (needs Rust).`
    const failure = new Error(`mmapkit could not load its native addon for ${platform}: ${reason}. ${advice}`, {
      cause,
    })
    failure.code = 'ERR_MMAP_NO_NATIVE_ADDON'
    throw failure
  }
}

module.exports = { loadBinding, platformName }
