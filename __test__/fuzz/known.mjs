// Behaviours that are known to be broken on today's build, each citing the issue item that
// tracks it. The bounded pass (`npm run test:fuzz`) does not generate these inputs, so it is green
// while they are being fixed; `npm run fuzz -- --known` generates them and expects the contract.
// Remove an entry when its fix lands: the bounded pass then covers it too.

/** @type {Record<string, string>} id -> the issue item it is tracked in */
export const KNOWN_BROKEN = {
  'indexOf-empty-pattern': "issue 14, Scans: indexOf('') returns 0 instead of ERR_INVALID_ARG_VALUE",
  'advise-dontneed-private':
    "issue 14, Nothing changes when a call is rejected: advise('dontNeed') on anonymous, copyOnWrite (and the private readOnly) mappings discards written pages",
  'special-files':
    'issue 14, Files that are not regular files: /proc files and /dev/zero map 0 bytes without an error; a FIFO blocks the JS thread forever',
  'open-rejected-changes-file':
    'issue 14, Nothing changes when a call is rejected: createRw/openRw with a bad offset/length have already created, truncated or grown the file',
  'partial-write-on-truncation':
    'issue 14, Nothing changes when a call is rejected ("a rejected write writes nothing"): updateRegion across the new end of a file truncated by another process writes the pages before the fault, then throws ERR_MMAP_TRUNCATED',
  'flush-always-pending': "issue 14, Flush policies: flushPolicy 'always' leaves pendingBytes non-zero after a sync",
  'transfer-view-buffer':
    "issue 11 items 1-3: a view's ArrayBuffer can be transferred (structuredClone/postMessage transfer list), and close() then unmaps memory the moved buffer still points to (SIGSEGV)",
  'ring-pooled-pop': 'issue 11 item 9: popped messages are slices of one pool; transferring one detaches the others',
  'ring-corrupt-head':
    'issue 14, RingBuffer files written by other processes: a misaligned head makes pop/peek read past the ring (SIGSEGV)',
  'wrong-receiver':
    'issue 14, Receivers and error codes: wrong receivers give Illegal invocation / GenericFailure / InvalidArg',
  'untyped-napi-errors':
    "issue 14, Receivers and error codes: napi-rs codes such as 'InvalidArg' (a re-entrant ChunkIterator.next()) instead of Node codes",
  // Found by this suite (not in issue 11 or 14 when it was written; see the fuzz report):
  'atomic-add-u64-negative':
    'new (fuzz report): atomicAddU64(off, -1n) throws ERR_OUT_OF_RANGE although its message and the README allow negative deltas',
  'ring-push-aliased-source':
    "new (fuzz report): RingBuffer.push(view) whose source overlaps the record being written (a view of the ring file's data area) stores the length prefix over the message's first bytes",
  'truncated-under-view':
    'issue 11 item 8: a file truncated by another process kills a JS access through a view (SIGBUS)',
}

/**
 * Entries of KNOWN_BROKEN whose fixes have landed: their inputs are generated in every pass. An id
 * stays in KNOWN_BROKEN (with its history) so that the generators keep their names.
 */
export const FIXED = new Set([
  'indexOf-empty-pattern',
  'advise-dontneed-private',
  'special-files',
  'open-rejected-changes-file',
  'flush-always-pending',
  'transfer-view-buffer',
  'ring-pooled-pop',
  'ring-corrupt-head',
  'wrong-receiver',
  'untyped-napi-errors',
  'atomic-add-u64-negative',
  'truncated-under-view',
  'ring-push-aliased-source',
])

let knownMode = false

/** `--known`: generate the known-broken inputs too. */
export function setKnownMode(on) {
  knownMode = Boolean(on)
}

export function isKnownMode() {
  return knownMode
}

/** Whether inputs of this known-broken kind are generated (always in --known mode). */
export function allowed(id) {
  if (!(id in KNOWN_BROKEN)) throw new Error(`unknown known-broken id ${id}`)
  return knownMode || FIXED.has(id)
}
