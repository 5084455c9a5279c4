// The receiving process of benchmark/ring.mjs, forked with `serialization: 'advanced'`. It receives
// over the RingBuffer, the IPC channel (process.send) and a Unix socket, one run at a time, as the
// parent asks on the IPC channel. A second copy, forked with `serialization: 'json'` and an `init`
// without paths, receives base64 strings over process.send only.
//
//   parent: { type: 'init', ringPath, socketPath }   child: { type: 'ready' } (ring open, socket listening)
//   parent: { type: 'expect', transport, size, count }  child: { type: 'armed' }
//   ...the parent sends `count` messages over `transport`...
//   child: { type: 'done', endNs (a decimal string), received, error, sleeps }
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import { rmSync } from 'node:fs'

import { FrameParser, Receiver } from './common.mjs'

// The parent points NAPI_RS_NATIVE_LIBRARY_PATH at its snapshot of the addon; we inherit it.
const { RingBuffer } = createRequire(import.meta.url)('../../index.js')

/** How long a RingBuffer receiver waits for one message before it gives up (a lost message). */
const POP_TIMEOUT_MS = 10_000

let ring = null
let server = null
let current = null // { transport, receiver }
let parser = null

function finish(extra) {
  const { receiver } = current
  current = null
  const result = receiver.result(extra)
  // A string: the 'json' channel cannot carry a bigint.
  process.send({ type: 'done', ...result, endNs: String(result.endNs) })
}

async function receiveRing(receiver) {
  let sleeps = 0
  let message
  for (;;) {
    message = ring.pop()
    if (message === null) {
      sleeps++
      message = await ring.popAsync({ timeoutMs: POP_TIMEOUT_MS })
      if (message === null) {
        receiver.error ??= `RingBuffer: no message for ${POP_TIMEOUT_MS} ms after ${receiver.next} of ${receiver.count}`
        break
      }
    }
    if (receiver.receive(message)) break
  }
  finish({ sleeps })
}

process.on('message', (message) => {
  if (message instanceof Uint8Array) {
    // A data message of the process.send run ('advanced' serialization: the bytes themselves).
    if (current?.receiver.receive(message)) finish({})
    return
  }
  if (typeof message === 'string') {
    // The same over a 'json' channel: base64 text, decoded here.
    if (current?.receiver.receive(Buffer.from(message, 'base64'))) finish({})
    return
  }
  switch (message.type) {
    case 'init': {
      if (!message.ringPath) {
        process.send({ type: 'ready' }) // the 'json' child only receives over process.send
        break
      }
      ring = RingBuffer.open(message.ringPath)
      rmSync(message.socketPath, { force: true })
      server = createServer((socket) => {
        socket.setNoDelay(true)
        socket.on('data', (chunk) => parser?.push(chunk))
      })
      server.listen(message.socketPath, () => process.send({ type: 'ready' }))
      break
    }
    case 'expect': {
      const receiver = new Receiver(message.size, message.count)
      current = { transport: message.transport, receiver }
      parser =
        message.transport === 'socket'
          ? new FrameParser((payload) => {
              if (current?.receiver.receive(payload)) finish({})
            })
          : null
      process.send({ type: 'armed' })
      if (message.transport === 'ring') void receiveRing(receiver)
      break
    }
    case 'exit': {
      ring?.close()
      server?.close()
      process.disconnect()
      break
    }
  }
})
