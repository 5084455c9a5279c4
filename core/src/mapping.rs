//! [`MappedFile`]: one mapping of a file (or of anonymous memory) with bounds-checked access,
//! durable flushes, resizing and an explicit close.
//!
//! Lifetime model: the mapping lives behind a `RwLock<Option<Region>>`. Every access takes the read
//! lock for its duration, so an access on another thread (an async flush) can never see the memory
//! disappear; `close` and `resize` take the write lock and therefore wait for those accesses. Raw
//! pointers handed out by [`MappedFile::view`] are valid until the next `close` or `resize`: the
//! caller (the JS binding) detaches its views before calling either.

use std::fs::{File, OpenOptions as FsOpenOptions};
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};
use std::time::Duration;

use memmap2::{MmapOptions, MmapRaw};

use crate::error::{MmapError, Result};
use crate::flush_policy::{FlushPolicy, Flusher};
use crate::guard::guarded;
use crate::lock;
use crate::mode::Mode;
use crate::options::OpenOptions;
use crate::os;
use crate::range::checked_range;

/// The live part of a mapping: what `close` drops.
pub(crate) struct Region {
  /// `None` for a zero-length mapping (nothing to map).
  pub(crate) map: Option<MmapRaw>,
  pub(crate) len: usize,
  /// `None` for anonymous memory. Kept open for resize, flush and (later) locks.
  pub(crate) file: Option<File>,
}

impl Region {
  pub(crate) fn ptr(&self) -> *mut u8 {
    match &self.map {
      Some(map) => map.as_mut_ptr(),
      None => std::ptr::NonNull::dangling().as_ptr(),
    }
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
}

impl Shared {
  /// Syncs `range` of a live region to the file (readWrite file mappings only) and, for a whole
  /// flush, resets the counters.
  fn sync(&self, region: &Region, range: Range<usize>) -> std::io::Result<()> {
    if self.mode == Mode::ReadWrite {
      if let (Some(map), Some(_)) = (&region.map, &region.file) {
        if !range.is_empty() {
          map.flush_range(range.start, range.len())?;
        }
      }
    }
    if range.start == 0 && range.end == region.len {
      self.pending_bytes.store(0, Ordering::Relaxed);
      self.pending_writes.store(0, Ordering::Relaxed);
    }
    Ok(())
  }

