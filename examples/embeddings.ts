// An embedding-file reader: the vectors of a file of float32 embeddings are read in place with
// typedArray(Float32Array, ...) (zero-copy, no parsing), and the nearest vectors to a query are
// found by dot products. The answer is checked against a copy of the file in the JS heap.
//
//   node --import @oxc-node/core/register examples/embeddings.ts [COUNT] [DIM]
//
// File layout: a 16-byte header ('EMB1', u32 count, u32 dim, u32 0), then count * dim float32
// values in little-endian order (the host's order on x86 and ARM).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { MemoryMappedFile } from 'mmapkit'

const HEADER = 16
const count = Number(process.argv[2] ?? 200_000)
const dim = Number(process.argv[3] ?? 64)

/** Deterministic pseudo-random floats in [-1, 1). */
function* numbers(seed: number): Generator<number> {
  let state = seed >>> 0
  for (;;) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    yield state / 2 ** 31 - 1
  }
}

/** The `k` best dot products of `query` with each of the `count` vectors in `vectors`. */
function nearest(vectors: Float32Array, query: Float32Array, k: number): Array<{ index: number; score: number }> {
  const best: Array<{ index: number; score: number }> = []
  for (let v = 0; v < count; v++) {
    let score = 0
    const base = v * dim
    for (let i = 0; i < dim; i++) score += vectors[base + i] * query[i]
    if (best.length < k || score > best[best.length - 1].score) {
      best.push({ index: v, score })
      best.sort((a, b) => b.score - a.score)
      if (best.length > k) best.pop()
    }
  }
  return best
}

const tempDir = mkdtempSync(join(tmpdir(), 'mmapkit-embeddings-'))
try {
  const path = join(tempDir, 'vectors.emb')
  {
    const data = Buffer.alloc(HEADER + count * dim * 4)
    data.write('EMB1', 0, 'latin1')
    data.writeUInt32LE(count, 4)
    data.writeUInt32LE(dim, 8)
    const random = numbers(42)
    for (let i = 0; i < count * dim; i++) data.writeFloatLE(random.next().value, HEADER + i * 4)
    writeFileSync(path, data)
  }
  const random = numbers(7)
  const query = Float32Array.from({ length: dim }, () => random.next().value)

  using file = MemoryMappedFile.openRo(path, { advice: 'sequential' })
  if (file.read(0, 4).toString('latin1') !== 'EMB1') throw new Error('not an embedding file')
  const header = file.typedArray(Uint32Array, 4, 2) // count, dim: zero-copy too
  console.log(`file: ${file.length} bytes, ${header[0]} vectors of ${header[1]} float32`)

  let start = performance.now()
  const vectors = file.typedArray(Float32Array, HEADER, count * dim) // the whole matrix, in place
  const mapped = nearest(vectors, query, 5)
  const mappedMs = performance.now() - start

  start = performance.now()
  const copy = readFileSync(path)
  const heap = new Float32Array(copy.buffer, copy.byteOffset + HEADER, count * dim)
  const inHeap = nearest(heap, query, 5)
  const heapMs = performance.now() - start

  console.log(`mapped typedArray: ${mappedMs.toFixed(0)} ms; readFileSync + Float32Array: ${heapMs.toFixed(0)} ms`)
  for (const { index, score } of mapped) console.log(`  vector ${index}: ${score.toFixed(4)}`)
  console.log(`same answer as the heap copy: ${JSON.stringify(mapped) === JSON.stringify(inHeap) ? 'yes' : 'NO'}`)
} finally {
  rmSync(tempDir, { recursive: true, force: true })
}
