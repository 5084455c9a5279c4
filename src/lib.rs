//! mmapkit's napi-rs binding. It converts JS arguments to Rust values, calls `mmapkit_core`, and
//! converts results and errors back; the mapping logic itself lives in the `mmapkit-core` crate.
//!
//! Layout: `file.rs` (class MemoryMappedFile; `file/open_task.rs` its `openAsync`), `module.rs`
//! (module functions, load-time setup), `tasks.rs` (async twins naming no class), `settle.rs`
//! (what every async call settles with: its abort watch and early error), `waits.rs` (long waits
//! on threads of their own), `abort.rs` (AbortSignal), `views.rs` (zero-copy Buffers and their
//! lifetime), `args.rs` (argument validation), `node_error/` (Node-style errors), `number_text.rs`
//! (numbers as JS writes them), `js.rs` (raw Node-API helpers), `scan_methods.rs` (the scan
//! methods) over `scan_job.rs` (the scan they share with their Promise twins), `hot/` (the raw
//! hot-path calls) over `hot_handles.rs` (their handle table), `iterator_values.rs` (what the
//! native iterators hand JS).
//!
//! Sibling modules never depend on each other in a cycle: `node scripts/module-graph.mjs src`
//! (part of `npm run lint`) checks it. A helper two modules share lives in a module of its own,
//! below both.
#![deny(clippy::all)]
#![deny(unsafe_op_in_unsafe_fn)]
// Under `cfg(test)` napi-derive registers nothing, so the exported functions look unused.
#![cfg_attr(test, allow(dead_code))]

mod abort;
mod args;
mod atomics;
mod chunks;
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
mod number_text;
mod ring;
mod scan_job;
mod scan_methods;
mod scan_progress;
mod segment;
mod settle;
mod span;
mod tasks;
mod toolkit;
mod views;
mod waits;
