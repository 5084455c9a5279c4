'use strict'
// MemoryMappedFile.prototype.watch (fs.watch on the mapped file), closed with the mapping.
const fs = require('node:fs')
const { validateFunction } = require('./validate.js')
const { closedError, nodeError } = require('./errors.js')

/** The open watchers of each file, closed by `closeWatchers` when the file closes. */
const watchers = new WeakMap()

function watch(listener) {
  validateFunction(listener, 'listener')
  if (this.closed) throw closedError()
  if (this.path === null) {
    throw nodeError(Error, 'ERR_MMAP_INVALID_MODE', 'watch() needs a file; anonymous memory has none')
  }
  const fsWatcher = fs.watch(this.path, (event) => listener(event))
  let open = watchers.get(this)
  if (!open) watchers.set(this, (open = new Set()))
  const handle = {
    close() {
      open.delete(handle)
      fsWatcher.close()
    },
  }
  fsWatcher.on('error', () => handle.close())
  open.add(handle)
  return handle
}

function closeWatchers(file) {
  const open = watchers.get(file)
  if (!open) return
  watchers.delete(file)
  for (const watcher of open) watcher.close()
}

module.exports = { watch, closeWatchers }
