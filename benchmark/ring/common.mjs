// Shared by benchmark/ring.mjs (the sender) and the receivers (ring/child.mjs, a forked process;
// ring/worker.mjs, a worker thread): the message layout, the sequence check, the socket framing.
//
// Every message is `size` bytes; its first 4 bytes are the sequence number (u32 little-endian),
// the rest a fixed pattern. The receiver checks the length and the number of every message, so a
// lost, duplicated, reordered or truncated message is an error, not a faster result.

/** A reusable message of `size` bytes (the sender writes the sequence number into bytes 0..3). */
export function template(size) {
  const message = Buffer.alloc(size)
  for (let i = 4; i < size; i++) message[i] = i & 0xff
  return message
}

export function writeSeq(bytes, offset, seq) {
  bytes[offset] = seq & 0xff
  bytes[offset + 1] = (seq >>> 8) & 0xff
  bytes[offset + 2] = (seq >>> 16) & 0xff
  bytes[offset + 3] = seq >>> 24
}

/** The sequence number of a message (a Buffer or a plain Uint8Array alike). */
export function readSeq(bytes) {
  return (bytes[0] | (bytes[1] << 8) | (bytes[2] << 16) | (bytes[3] << 24)) >>> 0
}

/**
 * Counts and checks the messages of one run. `receive(message)` returns true on the last one and
 * records `endNs` (process.hrtime.bigint(): CLOCK_MONOTONIC, the same clock in every process of
 * the machine, so the sender's start and the receiver's end can be subtracted).
 */
export class Receiver {
  constructor(size, count) {
    this.size = size
    this.count = count
    this.next = 0
    this.error = null
    this.endNs = 0n
  }

  receive(message) {
    const seq = readSeq(message)
    if (this.error === null && (seq !== this.next || message.length !== this.size)) {
      this.error = `message ${this.next}: got sequence number ${seq} and ${message.length} bytes, expected ${this.next} and ${this.size}`
    }
    this.next++
    if (this.next === this.count) {
      this.endNs = process.hrtime.bigint()
      return true
    }
    return false
  }

  result(extra) {
    return { endNs: this.endNs, received: this.next, error: this.error, ...extra }
  }
}

/**
 * A Unix socket frame: `[u32 LE payload length][payload]`. Allocated per message, as a
 * `socket.write` keeps the buffer until it is written.
 */
export function frame(payload, seq) {
  const out = Buffer.allocUnsafe(4 + payload.length)
  out.writeUInt32LE(payload.length, 0)
  payload.copy(out, 4)
  writeSeq(out, 4, seq)
  return out
}

/**
 * Splits a byte stream back into frames: `push(chunk)` calls `onMessage(payload)` with a view of
 * each complete frame and keeps an incomplete tail for the next chunk.
 */
export class FrameParser {
  constructor(onMessage) {
    this.onMessage = onMessage
    this.pending = null
  }

  push(chunk) {
    let bytes = chunk
    if (this.pending !== null) {
      bytes = Buffer.concat([this.pending, chunk])
      this.pending = null
    }
    let at = 0
    const end = bytes.length
    while (end - at >= 4) {
      const length = bytes.readUInt32LE(at)
      if (end - at - 4 < length) break
      this.onMessage(bytes.subarray(at + 4, at + 4 + length))
      at += 4 + length
    }
    if (at < end) this.pending = bytes.subarray(at)
  }
}
