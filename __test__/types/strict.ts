// Type tests: each `@ts-expect-error` line is a call the runtime rejects, so the typings must reject
// it too (tsc fails on an unused `@ts-expect-error`). Compiled by `npm run test:types` with the
// oldest supported TypeScript (5.0) and the newest installed one, with `skipLibCheck: false`.
import { MemoryMappedFile, Segment, RingBuffer, type OwnedBuffer } from 'mmapkit'

declare const path: string

// @ts-expect-error a flush policy has exactly one key
MemoryMappedFile.open(path, { mode: 'readWrite', flushPolicy: { everyBytes: 10, everyMillis: 5 } })
// @ts-expect-error create needs readWrite
MemoryMappedFile.open(path, { mode: 'readOnly', create: true })
// @ts-expect-error create needs readWrite (readOnly is the default)
MemoryMappedFile.open(path, { create: true })
// @ts-expect-error size needs readWrite
MemoryMappedFile.openCow(path, { size: 10 })
// @ts-expect-error openRo maps readOnly only
MemoryMappedFile.openRo(path, { mode: 'readWrite' })
// @ts-expect-error openRw maps readWrite only
MemoryMappedFile.openRw(path, { mode: 'copyOnWrite' })
// @ts-expect-error instances come from the factories
new MemoryMappedFile()
// @ts-expect-error instances come from the factories
new Segment()
// @ts-expect-error instances come from the factories
new RingBuffer()
// @ts-expect-error not a mode
MemoryMappedFile.open(path, { mode: 'rw' })
// @ts-expect-error offsets are numbers
MemoryMappedFile.openRo(path).read('0', 4)
// @ts-expect-error targets are Uint8Arrays
MemoryMappedFile.openRo(path).readInto(0, [1, 2, 3])

// What the runtime accepts type-checks.
const file = MemoryMappedFile.open(path, { mode: 'readWrite', create: true, size: 4096 })
MemoryMappedFile.openRw(path, { flushPolicy: { everyMillis: 100 }, lock: 'exclusive' })
MemoryMappedFile.createRw(path, 4096, { offset: 0 })
const copy: OwnedBuffer = file.read(0, 4)
const view: Buffer = file.asBuffer(0, 16)
const segment: Segment = file.segment(0, 64)
segment.readInto(0, new Uint8Array(8))
const isFile: boolean = (file as unknown) instanceof MemoryMappedFile
for (const chunk of file.chunks(1024)) chunk.byteLength satisfies number

// Buffers pass where an ArrayBuffer-backed view is required, as fs.readFileSync's do.
void crypto.subtle.digest('SHA-256', file.read(0, 4))
void new Blob([file.read(0, 4), Buffer.from(file.asBuffer(0, 4))])
void [copy, view, isFile]
