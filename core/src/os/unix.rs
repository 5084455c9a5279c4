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
      // Callers use it on shared file mappings only, where dirty pages stay in the page cache and
      // nothing is lost; private memory goes to `advise_cold` instead.
      return unsafe { map.unchecked_advise_range(UncheckedAdvice::DontNeed, offset, len) };
    }
  };
  map.advise_range(safe, offset, len)
}

/// The non-destructive form of "don't need" for private memory (copyOnWrite, readOnly and
/// anonymous mappings), whose pages hold data that exists nowhere else: `MADV_DONTNEED` would
/// discard it. Linux >= 5.4: `MADV_COLD` (the pages become the first candidates for reclaim,
/// swapped out rather than dropped; contents kept). Older kernels (`EINVAL`) and other systems: a
/// no-op, as a hint may be.
pub fn advise_cold(map: &MmapRaw, offset: usize, len: usize) -> io::Result<()> {
  #[cfg(any(target_os = "linux", target_os = "android"))]
  {
    let (start, len) = page_aligned(map.as_mut_ptr().wrapping_add(offset), len);
    // SAFETY: the range lies inside the live mapping (checked by the caller), widened to its
    // pages; MADV_COLD only moves pages between LRU lists and never changes their contents.
    if unsafe { libc::madvise(start.cast(), len, libc::MADV_COLD) } == 0 {
      return Ok(());
    }
    let e = io::Error::last_os_error();
    if e.raw_os_error() != Some(libc::EINVAL) {
      return Err(e);
    }
  }
  #[cfg(not(any(target_os = "linux", target_os = "android")))]
  let _ = (map, offset, len);
  Ok(())
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

/// `mlock` of `len` bytes at `ptr`, widened to whole pages.
pub fn lock_memory(ptr: *mut u8, len: usize) -> io::Result<()> {
  let (start, len) = page_aligned(ptr, len);
  // SAFETY: the caller passes a range inside a live mapping; widening to pages stays inside it,
  // since mappings start on a page boundary and extend to one.
  if unsafe { libc::mlock(start.cast(), len) } == 0 {
    Ok(())
  } else {
    Err(io::Error::last_os_error())
  }
}

/// `munlock` of `len` bytes at `ptr`, widened to whole pages.
pub fn unlock_memory(ptr: *mut u8, len: usize) -> io::Result<()> {
  let (start, len) = page_aligned(ptr, len);
  // SAFETY: as in `lock_memory`.
  if unsafe { libc::munlock(start.cast(), len) } == 0 {
    Ok(())
  } else {
    Err(io::Error::last_os_error())
  }
}

fn page_aligned(ptr: *mut u8, len: usize) -> (*mut u8, usize) {
  let page = page_size();
  let misalignment = ptr as usize % page;
  (ptr.wrapping_sub(misalignment), len + misalignment)
}

/// Reserves disk blocks for the first `len` bytes of `file` (and extends it to `len`).
///
/// On Linux-like systems this calls `posix_fallocate` directly: fs2 0.4.3 reads `errno` after it,
/// but `posix_fallocate` returns its error instead of setting `errno`, so fs2 reports a stale,
/// unrelated error (seen here: `ENOENT` for a full disk). Elsewhere fs2's `allocate` is correct.
pub fn allocate(file: &std::fs::File, len: u64) -> io::Result<()> {
  #[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
  {
    use std::os::unix::io::AsRawFd;
    let len = libc::off_t::try_from(len).map_err(|_| io::Error::from_raw_os_error(libc::EFBIG))?;
    // SAFETY: a plain system call on a valid descriptor; it does not touch our memory.
    match unsafe { libc::posix_fallocate(file.as_raw_fd(), 0, len) } {
      0 => Ok(()),
      errno => Err(io::Error::from_raw_os_error(errno)),
    }
  }
  #[cfg(not(any(target_os = "linux", target_os = "android", target_os = "freebsd")))]
  {
    fs2::FileExt::allocate(file, len)
  }
}

/// Replaces `len` bytes at `ptr` (widened to whole pages) with private anonymous zero pages, in
/// place: the range stays mapped, its file (if any) is no longer referenced.
pub fn replace_with_zero_pages(ptr: *mut u8, len: usize) {
  let (start, len) = page_aligned(ptr, len);
  // SAFETY: the caller owns the mapping at `start..start + len` (a `Reservation`), so replacing
  // it with MAP_FIXED cannot clobber anyone else's memory; MAP_NORESERVE charges pages only when
  // written.
  let mapped = unsafe {
    libc::mmap(
      start.cast(),
      len,
      libc::PROT_READ | libc::PROT_WRITE,
      libc::MAP_FIXED | libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
      -1,
      0,
    )
  };
  // On failure (no memory for page tables) the file mapping simply stays: the range is reserved
  // either way and keeps showing the file until it is unmapped.
  let _ = mapped;
}

/// `ENOSPC`, for a page of a sparse file the disk had no room for.
pub const ENOSPC: i32 = libc::ENOSPC;

/// Whether the file system holding `file` has no free blocks left for unprivileged writers.
pub fn file_system_full(file: &std::fs::File) -> bool {
  use std::os::unix::io::AsRawFd;
  // SAFETY: fstatvfs fills the zeroed struct we pass; the descriptor is valid for the call.
  let mut stats: libc::statvfs = unsafe { std::mem::zeroed() };
  // SAFETY: as above.
  (unsafe { libc::fstatvfs(file.as_raw_fd(), &mut stats) }) == 0 && stats.f_bavail == 0
}

/// The address of `name` among the symbols the running program exports (the JavaScript runtime's
/// newer Node-API functions, looked up at run time), or null.
pub fn runtime_symbol(name: &std::ffi::CStr) -> *mut std::ffi::c_void {
  // SAFETY: dlsym only reads the loaded objects' symbol tables.
  unsafe { libc::dlsym(libc::RTLD_DEFAULT, name.as_ptr()) }
}
