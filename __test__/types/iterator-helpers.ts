// Iterator helpers on chunks() (TypeScript 5.6+ with lib esnext; the runtime has them on Node 22+).
import { MemoryMappedFile } from 'mmapkit'

declare const path: string
const sizes: number[] = MemoryMappedFile.openRo(path)
  .chunks(4096)
  .map((chunk) => chunk.byteLength)
  .toArray()
void sizes
