use std::io;

use memmap2::{Advice as OsAdvice, MmapRaw, UncheckedAdvice};

use crate::mode::Advice;

/// The OS page size in bytes.
pub fn page_size() -> usize {
  // SAFETY: sysconf has no preconditions; _SC_PAGESIZE is always supported.
  let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
  if size > 0 {
    size as usize
  } else {
    4096
  }
}

/// `madvise` on `len` bytes at `offset` of `map`; memmap2 aligns the range to pages.
pub fn advise(map: &MmapRaw, advice: Advice, offset: usize, len: usize) -> io::Result<()> {
  let safe = match advice {
    Advice::Normal => OsAdvice::Normal,
    Advice::Random => OsAdvice::Random,
    Advice::Sequential => OsAdvice::Sequential,
    Advice::WillNeed => OsAdvice::WillNeed,
    Advice::DontNeed => {
      // SAFETY: MADV_DONTNEED may replace page contents (private changes are dropped, shared
      // pages are re-read from the file). mmapkit never holds Rust references into the mapping,
      // only raw pointers used for bounded copies, so no Rust invariant depends on the contents.
      return unsafe { map.unchecked_advise_range(UncheckedAdvice::DontNeed, offset, len) };
    }
  };
  map.advise_range(safe, offset, len)
}

/// Asks for transparent huge pages where the kernel offers them; other systems ignore the hint.
pub fn huge_pages_hint(map: &MmapRaw) {
  #[cfg(target_os = "linux")]
  {
    // A hint: THP may be disabled or unsupported for this file system, which is not an error.
    let _ = map.advise(OsAdvice::HugePage);
  }
  #[cfg(not(target_os = "linux"))]
  let _ = map;
}
