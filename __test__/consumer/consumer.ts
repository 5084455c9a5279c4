// A strict TypeScript consumer of the public API: `npm test` type-checks it (tsc --noEmit) so the
// generated typings stay usable. It is compiled, never run.
import {
  MemoryMappedFile,
  createMmap,
  loadMmap,
  pageSize,
  writeMmap,
  type Advice,
  type FlushPolicy,
  type MmapMode,
  type OpenOptions,
  type Segment,
  RingBuffer,
} from 'mmapkit'
import type { Readable } from 'node:stream'

export async function everyMethod(path: string): Promise<number> {
  const options: OpenOptions = { mode: 'readWrite', offset: 0, populate: true, advice: 'sequential' }
  using file = MemoryMappedFile.open(path, options)
  const mode: MmapMode = file.mode
  const policy: FlushPolicy = file.flushPolicy
  const maybePath: string | null = file.path
  const sizes: number[] = [file.length, file.offset, file.pendingBytes, pageSize()]
  const closed: boolean = file.closed

  const target = new Uint8Array(16)
  const copied: number = file.readInto(0, target)
  const copy: Buffer = file.read(0, 4)
  const view: Buffer = file.asBuffer(0, 4)
  file.updateRegion(0, 'text')
  file.updateRegion(0, target)
  file.flush()
  file.flushRange(0, 4)
  await file.flushAsync()
  await file.flushRangeAsync(0, 4, { signal: AbortSignal.timeout(1000) })
  const advice: Advice = 'willNeed'
  file.advise(advice, 0, 4)
  file.resize(4096)

  const again: MemoryMappedFile = await MemoryMappedFile.openAsync(path, { signal: new AbortController().signal })
  again.close()
  for (const other of [
    MemoryMappedFile.openRo(path),
    MemoryMappedFile.openRw(path, { create: true, size: 10 }),
    MemoryMappedFile.openCow(path),
    MemoryMappedFile.createRw(path, 10),
    MemoryMappedFile.openOrCreate(path, 10),
    MemoryMappedFile.anonymous(10),
    createMmap(path, 10),
    loadMmap(path, 'readOnly'),
    loadMmap(path),
  ]) {
    other[Symbol.dispose]()
  }
  const segment: Segment = file.segment(0, 8)
  const sub: Segment = segment.segment(1, 2)
  const parent: MemoryMappedFile = sub.parent
  const valid: boolean = segment.valid && parent.closed === false
  segment.updateRegion(0, 'seg')
  segment.flush()
  for (const chunk of file.chunks(4096)) chunk.fill(0)
  for await (const page of file.pages()) void page.length
  for (const chunk of segment.chunks(2)) void chunk.byteLength
  const lines: number = file.countLines() + file.countByte(10, 0, 4) + segment.countLines()
  const counted: number = file.count('x', { threads: 2, offset: 0, length: 4 }) + file.indexOf(new Uint8Array([1]), 0)
  const found: number[] = file.findAll('x', { limit: 3 })
  const asyncLines: number = await file.countLinesAsync({
    signal: AbortSignal.timeout(100),
    onProgress: (done, total) => void (done / total),
  })
  const asyncCount: number = await segment.countAsync('x', { threads: 1 })
  const asyncFound: number[] = await file.findAllAsync('x', { limit: 1 })
  const stream: Readable = file.createReadStream({ start: 0, end: 10, highWaterMark: 1024 })
  stream.destroy()
  const watcher = file.watch((event: 'change' | 'rename') => void event)
  watcher.close()
  file.touchPages()
  file.prefetch(0, 10)
  file.lockMemory(0, 10)
  file.unlockMemory()
  void [valid, lines, counted, found, asyncLines, asyncCount, asyncFound]

  const locked: boolean = file.tryLock('shared')
  file.lock()
  await file.lockAsync('exclusive', { signal: AbortSignal.timeout(10) })
  file.unlock()
  const previous: number = file.atomicAddU32(0, 1) + file.atomicCompareExchangeU32(0, 1, 2) + file.atomicLoadU32(4)
  file.atomicStoreU32(0, 0)
  const wide: bigint = file.atomicAddU64(8, 1n) + file.atomicLoadU64(8) + file.atomicCompareExchangeU64(8, 1n, 2n)
  file.atomicStoreU64(8, 0n)
  const policy2: FlushPolicy = MemoryMappedFile.open(path, {
    flushPolicy: { everyMillis: 100 },
    lock: 'shared',
  }).flushPolicy
  using queue = RingBuffer.create(path + '.ring', 4096, { overwrite: false })
  const pushed: boolean = queue.push('message') && queue.push(new Uint8Array(2))
  const popped: Buffer | null =
    queue.pop() ?? queue.peek() ?? (await queue.popAsync({ timeoutMs: 10, signal: AbortSignal.timeout(100) }))
  const stats: number = queue.length + queue.capacity + Number(queue.overwrite) + Number(queue.closed)
  using reopened = RingBuffer.open(path + '.ring')
  void [locked, previous, wide, policy2, pushed, popped, stats, reopened]

  writeMmap(path, 0, 'x')
  writeMmap(path, 0, new Uint8Array([1]))
  return (
    copied +
    copy.length +
    view.length +
    sizes.length +
    Number(closed) +
    mode.length +
    String(policy).length +
    (maybePath?.length ?? 0)
  )
}

export function misuse(file: MemoryMappedFile): void {
  // @ts-expect-error offsets are numbers
  file.readInto('0', new Uint8Array(1))
  // @ts-expect-error targets are Uint8Arrays
  file.readInto(0, [1, 2, 3])
  // @ts-expect-error modes are a closed set
  MemoryMappedFile.open('p', { mode: 'rw' })
  // @ts-expect-error read-only property
  file.length = 5
}
