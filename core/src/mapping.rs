//! [`MappedFile`]: one mapping of a file (or of anonymous memory) with bounds-checked access,
//! durable flushes, resizing and an explicit close.
//!
//! Lifetime model: the mapping lives behind a `RwLock<Option<Region>>`. Every access takes the read
//! lock for its duration, so an access on another thread (an async flush) can never see the memory
//! disappear; `close` and `resize` take the write lock and therefore wait for those accesses. Raw
//! pointers handed out by [`MappedFile::view`] are valid until the next `close` or `resize`: the
//! caller (the napi binding) detaches its views before calling either.

use std::fs::File;
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};
use std::time::Duration;

use memmap2::{MmapOptions, MmapRaw};

use crate::error::{MmapError, Result};
use crate::flush_policy::{FlushPolicy, Flusher};
use crate::guard::guarded;
use crate::live_maps::overlaps_a_mapping;
use crate::lock;
use crate::mode::Mode;
use crate::open::grow_file;
use crate::options::OpenOptions;
use crate::os;
use crate::range::checked_range;
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

/// A raw view into a live mapping: `len` bytes at `ptr`.
#[derive(Debug, Clone, Copy)]
pub struct RawView {
  /// The first byte of the view.
  pub ptr: *mut u8,
  /// Its length in bytes.
  pub len: usize,
}

/// The part of a mapping that [`MappedFile::read_into_window`] and [`MappedFile::write_window`]
/// address: offsets are relative to it and checked against it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
  /// Offset of the window in the mapping.
  pub base: u64,
  /// `None`: the whole mapping, however long it currently is (then `base` is 0). `Some(len)`:
  /// `len` bytes at `base`, which must still lie inside the mapping, else the window is as
  /// unusable as a closed mapping (`MmapError::Closed`).
  pub len: Option<u64>,
}

impl Window {
  /// The whole mapping.
  pub const WHOLE: Window = Window { base: 0, len: None };

  /// `offset..offset + length` of the window as a range of a mapping of `mapped` bytes.
  fn range(
    self,
    mapped: usize,
    offset: u64,
    length: u64,
    names: (&str, &str),
  ) -> Result<Range<usize>> {
    let Some(len) = self.len else {
      return checked_range(offset, length, mapped, names.0, names.1);
    };
    match self.base.checked_add(len) {
      Some(end) if end <= mapped as u64 => {}
      _ => return Err(MmapError::Closed),
    }
    // `len` fits in a usize: the window lies inside the mapping.
    let inside = checked_range(offset, length, len as usize, names.0, names.1)?;
    // `base + inside.end <= mapped`, a usize.
    let base = self.base as usize;
    Ok(base + inside.start..base + inside.end)
  }
}

