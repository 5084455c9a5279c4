//! The little that differs between operating systems, one file per platform (as in memmap2).

#[cfg_attr(unix, path = "unix.rs")]
#[cfg_attr(windows, path = "windows.rs")]
mod platform;

pub use platform::{
  advise, advise_cold, allocate, file_system_full, huge_pages_hint, lock_memory, page_size,
  replace_with_zero_pages, runtime_symbol, unlock_memory, ENOSPC,
};
