//! Page-cache and memory control of a mapping: `madvise` hints, prefaulting, read-ahead and
//! pinning pages in RAM. Ranges are checked like every other and widened to pages internally.

use super::{MappedFile, Region};
use crate::error::Result;
use crate::mode::{Advice, Mode};
use crate::os;
use crate::range::checked_range;

impl MappedFile {
  /// Faults the pages of a range in now, by reading one byte of each.
  ///
  /// ```
  /// use mmapkit_core::MappedFile;
  /// let memory = MappedFile::anonymous(1 << 20)?;
  /// memory.touch_pages(0, 1 << 20)?; // every page is faulted in now, not at first use
  /// assert!(memory.touch_pages(0, (1 << 20) + 1).is_err());
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
  pub fn touch_pages(&self, offset: u64, length: u64) -> Result<()> {
    let region = self.live()?;
    let range = checked_range(offset, length, region.len, "offset", "length")?;
    let page = os::page_size();
    let base = region.ptr();
    // SAFETY: every `at` is inside the live mapping; volatile reads keep the accesses from being
    // elided. The closure owns nothing.
    unsafe {
      self.guarded_access(&region, &range, || {
        let mut at = range.start;
        while at < range.end {
          std::ptr::read_volatile(base.add(at));
          at = (at / page + 1) * page;
        }
      })
    }
  }

  /// Asks the OS to read a range ahead (`madvise(MADV_WILLNEED)`); returns without waiting.
  ///
  /// ```
  /// use mmapkit_core::{MappedFile, OpenOptions};
  /// # let dir = tempfile::tempdir().unwrap();
  /// # let path = dir.path().join("data.bin");
  /// # std::fs::write(&path, vec![1u8; 1 << 16]).unwrap();
  /// let file = MappedFile::open(&path, &OpenOptions::default())?;
  /// file.prefetch(0, 1 << 16)?; // returns at once; the OS reads ahead meanwhile
  /// assert_eq!(file.read(0, 1)?, [1]);
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
  pub fn prefetch(&self, offset: u64, length: u64) -> Result<()> {
    self.advise(Advice::WillNeed, offset, length)
  }

  /// Pins a range in RAM (`mlock`; Windows `VirtualLock`), aligned to pages internally. Fails with
  /// the OS's error (`ENOMEM`/`EPERM` over `RLIMIT_MEMLOCK`).
  ///
  /// ```
  /// use mmapkit_core::{MappedFile, MmapError};
  /// let memory = MappedFile::anonymous(4096)?;
  /// match memory.lock_memory(0, 4096) {
  ///   Ok(()) => memory.unlock_memory(0, 4096)?,
  ///   // Over RLIMIT_MEMLOCK the OS refuses, and says why.
  ///   Err(MmapError::Io { syscall, .. }) => assert_eq!(syscall, "mlock"),
  ///   Err(other) => panic!("{other}"),
  /// }
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
  pub fn lock_memory(&self, offset: u64, length: u64) -> Result<()> {
    self.memory_lock_op(offset, length, true)
  }

  /// Releases a range pinned by [`MappedFile::lock_memory`].
  ///
  /// ```
  /// use mmapkit_core::MappedFile;
  /// let memory = MappedFile::anonymous(4096)?;
  /// if memory.lock_memory(0, 4096).is_ok() {
  ///   memory.unlock_memory(0, 4096)?;
  /// }
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
  pub fn unlock_memory(&self, offset: u64, length: u64) -> Result<()> {
    self.memory_lock_op(offset, length, false)
  }

  fn memory_lock_op(&self, offset: u64, length: u64, lock: bool) -> Result<()> {
    let region = self.live()?;
    let range = checked_range(offset, length, region.len, "offset", "length")?;
    if range.is_empty() || region.map.is_none() {
      return Ok(());
    }
    // SAFETY: the range is inside the live mapping, held by the read guard for the call.
    let start = unsafe { region.ptr().add(range.start) };
    let (result, syscall) = if lock {
      (os::lock_memory(start, range.len()), "mlock")
    } else {
      (os::unlock_memory(start, range.len()), "munlock")
    };
    result.map_err(|e| self.io_error(e, syscall))
  }

  /// `madvise` on a range of the mapping (aligned internally). A no-op on Windows. Advice never
  /// loses data: `DontNeed` is `MADV_DONTNEED` only on shared file mappings (readWrite), where
  /// dirty pages stay in the page cache; on private memory (copyOnWrite, readOnly, anonymous),
  /// whose written pages exist nowhere else, it is the non-destructive `MADV_COLD` (Linux >= 5.4)
  /// or nothing.
  ///
  /// ```
  /// use mmapkit_core::{Advice, MappedFile};
  /// let memory = MappedFile::anonymous(1 << 16)?;
  /// memory.write(0, b"kept")?;
  /// memory.advise(Advice::Sequential, 0, 1 << 16)?;
  /// // dontNeed never loses data: private memory is only marked the first to reclaim.
  /// memory.advise(Advice::DontNeed, 0, 1 << 16)?;
  /// assert_eq!(memory.read(0, 4)?, b"kept");
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
  pub fn advise(&self, advice: Advice, offset: u64, length: u64) -> Result<()> {
    let region = self.live()?;
    let range = checked_range(offset, length, region.len, "offset", "length")?;
    advise_region(&region, self.mode(), advice, range.start, range.len())
      .map_err(|e| self.io_error(e, "madvise"))
  }
}

/// [`MappedFile::advise`] on a live region (also used right after mapping, for `options.advice`).
pub(super) fn advise_region(
  region: &Region,
  mode: Mode,
  advice: Advice,
  offset: usize,
  len: usize,
) -> std::io::Result<()> {
  let Some(map) = region.map.as_ref().filter(|_| len > 0) else {
    return Ok(());
  };
  let private = mode != Mode::ReadWrite || region.file.is_none();
  if advice == Advice::DontNeed && private {
    os::advise_cold(map, offset, len)
  } else {
    os::advise(map, advice, offset, len)
  }
}

#[cfg(test)]
mod tests {
  use super::*;
  use crate::options::OpenOptions;

  fn open(path: &std::path::Path, mode: Mode) -> MappedFile {
    let options = OpenOptions {
      mode: Some(mode),
      ..OpenOptions::default()
    };
    MappedFile::open(path.to_str().unwrap(), &options).unwrap()
  }

  /// Writes a pattern into every page, advises `dontNeed`, reads it back.
  fn survives_dont_need(mapped: &MappedFile) {
    let len = mapped.len().unwrap();
    let view = mapped.view(0, len as u64).unwrap();
    for at in (0..len).step_by(1000) {
      // SAFETY: `at` < len, inside the live mapping, which `mapped` keeps for the test.
      unsafe { view.ptr.add(at).write(0xA5) };
    }
    mapped.advise(Advice::DontNeed, 0, len as u64).unwrap();
    let data = mapped.read(0, len as u64).unwrap();
    for at in (0..len).step_by(1000) {
      assert_eq!(data[at], 0xA5, "{:?}: byte {at} was lost", mapped.mode());
    }
  }

  #[test]
  fn dont_need_never_loses_written_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.bin");
    std::fs::write(&path, vec![1u8; 64 << 10]).unwrap();
    survives_dont_need(&MappedFile::anonymous(64 << 10).unwrap());
    survives_dont_need(&open(&path, Mode::CopyOnWrite));
    survives_dont_need(&open(&path, Mode::ReadOnly));
    survives_dont_need(&open(&path, Mode::ReadWrite));
  }
}
