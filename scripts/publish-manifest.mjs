#!/usr/bin/env node
// Makes package.json ready to publish; the publish job in .github/workflows/CI.yml runs it before
// `napi create-npm-dirs` (which copies repository, homepage and bugs into every npm/*/package.json)
// and `napi prepublish`.
//
//   node scripts/publish-manifest.mjs
//
// 1. Fills `repository`, `homepage` and `bugs` from the GitHub repository the workflow runs in
//    (GITHUB_SERVER_URL and GITHUB_REPOSITORY, set by GitHub Actions). npm accepts a provenance
//    statement only when repository.url matches that repository. No URL is written into the
//    repo: without those variables the script fails.
// 2. Removes the install-time scripts (`prepare`, `preinstall`, `install`, `postinstall`): the clone
//    needs `prepare` to build the addon, a user of the published package needs nothing built, and
//    npm warns on every install of a package that declares one.

import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const INSTALL_SCRIPTS = ['preinstall', 'install', 'postinstall', 'prepare']

/** The repository fields for `<serverUrl>/<repository>`; throws when either is missing or malformed. */
export function repositoryFields(serverUrl, repository) {
  if (!serverUrl || !repository) {
    throw new Error(
      'GITHUB_SERVER_URL and GITHUB_REPOSITORY must be set (GitHub Actions sets them): ' +
        'package.json needs a repository that matches the one publishing, or npm rejects the provenance statement',
    )
  }
  if (!/^https:\/\/[^/\s]+$/.test(serverUrl)) throw new Error(`GITHUB_SERVER_URL is not an https origin: ${serverUrl}`)
  if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(repository)) {
    throw new Error(`GITHUB_REPOSITORY is not owner/name: ${repository}`)
  }
  const web = `${serverUrl}/${repository}`
  return {
    repository: { type: 'git', url: `git+${web}.git` },
    homepage: `${web}#readme`,
    bugs: { url: `${web}/issues` },
  }
}

/** A copy of `pkg` without install-time scripts. */
export function withoutInstallScripts(pkg) {
  const scripts = { ...pkg.scripts }
  for (const name of INSTALL_SCRIPTS) delete scripts[name]
  return { ...pkg, scripts }
}

function main() {
  const file = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'package.json')
  const pkg = JSON.parse(fs.readFileSync(file, 'utf8'))
  let fields
  try {
    fields = repositoryFields(process.env.GITHUB_SERVER_URL, process.env.GITHUB_REPOSITORY)
  } catch (error) {
    console.error(`publish-manifest: ${error.message}`)
    process.exit(1)
  }
  const ready = { ...withoutInstallScripts(pkg), ...fields }
  fs.writeFileSync(file, `${JSON.stringify(ready, null, 2)}\n`)
  console.log(
    `publish-manifest: repository ${fields.repository.url}, homepage ${fields.homepage}, bugs ${fields.bugs.url}`,
  )
  console.log(`publish-manifest: removed install-time scripts (${INSTALL_SCRIPTS.join(', ')})`)
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main()
