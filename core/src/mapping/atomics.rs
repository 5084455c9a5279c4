//! Sequentially consistent atomics on aligned `u32`/`u64` words of a mapping, usable across
//! processes that map the same file (the hardware's atomics work on shared memory). Loads work in
//! every mode; stores and read-modify-writes are refused on readOnly mappings
//! ([`MmapError::ReadOnly`]), and a misaligned offset is [`MmapError::Misaligned`].

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::SeqCst};

use super::MappedFile;
use crate::error::{MmapError, Result};
use crate::range::checked_range;

macro_rules! atomic_ops {
  ($word:ty, $atomic:ty, $size:expr, $load:ident, $store:ident, $add:ident, $cas:ident) => {
    impl MappedFile {
      #[doc = concat!("Atomically loads the `", stringify!($word), "` at `offset`.")]
      ///
      #[doc = concat!("```\nlet memory = mmapkit_core::MappedFile::anonymous(64)?;\n", "memory.", stringify!($store), "(8, 5)?;\nassert_eq!(memory.", stringify!($load), "(8)?, 5);\n// Offsets must be aligned to the word's size in the file.\nassert!(matches!(memory.", stringify!($load), "(1), Err(mmapkit_core::MmapError::Misaligned { .. })));", "\n# Ok::<(), mmapkit_core::MmapError>(())\n```")]
      pub fn $load(&self, offset: u64) -> Result<$word> {
        // SAFETY: `with_aligned` hands over an aligned address inside the live mapping.
        self.with_aligned(offset, $size, false, stringify!($load), |ptr| unsafe { <$atomic>::from_ptr(ptr.cast()) }.load(SeqCst))
      }

      #[doc = concat!("Atomically stores `value` into the `", stringify!($word), "` at `offset`.")]
      ///
      #[doc = concat!("```\nlet memory = mmapkit_core::MappedFile::anonymous(64)?;\n", "memory.", stringify!($store), "(0, 7)?;\nassert_eq!(memory.", stringify!($load), "(0)?, 7);", "\n# Ok::<(), mmapkit_core::MmapError>(())\n```")]
      pub fn $store(&self, offset: u64, value: $word) -> Result<()> {
        // SAFETY: as in the load.
        self.with_aligned(offset, $size, true, stringify!($store), |ptr| unsafe { <$atomic>::from_ptr(ptr.cast()) }.store(value, SeqCst))
      }

      #[doc = concat!("Atomically adds `delta` (wrapping) to the `", stringify!($word), "` at `offset`; returns the previous value.")]
      ///
      #[doc = concat!("```\nlet memory = mmapkit_core::MappedFile::anonymous(64)?;\n", "memory.", stringify!($store), "(0, 1)?;\nassert_eq!(memory.", stringify!($add), "(0, 2)?, 1); // the previous value\nassert_eq!(memory.", stringify!($load), "(0)?, 3);", "\n# Ok::<(), mmapkit_core::MmapError>(())\n```")]
      pub fn $add(&self, offset: u64, delta: $word) -> Result<$word> {
        // SAFETY: as in the load.
        self.with_aligned(offset, $size, true, stringify!($add), |ptr| unsafe { <$atomic>::from_ptr(ptr.cast()) }.fetch_add(delta, SeqCst))
      }

      #[doc = concat!("Atomically replaces the `", stringify!($word), "` at `offset` with `value` if it equals `expected`; returns the previous value either way.")]
      ///
      #[doc = concat!("```\nlet memory = mmapkit_core::MappedFile::anonymous(64)?;\n", "memory.", stringify!($store), "(0, 1)?;\nassert_eq!(memory.", stringify!($cas), "(0, 1, 9)?, 1); // swapped\nassert_eq!(memory.", stringify!($cas), "(0, 1, 4)?, 9); // not swapped: 9 != 1\nassert_eq!(memory.", stringify!($load), "(0)?, 9);", "\n# Ok::<(), mmapkit_core::MmapError>(())\n```")]
      pub fn $cas(&self, offset: u64, expected: $word, value: $word) -> Result<$word> {
        self.with_aligned(offset, $size, true, stringify!($cas), |ptr| {
          // SAFETY: as in the load.
          match unsafe { <$atomic>::from_ptr(ptr.cast()) }.compare_exchange(expected, value, SeqCst, SeqCst) {
            Ok(previous) | Err(previous) => previous,
          }
        })
      }
    }
  };
}

atomic_ops!(
  u32,
  AtomicU32,
  4,
  atomic_load_u32,
  atomic_store_u32,
  atomic_add_u32,
  atomic_compare_exchange_u32
);
atomic_ops!(
  u64,
  AtomicU64,
  8,
  atomic_load_u64,
  atomic_store_u64,
  atomic_add_u64,
  atomic_compare_exchange_u64
);

impl MappedFile {
  /// Runs `op` on the address of `size` bytes at `offset`, which must be aligned to `size` in the
  /// file; for atomics. `write` operations are refused on readOnly mappings.
  fn with_aligned<T>(
    &self,
    offset: u64,
    size: u64,
    write: bool,
    operation: &'static str,
    op: impl FnOnce(*mut u8) -> T,
  ) -> Result<T> {
    let region = self.live()?;
    if write && !self.shared.mode.is_writable() {
      return Err(MmapError::ReadOnly { operation });
    }
    // The caller passed an offset only: name it, with the largest offset at which the value fits
    // (or, in a mapping shorter than the value, the value's end against the mapping's length).
    let len = region.len as u64;
    let range = match len.checked_sub(size) {
      Some(last) if offset > last => Err(MmapError::out_of_range("offset", last, offset)),
      None => Err(MmapError::out_of_range(
        &format!("offset + {size}"),
        len,
        offset.saturating_add(size),
      )),
      _ => checked_range(offset, size, region.len, "offset", "offset"),
    }?;
    if (self.offset + offset) % size != 0 {
      return Err(MmapError::Misaligned {
        offset,
        alignment: size,
      });
    }
    let ptr = region.ptr().wrapping_add(range.start);
    // SAFETY: `ptr` is inside the live mapping, kept mapped by the read guard; `op` performs one
    // atomic access through it and owns nothing (the `guarded` contract).
    unsafe { self.guarded_access(&region, &range, || op(ptr)) }
  }
}
