//! [`MappedFile`]: one mapping of a file (or of anonymous memory) with bounds-checked access,
//! durable flushes, resizing and an explicit close.
//!
//! Lifetime model: the mapping lives behind a `RwLock<Option<Region>>`. Every access takes the read
//! lock for its duration, so an access on another thread (an async flush) can never see the memory
//! disappear; `close` and `resize` take the write lock and therefore wait for those accesses. Raw
//! pointers handed out by [`MappedFile::view`] are valid until the next `close` or `resize`;
//! those of [`MappedFile::held_view`] for as long as its `Arc<Reservation>` is held (after
//! `close`/`resize`, over private zero pages): the binding's zero-copy views are never detached.
//!
//! This file holds the handle, its live region and its state; each group of methods is a child
//! module: `open` (from a path and options to a mapping), `io` (bounds-checked copies and views),
//! `flush` (durable writes and flush policies), `resize`, `lock` (advisory file locks), `atomics`,
//! `page_cache` (advice, prefetch, pinning) and `residency` (`mincore`).

mod atomics;
mod flush;
mod io;
mod lock;
mod open;
mod page_cache;
mod residency;
mod resize;

pub use io::{RawView, Window};
pub use residency::Residency;

use std::fs::File;
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};
use std::time::Duration;

use memmap2::{MmapOptions, MmapRaw};

use crate::error::{MmapError, Result};
use crate::file_lock;
use crate::flush_policy::{FlushPolicy, Flusher};
use crate::guard::{self, guarded};
use crate::mode::Mode;
use crate::os;
use crate::range::to_usize;
use crate::reservation::Reservation;

/// The live part of a mapping: what `close` drops.
pub(crate) struct Region {
  /// `None` for a zero-length mapping (nothing to map). Shared with the zero-copy views made over
  /// it: `close` and `resize` retire it (zero pages, still reserved) rather than unmap it.
  pub(crate) map: Option<Arc<Reservation>>,
  pub(crate) len: usize,
  /// `None` for anonymous memory. Kept open for resize, flush and (later) locks.
  pub(crate) file: Option<File>,
}

impl Region {
  pub(crate) fn ptr(&self) -> *mut u8 {
    match &self.map {
      Some(map) => map.ptr(),
      None => std::ptr::NonNull::dangling().as_ptr(),
    }
  }

  /// Gives up the address range: unmapped now if nothing else holds it, else retired.
  fn release(&mut self) {
    if let Some(map) = self.map.take() {
      Reservation::release(map);
    }
    self.len = 0;
  }
}

impl Drop for Region {
  fn drop(&mut self) {
    self.release();
  }
}

/// A memory-mapped file, or anonymous memory, shared safely between threads.
///
/// ```
/// use mmapkit_core::{MappedFile, Mode, OpenOptions};
/// # let dir = tempfile::tempdir().unwrap();
/// # let path = dir.path().join("data.bin");
/// let rw = OpenOptions {
///   mode: Some(Mode::ReadWrite),
///   create: true,
///   size: Some(4096),
///   ..OpenOptions::default()
/// };
/// let writer = MappedFile::open(&path, &rw)?;
/// writer.write(0, b"hello")?;
/// writer.flush()?;
/// // Another mapping of the same file (here readOnly, the default) sees the bytes.
/// let reader = MappedFile::open(&path, &OpenOptions::default())?;
/// assert_eq!(reader.read(0, 5)?, b"hello");
/// # Ok::<(), mmapkit_core::MmapError>(())
/// ```
pub struct MappedFile {
  /// What the background flusher shares with the handle.
  shared: Arc<Shared>,
  path: Option<String>,
  /// File offset of the first mapped byte.
  offset: u64,
  /// Whether the mapping covers the whole file (only those can be resized).
  whole_file: bool,
  policy: FlushPolicy,
  /// The `EveryMillis` thread, stopped by `close`.
  flusher: Mutex<Option<Flusher>>,
  /// How many times `close` or `resize` has started to give up the mapped range: see
  /// [`MappedFile::unmap_count`].
  unmaps: AtomicU64,
}

/// The state both the handle and its background flusher use.
struct Shared {
  region: RwLock<Option<Region>>,
  mode: Mode,
  /// Bytes and calls of `write` since the last flush.
  pending_bytes: AtomicU64,
  pending_writes: AtomicU64,
  /// A failure of the background flusher, reported by the next `flush`.
  background_error: Mutex<Option<std::io::Error>>,
  /// 0, or 1 + the mapping offset of a page that faulted through a view (a truncated file, a full
  /// disk under a sparse file): from then on every call reports it. Kept here across `resize`.
  view_fault: AtomicU64,
}

