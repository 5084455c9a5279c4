// Streaming output for commands whose output can be unbounded (find): text is gathered into
// writes of up to 64 KiB, handed to stdout at least every 30 ms while the search goes on, and the
// producer waits when the pipe is full. So memory stays constant, `find x big | head -3` prints at
// once, and a reader that closes the pipe ends the process (the EPIPE handler in mmapkit.mjs) at
// the next write instead of after the whole search.
import { once } from 'node:events'

const FLUSH_BYTES = 64 * 1024
const FLUSH_MS = 30

/**
 * @param {NodeJS.WritableStream} [stream]
 */
export function createWriter(stream = process.stdout) {
  let pending = ''
  let flushedAt = performance.now()
  const writer = {
    /**
     * Queues `text`; returns whether a flush is due (enough pending, or enough time passed), for
     * the caller to `await writer.flush()`: no Promise per line in the common case.
     * @param {string} text
     */
    write(text) {
      pending += text
      return pending.length >= FLUSH_BYTES || performance.now() - flushedAt >= FLUSH_MS
    },
    /** Writes what is pending and lets the event loop run (backpressure, EPIPE, Ctrl-C). */
    async flush() {
      flushedAt = performance.now()
      if (pending !== '') {
        const ok = stream.write(pending)
        pending = ''
        if (!ok) {
          await once(stream, 'drain')
          return
        }
      }
      await new Promise((resolve) => setImmediate(resolve))
    },
  }
  return writer
}
