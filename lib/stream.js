'use strict'
// MemoryMappedFile.prototype.createReadStream: a Node Readable over the mapping.
//
// Each chunk is a copy made by `read()` (as fs.createReadStream's chunks are copies of the page
// cache): once pushed it belongs to the consumer, so closing the file at any moment never empties,
// corrupts or stalls what was already pushed, and a file truncated under the mapping ends the
// stream with ERR_MMAP_TRUNCATED instead of a fault. For zero-copy iteration use `chunks()`.
const { Readable } = require('node:stream')
const { validateInteger, validateOptions } = require('./validate.js')
const { closedError, outOfRange } = require('./errors.js')

function createReadStream(options) {
  options = validateOptions(options)
  const start = options.start === undefined ? 0 : validateInteger(options.start, 'start')
  const end = options.end === undefined ? Infinity : validateInteger(options.end, 'end')
  if (start > end) throw outOfRange('start', `<= "end" (here: ${end})`, start)
  const highWaterMark =
    options.highWaterMark === undefined ? 64 * 1024 : validateInteger(options.highWaterMark, 'highWaterMark', 1)
  const file = this
  // After reading the options: a getter among them may have closed the file.
  if (file.closed) throw closedError()
  const stop = Math.min(end + 1, file.length)
  let position = Math.min(start, stop)
  return new Readable({
    highWaterMark,
    read() {
      try {
        if (position >= stop) {
          this.push(null)
          return
        }
        const size = Math.min(highWaterMark, stop - position)
        if (position + size > file.length) {
          file.read(0, 0) // throws the mapping's own error (ERR_MMAP_TRUNCATED after a fault), if any
          // Resized below the stream's range: the mapping it reads is gone, as after close().
          throw closedError()
        }
        const chunk = file.read(position, size)
        position += size
        this.push(chunk)
      } catch (error) {
        this.destroy(error)
      }
    },
  })
}

module.exports = { createReadStream }