impl Shared {
  /// Copies a fault recorded on `region`'s range into the mapping's sticky state.
  fn remember_fault(&self, region: &Region) {
    if let Some(offset) = region.map.as_ref().and_then(|map| map.fault()) {
      let _ =
        self
          .view_fault
          .compare_exchange(0, offset as u64 + 1, Ordering::AcqRel, Ordering::Acquire);
    }
  }

  /// The mapping offset of a page that faulted through a view, if one did.
  fn view_fault(&self, region: &Region) -> Option<u64> {
    self.remember_fault(region);
    self.view_fault.load(Ordering::Acquire).checked_sub(1)
  }
}

impl std::fmt::Debug for MappedFile {
  fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    f.debug_struct("MappedFile")
      .field("path", &self.path)
      .field("mode", &self.shared.mode)
      .field("offset", &self.offset)
      .field("closed", &self.is_closed())
      .finish()
  }
}

impl MappedFile {
  /// `size` bytes of zeroed anonymous memory, readWrite, with no file behind it.
  ///
  /// ```
  /// use mmapkit_core::{MappedFile, Mode};
  /// let memory = MappedFile::anonymous(4096)?;
  /// assert_eq!(memory.mode(), Mode::ReadWrite);
  /// assert_eq!(memory.read(0, 4)?, [0, 0, 0, 0]);
  /// memory.write(0, b"scratch")?;
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
  pub fn anonymous(size: u64) -> Result<Self> {
    let len = to_usize(size, "size")?;
    let map = if len == 0 {
      None
    } else {
      let map = MmapOptions::new()
        .len(len)
        .map_anon()
        .map_err(|e| MmapError::io(e, "mmap", None))?;
      Some(Reservation::new(MmapRaw::from(map), false))
    };
    Ok(MappedFile::from_region(
      Region {
        map,
        len,
        file: None,
      },
      None,
      Mode::ReadWrite,
      0,
      false,
      FlushPolicy::Manual,
    ))
  }

  pub(crate) fn from_region(
    region: Region,
    path: Option<String>,
    mode: Mode,
    offset: u64,
    whole_file: bool,
    policy: FlushPolicy,
  ) -> Self {
    let shared = Arc::new(Shared {
      region: RwLock::new(Some(region)),
      mode,
      pending_bytes: AtomicU64::new(0),
      pending_writes: AtomicU64::new(0),
      background_error: Mutex::new(None),
      view_fault: AtomicU64::new(0),
    });
    let flusher = match policy {
      FlushPolicy::EveryMillis(ms) => {
        let shared = Arc::clone(&shared);
        Some(Flusher::start(
          Duration::from_millis(ms.max(1)),
          move || shared.background_flush(),
        ))
      }
      _ => None,
    };
    MappedFile {
      shared,
      path,
      offset,
      whole_file,
      policy,
      flusher: Mutex::new(flusher),
      unmaps: AtomicU64::new(0),
    }
  }

