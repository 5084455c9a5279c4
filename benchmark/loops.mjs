// The timed loops, one function per kind of call (shared by bench.mjs and peers/run.mjs). Each is
// timed as a whole: one timestamp pair around n calls. Every read loop adds the first byte read to
// a sum, which is returned (and compared across readers), so no loop can be optimised away.
import { readSync, writeSync } from 'node:fs'

export function readIntoLoop(file, target, offsets, n) {
  let sum = 0
  for (let i = 0; i < n; i++) {
    file.readInto(offsets[i], target)
    sum += target[0]
  }
  return sum
}

export function readSyncLoop(fd, target, offsets, n) {
  const length = target.length
  let sum = 0
  for (let i = 0; i < n; i++) {
    readSync(fd, target, 0, length, offsets[i])
    sum += target[0]
  }
  return sum
}

export function viewCopyLoop(view, target, offsets, n) {
  const length = target.length
  let sum = 0
  for (let i = 0; i < n; i++) {
    const offset = offsets[i]
    view.copy(target, 0, offset, offset + length)
    sum += target[0]
  }
  return sum
}

/** For files larger than buffer.constants.MAX_LENGTH: one view per `windowBytes` window. */
export function windowCopyLoop(views, windowBytes, target, offsets, n) {
  const length = target.length
  let sum = 0
  for (let i = 0; i < n; i++) {
    const offset = offsets[i]
    const index = Math.floor(offset / windowBytes)
    const local = offset - index * windowBytes
    views[index].copy(target, 0, local, local + length)
    sum += target[0]
  }
  return sum
}

/** A getter through the napi-rs 3.16 generated glue (readInto and updateRegion use raw Node-API fast paths). */
export function getterLoop(file, n) {
  let sum = 0
  for (let i = 0; i < n; i++) sum += file.length
  return sum
}

export function updateRegionLoop(file, data, offsets, n) {
  for (let i = 0; i < n; i++) file.updateRegion(offsets[i], data)
  return n
}

export function writeSyncLoop(fd, data, offsets, n) {
  const length = data.length
  for (let i = 0; i < n; i++) writeSync(fd, data, 0, length, offsets[i])
  return n
}

// The same loops for a Segment, as functions of their own so that V8's type feedback for the
// file's loops stays monomorphic (a call site that sees both classes would slow both down).
export function segmentReadIntoLoop(segment, target, offsets, n) {
  let sum = 0
  for (let i = 0; i < n; i++) {
    segment.readInto(offsets[i], target)
    sum += target[0]
  }
  return sum
}

export function segmentUpdateRegionLoop(segment, data, offsets, n) {
  for (let i = 0; i < n; i++) segment.updateRegion(offsets[i], data)
  return n
}

/** JS writing through a zero-copy view of a readWrite mapping: `data.copy(view, offset)`. */
export function viewWriteLoop(view, data, offsets, n) {
  for (let i = 0; i < n; i++) data.copy(view, offsets[i])
  return n
}