  /// One tick of the background flusher: false once the mapping is closed.
  fn background_flush(&self) -> bool {
    let guard = self.region.read().unwrap_or_else(|p| p.into_inner());
    let Some(region) = guard.as_ref() else {
      return false;
    };
    if self.pending_bytes.load(Ordering::Relaxed) > 0 {
      if let Err(e) = self.sync(region, 0..region.len) {
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
  /// Opens (and, if asked, creates, truncates or grows) the file at `path` and maps it.
  pub fn open(path: &str, options: &OpenOptions) -> Result<Self> {
    Self::open_cancellable(path, options, None)
  }

  /// [`MappedFile::open`] whose wait for `options.lock` ends with [`MmapError::Aborted`] as soon
  /// as `abort` is set (the lock is then polled instead of waited for).
  pub fn open_cancellable(
    path: &str,
    options: &OpenOptions,
    abort: Option<&AtomicBool>,
  ) -> Result<Self> {
    let mode = options.mode();
    if (options.create
      || options.size.is_some()
      || options.truncate
      || options.default_size.is_some())
      && mode != Mode::ReadWrite
    {
      return Err(MmapError::InvalidArgValue {
        message: format!(
          "The options 'create' and 'size' need mode 'readWrite'. Received mode '{}'",
          mode.as_str()
        ),
      });
    }
    let io_err = |e, syscall| MmapError::io(e, syscall, Some(path));

    let (file, created) = open_file(path, mode, options).map_err(|e| io_err(e, "open"))?;
    let metadata = file.metadata().map_err(|e| io_err(e, "fstat"))?;
    if metadata.is_dir() {
      return Err(io_err(is_a_directory(), "open"));
    }

    if let Some(kind) = options.lock {
      // Before growing or mapping: the lock protects what we are about to look at.
      match abort {
        None => lock::lock(&file, kind),
        Some(abort) => lock::lock_cancellable(&file, kind, abort),
      }
      .map_err(|e| match e {
        lock::WaitError::Aborted => MmapError::Aborted,
        lock::WaitError::Io(e) => io_err(e, "flock"),
      })?;
    }

    let mut file_len = metadata.len();
    if options.truncate {
      // Reserve the new size first, so that a full disk fails here with the old contents intact.
      if let Some(size) = options.size.filter(|&size| size > file_len) {
        grow_file(&file, size).map_err(|e| io_err(e, "ftruncate"))?;
      }
      file.set_len(0).map_err(|e| io_err(e, "ftruncate"))?;
      file_len = 0;
    }
    let grow_to = match options.default_size {
      Some(default_size) if created => Some(default_size),
      _ => options.size,
    };
    if let Some(size) = grow_to {
      if size > file_len {
        grow_file(&file, size).map_err(|e| io_err(e, "ftruncate"))?;
        file_len = size;
      }
    }

    let offset = options.offset.unwrap_or(0);
    if offset > file_len {
      return Err(MmapError::out_of_range("options.offset", file_len, offset));
    }
    let available = file_len - offset;
    let length = options.length.unwrap_or(available);
    if length > available {
      return Err(MmapError::out_of_range("options.length", available, length));
    }
    let len = to_usize(length, "options.length")?;
    let whole_file = offset == 0 && options.length.is_none();

    let map = if len == 0 {
      None
    } else {
      let mut builder = MmapOptions::new();
      builder.offset(offset).len(len);
      if options.populate {
        builder.populate();
      }
      let map = match mode {
        Mode::ReadWrite => builder.map_raw(&file),
        // readOnly is private and writable so that a JS write into a view cannot fault: it lands
        // in a private copy of the page and never reaches the file. MAP_NORESERVE: a private
        // writable mapping is otherwise charged in full against the commit limit, so a file larger
        // than RAM + swap (100 GiB here) failed with ENOMEM; pages are charged when written instead.
        // SAFETY: map_copy is unsafe because the file may change under a `&[u8]`. mmapkit never
        // creates references into the mapping, only raw pointers for bounded copies.
        Mode::ReadOnly | Mode::CopyOnWrite => {
          unsafe { builder.no_reserve_swap().map_copy(&file) }.map(MmapRaw::from)
        }
      }
      .map_err(|e| io_err(e, "mmap"))?;
      Some(map)
    };

    let mapped = MappedFile::from_region(
      Region {
        map,
        len,
        file: Some(file),
      },
      Some(path.to_owned()),
      mode,
      offset,
      whole_file,
      options.flush_policy,
    );
    mapped.apply_open_hints(options)?;
    Ok(mapped)
  }

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
      Some(MmapRaw::from(map))
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

  fn from_region(
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

  fn apply_open_hints(&self, options: &OpenOptions) -> Result<()> {
    let region = self.live()?;
    if let Some(map) = &region.map {
      if options.huge_pages {
        os::huge_pages_hint(map);
      }
      if let Some(advice) = options.advice {
        os::advise(map, advice, 0, region.len).map_err(|e| self.io_error(e, "madvise"))?;
      }
    }
    Ok(())
  }

  /// The read guard over the live region, or `ERR_MMAP_CLOSED`.
  pub(crate) fn live(&self) -> Result<LiveRegion<'_>> {
    let guard = self
      .shared
      .region
      .read()
      .unwrap_or_else(|poisoned| poisoned.into_inner());
    if guard.is_none() {
      return Err(MmapError::Closed);
    }
    Ok(LiveRegion(guard))
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

  /// Bytes mapped, or `ERR_MMAP_CLOSED`.
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
    let region = self.live()?;
    let range = window.range(
      region.len,
      offset,
      target.len() as u64,
      ("offset", "target.byteLength"),
    )?;
    let (src, dst) = (region.ptr().wrapping_add(range.start), target.as_mut_ptr());
    // SAFETY: `range` lies inside the live mapping (checked above), which the read guard keeps
    // mapped; `target` may alias the mapping (a view passed as target), hence `copy` (memmove).
    // The closure owns nothing, as `guarded` requires.
    unsafe { guarded(|| std::ptr::copy(src, dst, range.len())) }
  }

  /// A copy of `length` bytes at `offset`.
  pub fn read(&self, offset: u64, length: u64) -> Result<Vec<u8>> {
    let region = self.live()?;
    let range = checked_range(offset, length, region.len, "offset", "length")?;
    let mut out = vec![0u8; range.len()];
    let (src, dst) = (region.ptr().wrapping_add(range.start), out.as_mut_ptr());
    // SAFETY: as in `read_into`; `out` is owned outside the guarded closure.
    unsafe { guarded(|| std::ptr::copy_nonoverlapping(src, dst, range.len())) }?;
    Ok(out)
  }

  /// Writes `data` at `offset`. Refused on readOnly mappings.
  pub fn write(&self, offset: u64, data: &[u8]) -> Result<()> {
    self.write_window(Window::WHOLE, offset, data)
  }

  /// [`MappedFile::write`] with `offset` relative to `window`, checked against it (and the window
  /// against the live mapping) under the same lock as the copy. The checks come in the order the
  /// binding's methods promise: for the whole mapping, read-only before closed before out of
  /// range; for a part of it (a segment), closed and out of range before read-only.
  pub fn write_window(&self, window: Window, offset: u64, data: &[u8]) -> Result<()> {
    let writable = self.shared.mode.is_writable();
    let read_only = || MmapError::ReadOnly {
      operation: "updateRegion",
    };
    if !writable && window.len.is_none() {
      return Err(read_only());
    }
    let region = self.live()?;
    let range = window.range(
      region.len,
      offset,
      data.len() as u64,
      ("offset", "data.byteLength"),
    )?;
    if !writable {
      return Err(read_only());
    }
    let (src, dst) = (data.as_ptr(), region.ptr().wrapping_add(range.start));
    // SAFETY: the range is inside the live, writable mapping (mode checked above); `data` may be a
    // view of the mapping itself, hence `copy` (memmove). The closure owns nothing.
    unsafe { guarded(|| std::ptr::copy(src, dst, range.len())) }?;
    let shared = &self.shared;
    let bytes = shared
      .pending_bytes
      .fetch_add(range.len() as u64, Ordering::Relaxed);
    match self.policy {
      FlushPolicy::Always => self.sync(&region, range),
      FlushPolicy::EveryBytes(n) if bytes + range.len() as u64 >= n => {
        self.sync(&region, 0..region.len)
      }
      // Writes are counted only where a policy reads the count (one atomic add less per write).
      FlushPolicy::EveryWrites(n)
        if shared.pending_writes.fetch_add(1, Ordering::Relaxed) + 1 >= n =>
      {
        self.sync(&region, 0..region.len)
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
    // Other writers (views, other processes) may change the bytes meanwhile; scans only read them
    // and tolerate any contents, so no Rust invariant depends on them.
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
    if write && !self.shared.mode.is_writable() {
      return Err(MmapError::ReadOnly { operation });
    }
    let region = self.live()?;
    let range = checked_range(offset, size, region.len, "offset", "length")?;
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
    self.sync(&region, 0..region.len)
  }

  /// Durably writes `length` bytes at `offset` back to the file (aligned to pages internally).
  pub fn flush_range(&self, offset: u64, length: u64) -> Result<()> {
    let region = self.live()?;
    let range = checked_range(offset, length, region.len, "offset", "length")?;
    self.sync(&region, range)
  }

  fn sync(&self, region: &Region, range: Range<usize>) -> Result<()> {
    self
      .shared
      .sync(region, range)
      .map_err(|e| self.io_error(e, "msync"))
  }

  /// Sets the file's length to `new_len` (preallocating disk blocks when it grows) and maps it
  /// again. Only for readWrite mappings of a whole file. Any raw view is invalid afterwards.
  pub fn resize(&self, new_len: u64) -> Result<()> {
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
    let file = region.file.as_ref().ok_or(MmapError::Closed)?;
    // Unmap first: the mapping must never extend past the end of the file.
    region.map = None;
    region.len = 0;
    let result = (|| {
      if new_len
        > file
          .metadata()
          .map_err(|e| self.io_error(e, "fstat"))?
          .len()
      {
        grow_file(file, new_len).map_err(|e| self.io_error(e, "ftruncate"))?;
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
      region.map = Some(map);
    }
    region.len = actual;
    result
  }

  /// Unmaps at once and closes the file. Idempotent. Waits for accesses running on other threads.
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

/// Opens the file as `options` ask; also tells whether this call created it.
fn open_file(path: &str, mode: Mode, options: &OpenOptions) -> std::io::Result<(File, bool)> {
  let mut fs_options = FsOpenOptions::new();
  fs_options.read(true).write(mode == Mode::ReadWrite);
  if options.create && options.default_size.is_some() {
    // Only a file this call creates gets the default size: try an exclusive create first.
    match fs_options.clone().create_new(true).open(path) {
      Ok(file) => return Ok((file, true)),
      Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
        return Ok((fs_options.open(path)?, false))
      }
      Err(e) => return Err(e),
    }
  }
  // `truncate` is done by the caller, after checking that the new size fits on the disk.
  let file = fs_options
    .create(options.create)
    .truncate(false)
    .open(path)?;
  Ok((file, false))
}

/// Grows `file` to `len` bytes and reserves its disk blocks, so that a full disk is an `ENOSPC`
/// error here rather than a `SIGBUS` on a later write through the mapping.
fn grow_file(file: &File, len: u64) -> std::io::Result<()> {
  match os::allocate(file, len) {
    Ok(()) => {}
    // File systems without preallocation (some network and FUSE ones): a sparse extension.
    Err(e) if is_unsupported(&e) => file.set_len(len)?,
    Err(e) => return Err(e),
  }
  // Preallocation may reserve blocks without moving the end of the file on some platforms.
  if file.metadata()?.len() < len {
    file.set_len(len)?;
  }
  Ok(())
}

fn is_unsupported(e: &std::io::Error) -> bool {
  #[cfg(unix)]
  {
    matches!(
      e.raw_os_error(),
      Some(libc::EOPNOTSUPP) | Some(libc::ENOSYS) | Some(libc::EINVAL)
    ) || e.kind() == std::io::ErrorKind::Unsupported
  }
  #[cfg(not(unix))]
  {
    e.kind() == std::io::ErrorKind::Unsupported
  }
}

fn is_a_directory() -> std::io::Error {
  #[cfg(unix)]
  {
    std::io::Error::from_raw_os_error(libc::EISDIR)
  }
  #[cfg(not(unix))]
  {
    std::io::Error::new(
      std::io::ErrorKind::IsADirectory,
      "illegal operation on a directory",
    )
  }
}

fn to_usize(value: u64, name: &str) -> Result<usize> {
  usize::try_from(value)
    .ok()
    .filter(|&v| v <= isize::MAX as usize)
    .ok_or_else(|| MmapError::out_of_range(name, isize::MAX as u64, value))
}