  /// The read guard over the live region, or [`MmapError::Closed`].
  pub(crate) fn live(&self) -> Result<LiveRegion<'_>> {
    let guard = self
      .shared
      .region
      .read()
      .unwrap_or_else(|poisoned| poisoned.into_inner());
    let Some(region) = guard.as_ref() else {
      return Err(MmapError::Closed);
    };
    if let Some(offset) = self.shared.view_fault(region) {
      return Err(self.fault_error(region, offset));
    }
    Ok(LiveRegion(guard))
  }

  /// Runs `work` under the fault guard ([`guarded`]) with `region` held; a fault in it is
  /// classified by [`MappedFile::access_fault`]. Every guarded access to a mapping goes through
  /// here (copies, atomics, `touch_pages`, scans, the ring buffer), so a fault means the same
  /// thing whatever met it.
  ///
  /// # Safety
  /// As for [`guarded`]: `work` touches mapped memory only through raw pointers or borrowed
  /// slices and owns nothing with a destructor that matters.
  pub(crate) unsafe fn guarded_access<R>(
    &self,
    region: &Region,
    range: &Range<usize>,
    work: impl FnOnce() -> R,
  ) -> Result<R> {
    // SAFETY: the caller's contract is `guarded`'s.
    unsafe { guarded(work) }.map_err(|e| self.access_fault(region, range, e))
  }

  /// What a fault in a guarded access to `range` of `region` means: [`MmapError::Truncated`]
  /// (from [`guarded`]) is classified at the faulting address (where the OS does not tell it, at
  /// the last byte of `range`) by [`MappedFile::fault_error`]; other errors pass unchanged.
  pub(crate) fn access_fault(
    &self,
    region: &Region,
    range: &Range<usize>,
    error: MmapError,
  ) -> MmapError {
    if !matches!(error, MmapError::Truncated) {
      return error;
    }
    let base = region.ptr() as usize;
    let offset = guard::take_fault_address()
      .and_then(|address| address.checked_sub(base))
      .filter(|&offset| offset < region.len)
      .unwrap_or_else(|| range.end.saturating_sub(1));
    self.fault_error(region, offset as u64)
  }

  /// The one rule for what a fault at mapping offset `offset` means (in a guarded access, or
  /// through a view, recorded by the fault handler):
  /// - the file now ends at or before that byte: `ERR_MMAP_TRUNCATED`;
  /// - else, its file system has no free blocks: `ENOSPC` (a page of a hole in a sparse file the
  ///   disk had no room for);
  /// - else, reading that byte of the file fails: that I/O error (`EIO`);
  /// - else the file changed under the mapping (truncated, then grown again): `ERR_MMAP_TRUNCATED`.
  ///
  /// Anonymous memory has no file and never faults; it is `ERR_MMAP_TRUNCATED` for completeness.
  fn fault_error(&self, region: &Region, offset: u64) -> MmapError {
    let Some(file) = &region.file else {
      return MmapError::Truncated;
    };
    let at = self.offset.saturating_add(offset);
    match file.metadata() {
      Ok(meta) if meta.len() > at => {}
      _ => return MmapError::Truncated,
    }
    if os::file_system_full(file) {
      return self.io_error(std::io::Error::from_raw_os_error(os::ENOSPC), "mmap");
    }
    match read_byte_at(file, at) {
      Err(e) if e.kind() != std::io::ErrorKind::Interrupted => self.io_error(e, "mmap"),
      _ => MmapError::Truncated,
    }
  }

  pub(crate) fn io_error(&self, e: std::io::Error, syscall: &'static str) -> MmapError {
    MmapError::io(e, syscall, self.path.as_deref())
  }

  /// The file's path; `None` for anonymous memory.
  ///
  /// ```
  /// use mmapkit_core::{MappedFile, OpenOptions};
  /// # let dir = tempfile::tempdir().unwrap();
  /// let path = dir.path().join("data.bin");
  /// std::fs::write(&path, b"hello").unwrap();
  /// let file = MappedFile::open(&path, &OpenOptions::default())?;
  /// assert_eq!(file.path(), path.to_str());
  /// assert_eq!(MappedFile::anonymous(16)?.path(), None);
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
  pub fn path(&self) -> Option<&str> {
    self.path.as_deref()
  }

  /// How the file is mapped.
  ///
  /// ```
  /// use mmapkit_core::{MappedFile, MmapError, Mode, OpenOptions};
  /// # let dir = tempfile::tempdir().unwrap();
  /// # let path = dir.path().join("data.bin");
  /// # std::fs::write(&path, b"hello").unwrap();
  /// let file = MappedFile::open(&path, &OpenOptions::default())?;
  /// assert_eq!(file.mode(), Mode::ReadOnly); // the default
  /// assert!(matches!(file.write(0, b"x"), Err(MmapError::ReadOnly { .. })));
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
  pub fn mode(&self) -> Mode {
    self.shared.mode
  }

  /// The flush policy chosen at open.
  ///
  /// ```
  /// use mmapkit_core::{FlushPolicy, MappedFile, Mode, OpenOptions};
  /// # let dir = tempfile::tempdir().unwrap();
  /// # let path = dir.path().join("data.bin");
  /// let options = OpenOptions {
  ///   mode: Some(Mode::ReadWrite),
  ///   create: true,
  ///   size: Some(4096),
  ///   flush_policy: FlushPolicy::EveryWrites(100),
  ///   ..OpenOptions::default()
  /// };
  /// let file = MappedFile::open(&path, &options)?;
  /// assert_eq!(file.flush_policy(), FlushPolicy::EveryWrites(100));
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
  pub fn flush_policy(&self) -> FlushPolicy {
    self.policy
  }

  /// The file offset of the first mapped byte.
  ///
  /// ```
  /// use mmapkit_core::{MappedFile, OpenOptions};
  /// # let dir = tempfile::tempdir().unwrap();
  /// # let path = dir.path().join("data.bin");
  /// # std::fs::write(&path, vec![7u8; 10_000]).unwrap();
  /// // Any offset: the mapping is aligned to pages internally.
  /// let options = OpenOptions {
  ///   offset: Some(5000),
  ///   length: Some(100),
  ///   ..OpenOptions::default()
  /// };
  /// let window = MappedFile::open(&path, &options)?;
  /// assert_eq!(window.offset(), 5000);
  /// assert_eq!(window.len()?, 100);
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
  pub fn offset(&self) -> u64 {
    self.offset
  }

  /// Bytes mapped, or [`MmapError::Closed`].
  ///
  /// ```
  /// use mmapkit_core::{MappedFile, MmapError};
  /// let memory = MappedFile::anonymous(4096)?;
  /// assert_eq!(memory.len()?, 4096);
  /// memory.close();
  /// assert!(matches!(memory.len(), Err(MmapError::Closed)));
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
  pub fn len(&self) -> Result<usize> {
    Ok(self.live()?.len)
  }

  /// Whether the mapping is empty (a zero-length file or window).
  ///
  /// ```
  /// use mmapkit_core::MappedFile;
  /// assert!(MappedFile::anonymous(0)?.is_empty()?);
  /// assert!(!MappedFile::anonymous(1)?.is_empty()?);
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
  pub fn is_empty(&self) -> Result<bool> {
    Ok(self.len()? == 0)
  }

  /// Whether `close` has run.
  ///
  /// ```
  /// use mmapkit_core::MappedFile;
  /// let memory = MappedFile::anonymous(16)?;
  /// assert!(!memory.is_closed());
  /// memory.close();
  /// assert!(memory.is_closed());
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
  pub fn is_closed(&self) -> bool {
    self
      .shared
      .region
      .read()
      .map(|g| g.is_none())
      .unwrap_or(true)
  }

  /// How many times [`close`](MappedFile::close) or [`resize`](MappedFile::resize) has started to
  /// give up the mapped range. Both wait for accesses running on other threads (they hold the
  /// region's read lock), so a long reader (an async scan over gigabytes) reads this before it
  /// starts and stops as soon as it changes: then `close` and `resize` wait milliseconds, not the
  /// whole scan. Lock-free: it never waits for the region's lock.
  ///
  /// ```
  /// use mmapkit_core::MappedFile;
  /// let memory = MappedFile::anonymous(16)?;
  /// let before = memory.unmap_count();
  /// memory.close();
  /// assert_ne!(memory.unmap_count(), before);
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
  pub fn unmap_count(&self) -> u64 {
    self.unmaps.load(Ordering::SeqCst)
  }

  /// Bytes written through [`MappedFile::write`] since the last flush.
  ///
  /// ```
  /// use mmapkit_core::MappedFile;
  /// let memory = MappedFile::anonymous(4096)?;
  /// memory.write(0, b"abcd")?;
  /// assert_eq!(memory.pending_bytes(), 4);
  /// memory.flush()?;
  /// assert_eq!(memory.pending_bytes(), 0);
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
  pub fn pending_bytes(&self) -> u64 {
    self.shared.pending_bytes.load(Ordering::Relaxed)
  }

  /// Gives up the mapping at once and closes the file. Idempotent. Waits for accesses running on
  /// other threads. The address range is unmapped now if nothing else holds it, else retired
  /// (private zero pages) until the last zero-copy view over it is gone.
  ///
  /// ```
  /// use mmapkit_core::{MappedFile, MmapError};
  /// let memory = MappedFile::anonymous(4096)?;
  /// memory.close();
  /// memory.close(); // idempotent
  /// assert!(matches!(memory.read(0, 1), Err(MmapError::Closed)));
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
  pub fn close(&self) {
    // Before the write lock: long readers holding the read lock see it and give up.
    self.unmaps.fetch_add(1, Ordering::SeqCst);
    // Stop the flusher first: its ticks take the region's read lock.
    let flusher = self
      .flusher
      .lock()
      .unwrap_or_else(|p| p.into_inner())
      .take();
    drop(flusher);
    let region = self
      .shared
      .region
      .write()
      .unwrap_or_else(|poisoned| poisoned.into_inner())
      .take();
    if let Some(file) = region.as_ref().and_then(|r| r.file.as_ref()) {
      // Windows may release a lock some time after its handle closes: release it now.
      let _ = file_lock::unlock(file);
    }
    drop(region);
  }
}

impl Drop for MappedFile {
  fn drop(&mut self) {
    self.close();
  }
}

/// A read guard that is known to hold a live region.
pub(crate) struct LiveRegion<'a>(RwLockReadGuard<'a, Option<Region>>);

impl std::ops::Deref for LiveRegion<'_> {
  type Target = Region;
  fn deref(&self) -> &Region {
    self
      .0
      .as_ref()
      .expect("LiveRegion is only built over a live region")
  }
}

/// Reads the byte at `at` from `file` with `pread` (no seek position is touched): whether that
/// byte of the file can be read, for [`MappedFile::fault_error`].
fn read_byte_at(file: &File, at: u64) -> std::io::Result<usize> {
  let mut byte = [0u8; 1];
  #[cfg(unix)]
  {
    use std::os::unix::fs::FileExt;
    file.read_at(&mut byte, at)
  }
  #[cfg(windows)]
  {
    use std::os::windows::fs::FileExt;
    file.seek_read(&mut byte, at)
  }
  #[cfg(not(any(unix, windows)))]
  {
    let _ = (file, at);
    Ok(0)
  }
}
