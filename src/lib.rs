//! mmapkit's napi-rs binding. It converts JS arguments to Rust values, calls `mmapkit_core`, and
//! converts results and errors back; the mapping logic itself lives in the `mmapkit-core` crate.
//!
//! Layout: `file.rs` (class MemoryMappedFile), `module.rs` (module functions, load-time setup),
//! `settle.rs` (how an async twin settles its Promise), `waits.rs` (long waits on threads of their own), `abort.rs`
//! (AbortSignal), `views.rs` (zero-copy Buffers and their detaching), `arguments.rs` (the typed
//! arguments of the `#[napi]` methods, checked beforehand by the JS layer's `lib/validate.js`),
//! `hot/` (the raw hot calls), `hot_handles.rs` (their table of handles), `raw_arguments.rs` (the raw argument values the
//! hot calls and the AbortSignal glue accept or refuse), `node_error/` (Node-style
//! errors), `js.rs` (raw Node-API helpers).
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
mod scan_methods;
mod scan_progress;
mod segment;
mod settle;
mod span;
mod toolkit;
mod views;
mod waits;
