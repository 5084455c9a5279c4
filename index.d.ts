/**
 * mmapkit: memory-mapped file I/O for Node.js. The classes, methods and types come from the
 * napi-rs binding's generated declarations (`binding.d.ts`, which includes the JS layer's
 * declarations from `typings/binding-header.d.ts`); this file exports the public API only, with
 * constructors that cannot be called (instances come from the factories).
 */
import type * as binding from './binding'

export type {
  Advice,
  AsyncScanOptions,
  FactoryOptions,
  FlushPolicy,
  LinesOptions,
  LockKind,
  MapSource,
  MatchesOptions,
  MapOptions,
  MappedFileWatcher,
  MmapMode,
  OpenOptions,
  OwnedBuffer,
  PathLike,
  PrivateOpenOptions,
  Range,
  ReadStreamOptions,
  ReadWriteOpenOptions,
  Residency,
  ScanOptions,
  SpanMethods,
  SplitRangesOptions,
  TypedArrayConstructor,
  ViewBuffer,
} from './binding'
export { createMmap, loadMmap, pageSize, writeMmap } from './binding'

/** A class whose instances come from factories: `new` throws `ERR_ILLEGAL_CONSTRUCTOR`. */
type FactoryClass<C extends abstract new (...args: any) => any> = Omit<C, 'prototype'> & {
  readonly prototype: InstanceType<C>
} & (abstract new (illegal: never) => InstanceType<C>)

export type MemoryMappedFile = binding.MemoryMappedFile
/** A memory-mapped file or anonymous memory; create one with a factory such as `openRo`. */
export declare const MemoryMappedFile: FactoryClass<typeof binding.MemoryMappedFile>
export type Segment = binding.Segment
/** A bounds-checked window of a mapping, from `file.segment(offset, length)`. */
export declare const Segment: FactoryClass<typeof binding.Segment>
export type RingBuffer = binding.RingBuffer
/** A file-backed message queue between processes, from `RingBuffer.create` or `RingBuffer.open`. */
export declare const RingBuffer: FactoryClass<typeof binding.RingBuffer>
export type ChunkIterator = binding.ChunkIterator
/** What `chunks()` and `pages()` return. */
export declare const ChunkIterator: FactoryClass<typeof binding.ChunkIterator>
export type LineIterator = binding.LineIterator
/** What `lines()` returns. */
export declare const LineIterator: FactoryClass<typeof binding.LineIterator>
export type MatchIterator = binding.MatchIterator
/** What `matches()` returns. */
export declare const MatchIterator: FactoryClass<typeof binding.MatchIterator>
