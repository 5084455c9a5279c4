//! mmapkit's napi-rs binding. It converts JS arguments to Rust values, calls `mmapkit_core`, and
//! converts results and errors back; the mapping logic itself lives in the `mmapkit-core` crate.
//!
//! Layout: `file.rs` (class MemoryMappedFile and its `openAsync`), `segment.rs`, `ring.rs`,
//! `chunks.rs`, `line_iterator.rs`, `match_iterator.rs` (the other classes), `span.rs` (methods
//! files and segments share), `toolkit.rs`, `scan_methods.rs` (the scans; their Promise twins run in
//! `scan_wait.rs`, on threads of their own, stopped by `close()`/`resize()`), `module.rs` (module
//! functions, load-time setup), `settle.rs` (how an async twin settles its Promise), `waits.rs`
//! (long waits on threads of their own), `abort.rs` (AbortSignal), `views.rs` (zero-copy Buffers),
//! `arguments.rs` (the typed arguments of the `#[napi]` methods, checked beforehand by the JS
//! layer's `lib/validate.js`), `hot/` (the raw hot calls), `hot_handles.rs` (their handle table),
//! `raw_arguments.rs` (the raw values the hot calls and the AbortSignal glue accept or refuse),
//! `node_error/` (Node-style errors), `js.rs` (raw Node-API helpers), `iterator_values.rs` (what
//! the native iterators hand JS), `coverage.rs` (segments a resize left uncovered).
//!
//! Sibling modules never depend on each other in a cycle: `node scripts/module-graph.mjs src`
//! (part of `npm run lint`) checks it. A helper two modules share lives in a module of its own,
//! below both.
#![deny(clippy::all)]
#![deny(unsafe_op_in_unsafe_fn)]
// Under `cfg(test)` napi-derive registers nothing, so the exported functions look unused.
#![cfg_attr(test, allow(dead_code))]

mod abort;
mod arguments;
mod atomics;
mod chunks;
mod coverage;
mod file;
mod hot;
mod hot_handles;
mod iterator_values;
mod js;
mod line_iterator;
mod locks;
mod match_iterator;
mod module;
mod node_error;
mod raw_arguments;
mod ring;
mod scan_job;
mod scan_methods;
mod scan_progress;
mod scan_queue;
mod scan_wait;
mod segment;
mod settle;
mod span;
mod toolkit;
mod views;
mod waits;
