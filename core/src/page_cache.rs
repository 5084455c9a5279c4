//! Page-cache and memory control of a mapping: `madvise` hints, prefaulting, read-ahead and
//! pinning pages in RAM. Ranges are checked like every other and widened to pages internally.

use crate::error::Result;
use crate::guard::guarded;
use crate::mapping::MappedFile;
use crate::mode::Advice;
use crate::os;
use crate::range::checked_range;

impl MappedFile {
  /// Faults the pages of a range in now, by reading one byte of each.
  pub fn touch_pages(&self, offset: u64, length: u64) -> Result<()> {
    let region = self.live()?;
    let range = checked_range(offset, length, region.len, "offset", "length")?;
    let page = os::page_size();
    let base = region.ptr();
    // SAFETY: every `at` is inside the live mapping; volatile reads keep the accesses from being
    // elided. The closure owns nothing.
    unsafe {
      guarded(|| {
        let mut at = range.start;
        while at < range.end {
          std::ptr::read_volatile(base.add(at));
          at = (at / page + 1) * page;
        }
      })
    }
  }

  /// Asks the OS to read a range ahead (`madvise(MADV_WILLNEED)`); returns without waiting.
  pub fn prefetch(&self, offset: u64, length: u64) -> Result<()> {
    self.advise(Advice::WillNeed, offset, length)
  }

  /// Pins a range in RAM (`mlock`; Windows `VirtualLock`), aligned to pages internally. Fails with
  /// the OS's error (`ENOMEM`/`EPERM` over `RLIMIT_MEMLOCK`).
  pub fn lock_memory(&self, offset: u64, length: u64) -> Result<()> {
    self.memory_lock_op(offset, length, true)
  }

  /// Releases a range pinned by [`MappedFile::lock_memory`].
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

  /// `madvise` on a range of the mapping (aligned internally). A no-op on Windows.
  pub fn advise(&self, advice: Advice, offset: u64, length: u64) -> Result<()> {
    let region = self.live()?;
    let range = checked_range(offset, length, region.len, "offset", "length")?;
    match &region.map {
      Some(map) if !range.is_empty() => {
        os::advise(map, advice, range.start, range.len()).map_err(|e| self.io_error(e, "madvise"))
      }
      _ => Ok(()),
    }
  }
}