/// A memory-mapped file, or anonymous memory, shared safely between threads.
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
  /// Syncs `range` of a live region to the file (readWrite file mappings only).
  fn sync(&self, region: &Region, range: Range<usize>) -> std::io::Result<()> {
    if self.mode == Mode::ReadWrite {
      if let (Some(map), Some(_)) = (&region.map, &region.file) {
        if !range.is_empty() {
          map.flush_range(range.start, range.len())?;
        }
      }
    }
    Ok(())
  }

  /// Syncs the whole region and forgets the writes counted before the sync began (writes counted
  /// while it runs may not be covered, so they stay pending).
  fn sync_all(&self, region: &Region) -> std::io::Result<()> {
    let bytes = self.pending_bytes.load(Ordering::Acquire);
    let writes = self.pending_writes.load(Ordering::Acquire);
    self.sync(region, 0..region.len)?;
    self.forget(bytes, writes);
    Ok(())
  }

  /// Subtracts synced writes from the pending counts (never below 0: a concurrent full sync may
  /// already have forgotten them).
  fn forget(&self, bytes: u64, writes: u64) {
    let sub = |counter: &AtomicU64, n: u64| {
      let _ = counter.fetch_update(Ordering::AcqRel, Ordering::Acquire, |v| {
        Some(v.saturating_sub(n))
      });
    };
    sub(&self.pending_bytes, bytes);
    sub(&self.pending_writes, writes);
  }

  /// One tick of the background flusher: false once the mapping is closed.
  fn background_flush(&self) -> bool {
    let guard = self.region.read().unwrap_or_else(|p| p.into_inner());
    let Some(region) = guard.as_ref() else {
      return false;
    };
    if self.pending_bytes.load(Ordering::Relaxed) > 0 {
      if let Err(e) = self.sync_all(region) {
        *self
          .background_error
          .lock()
          .unwrap_or_else(|p| p.into_inner()) = Some(e);
      }
    }
    true
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
    }
  }

  pub(crate) fn apply_open_hints(&self, options: &OpenOptions) -> Result<()> {
    let region = self.live()?;
    if let Some(map) = &region.map {
      if options.huge_pages {
        os::huge_pages_hint(map);
      }
      if let Some(advice) = options.advice {
        crate::page_cache::advise_region(&region, self.mode(), advice, 0, map.len())
          .map_err(|e| self.io_error(e, "madvise"))?;
      }
    }
    Ok(())
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

  /// What a fault in a guarded access to `range` means: `ERR_MMAP_TRUNCATED` if the file now
  /// ends before the range does, else the I/O error (as in [`MappedFile::fault_error`]): a write
  /// into a hole of a sparse file on a full disk is `ENOSPC`, not a truncation.
  fn access_fault(&self, region: &Region, range: &Range<usize>, error: MmapError) -> MmapError {
    if !matches!(error, MmapError::Truncated) {
      return error;
    }
    self.fault_error(region, range.end.saturating_sub(1) as u64)
  }

  /// What a fault through a view at mapping offset `offset` means: the file now ends before that
  /// page (`ERR_MMAP_TRUNCATED`), or the page exists and could not be read or written (an I/O
  /// error: `ENOSPC` when its file system has no free blocks, as for a write into a hole of a
  /// sparse file on a full disk; `EIO` otherwise).
  fn fault_error(&self, region: &Region, offset: u64) -> MmapError {
    let Some(file) = &region.file else {
      return MmapError::Truncated;
    };
    match file.metadata() {
      Ok(meta) if meta.len() > self.offset + offset => {
        let errno = if os::file_system_full(file) {
          os::ENOSPC
        } else {
          os::EIO
        };
        self.io_error(std::io::Error::from_raw_os_error(errno), "mmap")
      }
      _ => MmapError::Truncated,
    }
  }

  pub(crate) fn io_error(&self, e: std::io::Error, syscall: &'static str) -> MmapError {
    MmapError::io(e, syscall, self.path.as_deref())
  }

  /// The file's path; `None` for anonymous memory.
  pub fn path(&self) -> Option<&str> {
    self.path.as_deref()
  }

  /// How the file is mapped.
  pub fn mode(&self) -> Mode {
    self.shared.mode
  }

  /// The flush policy chosen at open.
  pub fn flush_policy(&self) -> FlushPolicy {
    self.policy
  }

  /// The file offset of the first mapped byte.
  pub fn offset(&self) -> u64 {
    self.offset
  }

  /// Bytes mapped, or [`MmapError::Closed`].
  pub fn len(&self) -> Result<usize> {
    Ok(self.live()?.len)
  }

  /// Whether the mapping is empty (a zero-length file or window).
  pub fn is_empty(&self) -> Result<bool> {
    Ok(self.len()? == 0)
  }

  /// Whether `close` has run.
  pub fn is_closed(&self) -> bool {
    self
      .shared
      .region
      .read()
      .map(|g| g.is_none())
      .unwrap_or(true)
  }

  /// Bytes written through [`MappedFile::write`] since the last flush.
  pub fn pending_bytes(&self) -> u64 {
    self.shared.pending_bytes.load(Ordering::Relaxed)
  }

  /// Copies `target.len()` bytes starting at `offset` into `target`.
  pub fn read_into(&self, offset: u64, target: &mut [u8]) -> Result<()> {
    self.read_into_window(Window::WHOLE, offset, target)
  }

  /// [`MappedFile::read_into`] with `offset` relative to `window`, checked against it (and the
  /// window against the live mapping) under the same lock as the copy.
  pub fn read_into_window(&self, window: Window, offset: u64, target: &mut [u8]) -> Result<()> {
    // SAFETY: a `&mut [u8]` is valid for writes of its length and, being exclusive, cannot alias
    // the mapping.
    unsafe { self.read_into_raw(window, offset, target.as_mut_ptr(), target.len()) }
  }

  /// [`MappedFile::read_into_window`] into memory given by a raw pointer, for targets that may
  /// alias the mapping (a JavaScript view of it passed as the target): the copy is a `memmove`
  /// through raw pointers, and no reference to either side is ever made.
  ///
  /// # Safety
  /// `target` must be valid for writes of `len` bytes for the duration of the call, and written
  /// by nothing else meanwhile except through this mapping.
  pub unsafe fn read_into_raw(
    &self,
    window: Window,
    offset: u64,
    target: *mut u8,
    len: usize,
  ) -> Result<()> {
    let region = self.live()?;
    let range = window.range(
      region.len,
      offset,
      len as u64,
      ("offset", "target.byteLength"),
    )?;
    let src = region.ptr().wrapping_add(range.start);
    // SAFETY: `range` lies inside the live mapping (checked above), which the read guard keeps
    // mapped; `target` is valid for `len` bytes (the caller's contract) and may alias the mapping,
    // hence `copy` (memmove) through raw pointers. The closure owns nothing, as `guarded` requires.
    unsafe { guarded(|| std::ptr::copy(src, target, range.len())) }.map_err(|e| {
      let (base, at) = (region.ptr() as usize, target as usize);
      let target_end = at.saturating_add(range.len());
      if at < base + region.len && target_end > base {
        // A view of this very mapping as the target: the fault is this mapping's own, judged by
        // the furthest byte either side touched.
        let end = range.end.max((target_end - base).min(region.len));
        return self.access_fault(&region, &(range.start..end), e);
      }
      // SAFETY: `src` is `range.len()` bytes inside the live region (still held); `target` is
      // only compared, never dereferenced.
      if unsafe { target_faulted(src, range.len(), target) } {
        // The target is a view of another mapping whose file was truncated: its fault, not this
        // (healthy) file's. Which file that is, this mapping cannot know.
        MmapError::Truncated
      } else {
        self.access_fault(&region, &range, e)
      }
    })
  }

  /// A copy of `length` bytes at `offset`.
  pub fn read(&self, offset: u64, length: u64) -> Result<Vec<u8>> {
    let region = self.live()?;
    let range = checked_range(offset, length, region.len, "offset", "length")?;
    let mut out = vec![0u8; range.len()];
    let (src, dst) = (region.ptr().wrapping_add(range.start), out.as_mut_ptr());
    // SAFETY: as in `read_into`; `out` is owned outside the guarded closure.
    unsafe { guarded(|| std::ptr::copy_nonoverlapping(src, dst, range.len())) }
      .map_err(|e| self.access_fault(&region, &range, e))?;
    Ok(out)
  }

  /// Writes `data` at `offset`. Refused on readOnly mappings.
  pub fn write(&self, offset: u64, data: &[u8]) -> Result<()> {
    self.write_window(Window::WHOLE, offset, data)
  }

  /// [`MappedFile::write`] with `offset` relative to `window`, checked against it (and the window
  /// against the live mapping) under the same lock as the copy. The checks come in the order the
  /// binding's methods promise: closed (or faulted) first, always; then for the whole mapping
  /// read-only before out of range, for a part of it (a segment) out of range before read-only.
  pub fn write_window(&self, window: Window, offset: u64, data: &[u8]) -> Result<()> {
    // SAFETY: a `&[u8]` is valid for reads of its length for the call.
    unsafe { self.write_raw(window, offset, data.as_ptr(), data.len()) }
  }

  /// [`MappedFile::write_window`] from memory given by a raw pointer, for sources that may alias a
  /// mapping (a JavaScript view of this mapping or another passed as the data): no reference to
  /// either side is ever made, and a source inside a mapping is first copied to private memory.
  ///
  /// # Safety
  /// `data` must be valid for reads of `len` bytes for the duration of the call.
  pub unsafe fn write_raw(
    &self,
    window: Window,
    offset: u64,
    data: *const u8,
    len: usize,
  ) -> Result<()> {
    let writable = self.shared.mode.is_writable();
    let read_only = || MmapError::ReadOnly {
      operation: "updateRegion",
    };
    let region = self.live()?;
    if !writable && window.len.is_none() {
      return Err(read_only());
    }
    let range = window.range(
      region.len,
      offset,
      len as u64,
      ("offset", "data.byteLength"),
    )?;
    if !writable {
      return Err(read_only());
    }
    let dst = region.ptr().wrapping_add(range.start);
    if overlaps_a_mapping(data, len) {
      // The source lies in a mapping (this one or another): its file may have been truncated by
      // another process, and a copy that faults halfway would leave a partial write. Read it
      // into private memory first, under the guard: a fault there rejects the call with nothing
      // written; the second copy cannot fault on its source.
      // SAFETY: `data` is valid for `len` bytes (the caller's contract).
      let private = unsafe { read_privately(data, len) }?;
      // SAFETY: the range is inside the live, writable mapping (mode checked above); `private`
      // is our own buffer of exactly `range.len()` bytes. The closure owns nothing.
      unsafe { guarded(|| std::ptr::copy_nonoverlapping(private.as_ptr(), dst, range.len())) }
        .map_err(|e| self.access_fault(&region, &range, e))?;
    } else {
      // SAFETY: the range is inside the live, writable mapping (mode checked above); `data` is
      // valid for `len` bytes and lies in no mapping, so it cannot overlap `dst` nor fault. The
      // closure owns nothing.
      unsafe { guarded(|| std::ptr::copy_nonoverlapping(data, dst, range.len())) }
        .map_err(|e| self.access_fault(&region, &range, e))?;
    }
    let shared = &self.shared;
    let bytes = shared
      .pending_bytes
      .fetch_add(range.len() as u64, Ordering::Relaxed);
    match self.policy {
      FlushPolicy::Always => {
        // This write is durable when the call returns: it is no longer pending.
        self.sync(&region, range.clone())?;
        shared.forget(range.len() as u64, 1);
        Ok(())
      }
      FlushPolicy::EveryBytes(n) if bytes + range.len() as u64 >= n => self.sync_all(&region),
      // Writes are counted only where a policy reads the count (one atomic add less per write).
      FlushPolicy::EveryWrites(n)
        if shared.pending_writes.fetch_add(1, Ordering::Relaxed) + 1 >= n =>
      {
        self.sync_all(&region)
      }
      _ => Ok(()),
    }
  }

  /// The bounds of a view of `length` bytes at `offset`, for callers that hand the memory out
  /// (the binding's zero-copy Buffers). The pointer is valid until the next `close` or `resize`;
  /// the caller must stop using it before either.
  pub fn view(&self, offset: u64, length: u64) -> Result<RawView> {
    let region = self.live()?;
    let range = checked_range(offset, length, region.len, "offset", "length")?;
    // SAFETY: `range.start <= region.len`, so the pointer stays inside (or one past) the mapping.
    let ptr = unsafe { region.ptr().add(range.start) };
    Ok(RawView {
      ptr,
      len: range.len(),
    })
  }

  /// [`MappedFile::view`] plus the address range it lies in, for callers that hand the memory
  /// to code that may outlive `close`/`resize` (the binding's zero-copy Buffers): while the
  /// returned `Arc` is held, the pointer stays mapped (after `close`/`resize`, to private zero
  /// pages). `None` for an empty view of a zero-length mapping.
  pub fn held_view(&self, offset: u64, length: u64) -> Result<(RawView, Option<Arc<Reservation>>)> {
    let region = self.live()?;
    let range = checked_range(offset, length, region.len, "offset", "length")?;
    // SAFETY: `range.start <= region.len`, so the pointer stays inside (or one past) the mapping.
    let ptr = unsafe { region.ptr().add(range.start) };
    Ok((
      RawView {
        ptr,
        len: range.len(),
      },
      region.map.clone(),
    ))
  }

  /// Runs `f` with the base address and length of the live mapping, holding it mapped and guarded
  /// against truncation for the duration; for structures laid out in the file (the ring buffer).
  ///
  /// # Safety
  /// `f` must stay inside `base..base + len` and follow the [`guarded`] contract (own nothing
  /// with a destructor that matters while it touches the mapping).
  pub unsafe fn with_raw<T>(&self, f: impl FnOnce(*mut u8, usize) -> T) -> Result<T> {
    let region = self.live()?;
    let (base, len) = (region.ptr(), region.len);
    // SAFETY: the caller keeps `f` inside the live mapping and within the `guarded` contract.
    unsafe { guarded(|| f(base, len)) }
  }

  /// Runs `f` over `length` bytes at `offset` as a slice, holding the mapping for the duration
  /// (a `close` on another thread waits). For scans: the bytes may be changed concurrently by views
  /// or other processes, and `f` must not rely on them staying the same.
  pub fn with_bytes<T>(
    &self,
    offset: u64,
    length: u64,
    f: impl FnOnce(&[u8]) -> Result<T>,
  ) -> Result<T> {
    let region = self.live()?;
    let range = checked_range(offset, length, region.len, "offset", "length")?;
    // SAFETY: the range lies inside the live mapping, kept mapped by the read guard for the call.
    // This is the one place a reference into the mapping is made, for the length of one search:
    // other writers (views, other processes) may change the bytes meanwhile, which a `&[u8]` does
    // not allow in Rust's model (memmap2's `Mmap` deref makes the same compromise). The searches
    // (memchr, bytecount) only read the bytes, derive nothing unsafe from them and tolerate any
    // contents; their results are then a matter of timing, never of memory safety.
    let bytes = unsafe { std::slice::from_raw_parts(region.ptr().add(range.start), range.len()) };
    f(bytes)
  }

  /// Runs `op` on the address of `size` bytes at `offset`, which must be aligned to `size` in the
  /// file; for atomics. `write` operations are refused on readOnly mappings.
  pub(crate) fn with_aligned<T>(
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
    unsafe { guarded(|| op(ptr)) }
  }

  /// Durably writes the whole mapping back to the file: `msync(MS_SYNC)` on Unix,
  /// `FlushViewOfFile` + `FlushFileBuffers` on Windows, on every call. Nothing to do for readOnly,
  /// copyOnWrite and anonymous mappings, whose changes never reach a file.
  pub fn flush(&self) -> Result<()> {
    let region = self.live()?;
    let background = self
      .shared
      .background_error
      .lock()
      .unwrap_or_else(|p| p.into_inner())
      .take();
    if let Some(e) = background {
      return Err(self.io_error(e, "msync"));
    }
    self.sync_all(&region)
  }

  /// Durably writes `length` bytes at `offset` back to the file (aligned to pages internally).
  pub fn flush_range(&self, offset: u64, length: u64) -> Result<()> {
    let region = self.live()?;
    let range = checked_range(offset, length, region.len, "offset", "length")?;
    if range == (0..region.len) {
      return self.sync_all(&region);
    }
    self.sync(&region, range)
  }

  fn sync(&self, region: &Region, range: Range<usize>) -> Result<()> {
    self
      .shared
      .sync(region, range)
      .map_err(|e| self.io_error(e, "msync"))
  }

  fn sync_all(&self, region: &Region) -> Result<()> {
    self
      .shared
      .sync_all(region)
      .map_err(|e| self.io_error(e, "msync"))
  }

  /// Sets the file's length to `new_len` (preallocating disk blocks when it grows) and maps it
  /// again. Only for readWrite mappings of a whole file. Any raw view is invalid afterwards.
  pub fn resize(&self, new_len: u64) -> Result<()> {
    // Closed (or faulted) wins over the mode, as for every other call.
    drop(self.live()?);
    if self.shared.mode != Mode::ReadWrite || !self.whole_file {
      let what = if self.path.is_none() {
        "anonymous memory".to_owned()
      } else if self.shared.mode != Mode::ReadWrite {
        format!("a {} mapping", self.shared.mode.as_str())
      } else {
        "a window of a file (options offset/length)".to_owned()
      };
      return Err(MmapError::InvalidMode {
        message: format!("resize() needs a readWrite mapping of a whole file, not {what}"),
      });
    }
    to_usize(new_len, "newLength")?;
    let mut guard = self
      .shared
      .region
      .write()
      .unwrap_or_else(|poisoned| poisoned.into_inner());
    let region = guard.as_mut().ok_or(MmapError::Closed)?;
    if region.file.is_none() {
      return Err(MmapError::Closed);
    }
    if let Some(offset) = self.shared.view_fault(region) {
      return Err(self.fault_error(region, offset));
    }
    // Give up the old range first: the mapping must never extend past the end of the file. Views
    // made over it may still be held (by native code, or moved elsewhere): it is retired, not
    // unmapped, while they are.
    self.shared.remember_fault(region);
    region.release();
    let file = region.file.as_ref().ok_or(MmapError::Closed)?;
    let result = (|| {
      let old_len = file
        .metadata()
        .map_err(|e| self.io_error(e, "fstat"))?
        .len();
      if new_len > old_len {
        // A refused growth (a full disk) leaves the old length, not a partly grown file.
        grow_file(file, new_len).map_err(|e| {
          let _ = file.set_len(old_len);
          self.io_error(e, "ftruncate")
        })?;
      } else {
        file
          .set_len(new_len)
          .map_err(|e| self.io_error(e, "ftruncate"))?;
      }
      Ok(())
    })();
    // Map whatever length the file has now, so a failed resize leaves a usable mapping.
    let actual = file
      .metadata()
      .map_err(|e| self.io_error(e, "fstat"))?
      .len();
    let actual = to_usize(actual, "newLength")?;
    if actual > 0 {
      let map = MmapOptions::new()
        .len(actual)
        .map_raw(file)
        .map_err(|e| self.io_error(e, "mmap"))?;
      region.map = Some(Reservation::new(map, true));
    }
    region.len = actual;
    result
  }

  /// Gives up the mapping at once and closes the file. Idempotent. Waits for accesses running on
  /// other threads. The address range is unmapped now if nothing else holds it, else retired
  /// (private zero pages) until the last zero-copy view over it is gone.
  pub fn close(&self) {
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
      let _ = lock::unlock(file);
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

/// Whether a copy of `len` bytes from `src` (inside a live mapping) to `target` (outside it) that
/// faulted met the fault in the target: a target in another mapping (a view of a file truncated by
/// another process) while every page of the source can still be read. Runs on the error path only.
///
/// # Safety
/// `src..src + len` must lie inside a mapping the caller holds live.
unsafe fn target_faulted(src: *const u8, len: usize, target: *mut u8) -> bool {
  if len == 0 || !overlaps_a_mapping(target, len) {
    return false;
  }
  let page = os::page_size();
  // SAFETY: reads one byte per page of the source, all inside the live region (the caller's
  // contract), through raw pointers; the closure owns nothing.
  unsafe {
    guarded(|| {
      let mut offset = 0;
      while offset < len {
        std::ptr::read_volatile(src.add(offset));
        offset += page - (src as usize + offset) % page;
      }
      std::ptr::read_volatile(src.add(len - 1));
    })
  }
  .is_ok()
}

/// A private copy of `len` bytes at `data` (which lies at least partly in a mapping), made under
/// the fault guard: `ERR_MMAP_TRUNCATED` if reading it faults, an `ENOMEM`-like error if there is
/// no memory for the copy.
///
/// # Safety
/// `data` must be valid for reads of `len` bytes for the call.
unsafe fn read_privately(data: *const u8, len: usize) -> Result<Vec<u8>> {
  let mut private = Vec::new();
  private
    .try_reserve_exact(len)
    .map_err(|_| MmapError::io(std::io::ErrorKind::OutOfMemory.into(), "malloc", None))?;
  let tmp = private.as_mut_ptr();
  // SAFETY: `tmp` has room for `len` bytes (reserved above) and is fresh memory that overlaps
  // nothing; `data` is valid for `len` bytes (the caller's contract). The closure owns nothing
  // (the Vec is owned outside), as `guarded` requires.
  unsafe { guarded(|| std::ptr::copy_nonoverlapping(data, tmp, len)) }?;
  // SAFETY: the copy above initialised all `len` bytes.
  unsafe { private.set_len(len) };
  Ok(private)
}

pub(crate) fn to_usize(value: u64, name: &str) -> Result<usize> {
  usize::try_from(value)
    .ok()
    .filter(|&v| v <= isize::MAX as usize)
    .ok_or_else(|| MmapError::out_of_range(name, isize::MAX as u64, value))
}
