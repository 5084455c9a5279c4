//! mmapkit's napi-rs binding. It converts JS arguments to Rust values, calls `mmapkit_core`, and
//! converts results and errors back; the mapping logic itself lives in the `mmapkit-core` crate.
//!
//! Layout: `file.rs` (class MemoryMappedFile), `module.rs` (module functions, load-time setup),
//! `tasks.rs` (async twins), `waits.rs` (long waits on threads of their own), `abort.rs`
//! (AbortSignal), `views.rs` (zero-copy Buffers and their detaching), `args.rs` (argument
//! validation), `node_error/` (Node-style errors), `js.rs` (raw
//! Node-API helpers).
#![deny(clippy::all)]
#![deny(unsafe_op_in_unsafe_fn)]
// Under `cfg(test)` napi-derive registers nothing, so the exported functions look unused.
#![cfg_attr(test, allow(dead_code))]

mod abort;
mod arguments;
mod atomics;
mod chunks;
mod file;
mod hot;
mod js;
mod line_iterator;
mod locks;
mod match_iterator;
mod module;
mod node_error;
mod ring;
mod scan_methods;
mod scan_progress;
mod segment;
mod span;
mod tasks;
mod toolkit;
mod views;
mod waits;
