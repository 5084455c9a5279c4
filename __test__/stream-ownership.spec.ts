// Issue 11, items 7, 9 and 11: a stream chunk, once pushed, belongs to the consumer, and a popped
// ring message is independent of every other. Closing the file at any moment never aborts, stalls,
// empties or corrupts a consumer.
import test from 'ava'
import { randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { Writable, type Readable } from 'node:stream'
import { gunzipSync, createGzip } from 'node:zlib'

import { MemoryMappedFile, RingBuffer } from '../index.js'
import { tempDir, tempFile } from './helpers.mjs'

const MiB = 1 << 20

/** A source that closes its file as soon as it has pushed everything, as `rs.on('end', close)` does. */
function closingStream(path: string): Readable {
  const file = MemoryMappedFile.openRo(path)
  const stream = file.createReadStream({ highWaterMark: MiB })
  stream.on('end', () => file.close())
  return stream
}

test('gzip of a stream whose file closes on end: the output is the file, byte for byte', async (t) => {
  const data = randomBytes(16 * MiB)
  const path = tempFile(t, data)
  const out = join(tempDir(t), 'out.gz')
  await pipeline(closingStream(path), createGzip(), createWriteStream(out))
  t.true(gunzipSync(readFileSync(out)).equals(data))
})

test('a Writable with a 64 MiB highWaterMark finishes with every byte', async (t) => {
  const data = randomBytes(16 * MiB)
  const path = tempFile(t, data)
  const received: Buffer[] = []
  const sink = new Writable({
    highWaterMark: 64 * MiB,
    write(chunk: Buffer, _encoding, done) {
      // Consume later, after the source has closed its file.
      setImmediate(() => {
        received.push(Buffer.from(chunk))
        done()
      })
    },
  })
  await pipeline(closingStream(path), sink)
  t.true(Buffer.concat(received).equals(data))
})

test('fs.createWriteStream with a 64 MiB highWaterMark writes every byte', async (t) => {
  const data = randomBytes(16 * MiB)
  const path = tempFile(t, data)
  const out = join(tempDir(t), 'out.bin')
  await pipeline(closingStream(path), createWriteStream(out, { highWaterMark: 64 * MiB }))
  t.true(readFileSync(out).equals(data))
  t.true(readFileSync(out).equals(readFileSync(path)), 'the same bytes as fs.createReadStream would give')
  await pipeline(createReadStream(path), createWriteStream(out))
  t.true(readFileSync(out).equals(data))
})

test('chunks buffered in paused mode stay readable after close()', async (t) => {
  const data = randomBytes(4096)
  const file = MemoryMappedFile.openRo(tempFile(t, data))
  const stream = file.createReadStream({ highWaterMark: 100, end: 199 })
  const errors: NodeJS.ErrnoException[] = []
  stream.on('error', (error) => errors.push(error))
  await new Promise((resolve) => stream.once('readable', resolve))
  const buffered = stream.readableLength
  t.true(buffered > 0)
  file.close()
  const first = stream.read(50) as Buffer | null
  t.truthy(first, 'read(50) returns bytes, not a raw TypeError')
  t.true(first!.equals(data.subarray(0, 50)))
  const rest = stream.read() as Buffer | null
  t.true(rest === null || rest.equals(data.subarray(50, 50 + rest.length)))
  await new Promise((resolve) => setImmediate(resolve))
  // Reading on past what was buffered needs the file: the stream errors, with a Node code.
  t.true(
    errors.every((error) => error.code === 'ERR_MMAP_CLOSED'),
    errors.map(String).join(),
  )
})

test('a stream whose file closes before it ends errors with ERR_MMAP_CLOSED', async (t) => {
  const file = MemoryMappedFile.openRo(tempFile(t, randomBytes(MiB)))
  const stream = file.createReadStream({ highWaterMark: 4096 })
  const chunks: Buffer[] = []
  const error = await new Promise<NodeJS.ErrnoException>((resolve) => {
    stream.on('data', (chunk: Buffer) => {
      chunks.push(chunk)
      if (chunks.length === 2) file.close()
    })
    stream.on('error', resolve)
    stream.on('end', () => resolve(new Error('ended') as NodeJS.ErrnoException))
  })
  t.is(error.code, 'ERR_MMAP_CLOSED')
  t.true(
    chunks.every((chunk) => chunk.byteLength === 4096),
    'chunks already delivered were not emptied',
  )
})

test('transferring one popped ring message changes no other message', (t) => {
  const ring = RingBuffer.create(join(tempDir(t), 'ring'), 1 << 16)
  try {
    for (let i = 0; i < 4; i++) ring.push(Buffer.alloc(16, i + 1))
    const messages = [ring.pop()!, ring.pop()!, ring.pop()!]
    const { port1, port2 } = new MessageChannel()
    port1.postMessage(messages[1], [messages[1].buffer as ArrayBuffer])
    port1.close()
    port2.close()
    t.is(messages[1].byteLength, 0, 'the transferred message moved')
    t.true(messages[0].equals(Buffer.alloc(16, 1)))
    t.true(messages[2].equals(Buffer.alloc(16, 3)))
    t.true(ring.pop()!.equals(Buffer.alloc(16, 4)), 'a later pop works')
    t.is(ring.pop(), null)
  } finally {
    ring.close()
  }
})
