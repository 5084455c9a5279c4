// The receiving worker thread of benchmark/ring.mjs for the MessageChannel run (a worker_threads
// MessageChannel cannot cross processes, so this one is thread to thread). Control messages come on
// parentPort, the data on the transferred `workerData.port`.
import { parentPort, workerData } from 'node:worker_threads'

import { Receiver } from './common.mjs'

const { port } = workerData
let receiver = null

port.on('message', (message) => {
  if (receiver?.receive(message)) {
    const done = receiver
    receiver = null
    parentPort.postMessage({ type: 'done', ...done.result({}) })
  }
})

parentPort.on('message', (message) => {
  if (message.type === 'expect') {
    receiver = new Receiver(message.size, message.count)
    parentPort.postMessage({ type: 'armed' })
  } else if (message.type === 'exit') {
    port.close()
    parentPort.close()
  }
})
