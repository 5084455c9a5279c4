//! mmapkit-core: memory-mapped files for a JavaScript runtime, in plain Rust.
//!
//! Everything the Node package does to memory happens here: mapping files in three modes,
//! bounds-checked copies in and out, durable flushes, resizing and closing. The napi binding (the
//! `mmapkit` crate) only converts arguments, results and errors. No function here trusts its
//! numbers: every offset and length goes through [`range::checked_range`].
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

pub mod atomics;
pub mod errno;
pub mod error;
pub mod flush_policy;
pub mod guard;
pub mod lock;
pub mod mapping;
pub mod mode;
pub mod options;
mod os;
mod page_cache;
pub mod range;
pub mod reservation;
pub mod ring;
pub mod scan;

pub use error::{MmapError, Result};
pub use flush_policy::FlushPolicy;
pub use lock::LockKind;
pub use mapping::{MappedFile, RawView};
pub use mode::{Advice, Mode};
pub use options::OpenOptions;
pub use reservation::Reservation;
pub use ring::RingBuffer;

/// The OS page size in bytes.
pub fn page_size() -> usize {
  os::page_size()
}

/// The address of the symbol `name` exported by the running program (the JavaScript runtime), or
/// null: for Node-API functions newer than the version the binding links against.
pub fn runtime_symbol(name: &std::ffi::CStr) -> *mut std::ffi::c_void {
  os::runtime_symbol(name)
}
