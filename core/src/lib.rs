//! mmapkit-core: bounds-checked, durable memory-mapped files in plain Rust.
//!
//! Everything the mmapkit npm package does to memory happens here: mapping files in three modes,
//! bounds-checked copies in and out, durable flushes, resizing and closing. The napi binding (the
//! `mmapkit` crate) only converts arguments, results and errors. No function here trusts its
//! numbers: every offset and length goes through [`range::checked_range`].
//!
//! ```
//! use mmapkit_core::{MappedFile, MmapError, Mode, OpenOptions};
//!
//! # fn main() -> Result<(), MmapError> {
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("data.bin");
//! let options = OpenOptions {
//!   mode: Some(Mode::ReadWrite),
//!   create: true,
//!   size: Some(4096),
//!   ..OpenOptions::default()
//! };
//! let file = MappedFile::open(path.to_str().unwrap(), &options)?;
//! file.write(0, b"mmap")?;
//! file.flush()?; // msync(MS_SYNC): durable when it returns
//! assert_eq!(file.read(0, 4)?, b"mmap");
//! // Every range is checked: reading past the end is an error, never a fault.
//! assert!(matches!(file.read(4090, 10), Err(MmapError::OutOfRange { .. })));
//! file.close();
//! assert!(matches!(file.read(0, 1), Err(MmapError::Closed)));
//! # Ok(())
//! # }
//! ```
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

pub mod byte_positions;
pub mod descriptor;
pub mod error;
mod file_kind;
pub mod file_lock;
pub mod flush_policy;
pub mod guard;
mod live_maps;
pub mod mapping;
pub mod matches;
pub mod mode;
pub mod options;
mod os;
mod preallocate;
pub mod range;
pub mod records;
pub mod reservation;
pub mod ring;
pub mod scan;
pub mod split;
#[cfg(test)]
mod test_support;

pub use error::{MmapError, Result};
pub use file_lock::LockKind;
pub use flush_policy::FlushPolicy;
pub use mapping::Residency;
pub use mapping::{MappedFile, RawView};
pub use mode::{Advice, Mode};
pub use options::OpenOptions;
pub use reservation::Reservation;
pub use ring::RingBuffer;

/// The OS page size in bytes.
///
/// ```
/// let page = mmapkit_core::page_size();
/// assert!(page.is_power_of_two() && page >= 4096);
/// ```
pub fn page_size() -> usize {
  os::page_size()
}

/// The address of the symbol `name` exported by the running program (the JavaScript runtime), or
/// null: for Node-API functions newer than the version the binding links against.
///
/// ```
/// assert!(mmapkit_core::runtime_symbol(c"no_such_symbol_in_any_program").is_null());
/// ```
pub fn runtime_symbol(name: &std::ffi::CStr) -> *mut std::ffi::c_void {
  os::runtime_symbol(name)
}
