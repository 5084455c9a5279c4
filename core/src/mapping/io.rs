//! Bounds-checked copies in and out of a mapping, and the views and raw accesses handed to callers
//! that lay structures out in it (the binding's zero-copy Buffers, the ring buffer, the scans).

use std::ops::Range;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::MappedFile;
use crate::error::{MmapError, Result};
use crate::flush_policy::FlushPolicy;
use crate::guard::guarded;
use crate::live_maps::overlaps_a_mapping;
use crate::os;
use crate::range::checked_range;
use crate::reservation::Reservation;

/// A raw view into a live mapping: `len` bytes at `ptr`.
///
/// ```
/// use mmapkit_core::{MappedFile, RawView};
/// let memory = MappedFile::anonymous(4096)?;
/// let view: RawView = memory.view(16, 4)?;
/// assert_eq!(view.len, 4);
/// // SAFETY: the byte is inside the live mapping, which nothing closes or resizes meanwhile.
/// unsafe { view.ptr.write(42) };
/// assert_eq!(memory.read(16, 1)?, [42]);
/// # Ok::<(), mmapkit_core::MmapError>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct RawView {
  /// The first byte of the view.
  pub ptr: *mut u8,
  /// Its length in bytes.
  pub len: usize,
}

/// The part of a mapping that [`MappedFile::read_into_window`] and [`MappedFile::write_window`]
/// address: offsets are relative to it and checked against it.
///
/// ```
/// use mmapkit_core::{mapping::Window, MappedFile};
/// let memory = MappedFile::anonymous(4096)?;
/// memory.write(100, b"abcdef")?;
/// // 4 bytes at 102: offsets are relative to the window and checked against it.
/// let window = Window { base: 102, len: Some(4) };
/// let mut out = [0u8; 2];
/// memory.read_into_window(window, 1, &mut out)?;
/// assert_eq!(&out, b"de");
/// assert!(memory.read_into_window(window, 3, &mut out).is_err()); // 3 + 2 > 4
/// # Ok::<(), mmapkit_core::MmapError>(())
/// ```
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
  ///
  /// ```
  /// use mmapkit_core::{mapping::Window, MappedFile};
  /// let memory = MappedFile::anonymous(16)?;
  /// memory.write_window(Window::WHOLE, 8, b"end")?;
  /// assert_eq!(memory.read(8, 3)?, b"end");
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
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

impl MappedFile {
  /// Copies `target.len()` bytes starting at `offset` into `target`.
  ///
  /// ```
  /// use mmapkit_core::{MappedFile, MmapError};
  /// let memory = MappedFile::anonymous(4096)?;
  /// memory.write(10, b"mmap")?;
  /// let mut target = [0u8; 4]; // reused between calls: no allocation
  /// memory.read_into(10, &mut target)?;
  /// assert_eq!(&target, b"mmap");
  /// assert!(matches!(memory.read_into(4094, &mut target), Err(MmapError::OutOfRange { .. })));
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
  pub fn read_into(&self, offset: u64, target: &mut [u8]) -> Result<()> {
    self.read_into_window(Window::WHOLE, offset, target)
  }

  /// [`MappedFile::read_into`] with `offset` relative to `window`, checked against it (and the
  /// window against the live mapping) under the same lock as the copy.
  ///
  /// ```
  /// use mmapkit_core::{mapping::Window, MappedFile};
  /// let memory = MappedFile::anonymous(64)?;
  /// memory.write(32, b"segment")?;
  /// let segment = Window { base: 32, len: Some(16) };
  /// let mut target = [0u8; 7];
  /// memory.read_into_window(segment, 0, &mut target)?;
  /// assert_eq!(&target, b"segment");
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
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
  ///
  /// ```
  /// use mmapkit_core::{mapping::Window, MappedFile};
  /// let memory = MappedFile::anonymous(64)?;
  /// memory.write(0, b"abcd")?;
  /// // The target may be the mapping itself: the copy is a memmove.
  /// let view = memory.view(0, 64)?;
  /// // SAFETY: `view.ptr + 2` is valid for 4 bytes of the live mapping, written by nothing else.
  /// unsafe { memory.read_into_raw(Window::WHOLE, 0, view.ptr.add(2), 4)? };
  /// assert_eq!(memory.read(0, 6)?, b"ababcd");
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
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
  ///
  /// ```
  /// use mmapkit_core::{MappedFile, MmapError};
  /// let memory = MappedFile::anonymous(16)?;
  /// memory.write(0, b"hello")?;
  /// assert_eq!(memory.read(0, 5)?, b"hello");
  /// assert!(matches!(memory.read(10, 10), Err(MmapError::OutOfRange { .. })));
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
  pub fn read(&self, offset: u64, length: u64) -> Result<Vec<u8>> {
    let region = self.live()?;
    let range = checked_range(offset, length, region.len, "offset", "length")?;
    let mut out = vec![0u8; range.len()];
    let (src, dst) = (region.ptr().wrapping_add(range.start), out.as_mut_ptr());
    // SAFETY: as in `read_into`; `out` is owned outside the guarded closure.
    unsafe {
      self.guarded_access(&region, &range, || {
        std::ptr::copy_nonoverlapping(src, dst, range.len())
      })
    }?;
    Ok(out)
  }

  /// Writes `data` at `offset`. Refused on readOnly mappings.
  ///
  /// ```
  /// use mmapkit_core::{MappedFile, MmapError};
  /// let memory = MappedFile::anonymous(16)?;
  /// memory.write(4, b"data")?;
  /// assert_eq!(memory.read(4, 4)?, b"data");
  /// // Nothing is written when the range does not fit.
  /// assert!(matches!(memory.write(14, b"data"), Err(MmapError::OutOfRange { .. })));
  /// assert_eq!(memory.read(14, 2)?, [0, 0]);
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
  pub fn write(&self, offset: u64, data: &[u8]) -> Result<()> {
    self.write_window(Window::WHOLE, offset, data)
  }

  /// [`MappedFile::write`] with `offset` relative to `window`, checked against it (and the window
  /// against the live mapping) under the same lock as the copy. The checks come in the order the
  /// binding's methods promise: closed (or faulted) first, always; then for the whole mapping
  /// read-only before out of range, for a part of it (a segment) out of range before read-only.
  ///
  /// ```
  /// use mmapkit_core::{mapping::Window, MappedFile};
  /// let memory = MappedFile::anonymous(64)?;
  /// let segment = Window { base: 16, len: Some(8) };
  /// memory.write_window(segment, 2, b"ab")?;
  /// assert_eq!(memory.read(18, 2)?, b"ab");
  /// assert!(memory.write_window(segment, 7, b"ab").is_err()); // past the segment's end
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
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
  ///
  /// ```
  /// use mmapkit_core::{mapping::Window, MappedFile};
  /// let memory = MappedFile::anonymous(64)?;
  /// memory.write(0, b"abcd")?;
  /// // The source may lie in a mapping, this one included: it is copied privately first.
  /// let view = memory.view(0, 4)?;
  /// // SAFETY: `view.ptr` is valid for reads of 4 bytes: the mapping stays open for the call.
  /// unsafe { memory.write_raw(Window::WHOLE, 8, view.ptr, view.len)? };
  /// assert_eq!(memory.read(8, 4)?, b"abcd");
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
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
      unsafe {
        self.guarded_access(&region, &range, || {
          std::ptr::copy_nonoverlapping(private.as_ptr(), dst, range.len())
        })
      }?;
    } else {
      // SAFETY: the range is inside the live, writable mapping (mode checked above); `data` is
      // valid for `len` bytes and lies in no mapping, so it cannot overlap `dst` nor fault. The
      // closure owns nothing.
      unsafe {
        self.guarded_access(&region, &range, || {
          std::ptr::copy_nonoverlapping(data, dst, range.len())
        })
      }?;
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
  ///
  /// ```
  /// use mmapkit_core::MappedFile;
  /// let memory = MappedFile::anonymous(4096)?;
  /// memory.write(0, b"zero-copy")?;
  /// let view = memory.view(5, 4)?;
  /// assert_eq!(view.len, 4);
  /// // SAFETY: the view lies inside the live mapping, read before any close or resize.
  /// assert_eq!(unsafe { view.ptr.read() }, b'c');
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
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
  ///
  /// ```
  /// use mmapkit_core::MappedFile;
  /// let memory = MappedFile::anonymous(4096)?;
  /// memory.write(0, b"kept")?;
  /// let (view, held) = memory.held_view(0, 4)?;
  /// memory.close();
  /// // While `held` lives the range stays mapped: after close it reads zeros on Unix (the old bytes
  /// // on Windows), and never faults.
  /// // SAFETY: `held` keeps the 4 bytes at `view.ptr` mapped.
  /// let first = unsafe { view.ptr.read() };
  /// assert!(first == 0 || first == b'k');
  /// drop(held); // now it is unmapped
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
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
  ///
  /// ```
  /// use mmapkit_core::MappedFile;
  /// let memory = MappedFile::anonymous(4096)?;
  /// // SAFETY: the closure stays inside `base..base + len` and owns nothing.
  /// let len = unsafe {
  ///   memory.with_raw(|base, len| {
  ///     base.add(len - 1).write(7);
  ///     len
  ///   })
  /// }?;
  /// assert_eq!(len, 4096);
  /// assert_eq!(memory.read(4095, 1)?, [7]);
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
  pub unsafe fn with_raw<T>(&self, f: impl FnOnce(*mut u8, usize) -> T) -> Result<T> {
    let region = self.live()?;
    let (base, len) = (region.ptr(), region.len);
    // SAFETY: the caller keeps `f` inside the live mapping and within the `guarded` contract.
    unsafe { self.guarded_access(&region, &(0..len), || f(base, len)) }
  }

  /// Runs `f` over `length` bytes at `offset` as a slice, holding the mapping for the duration
  /// (a `close` on another thread waits). For scans: the bytes may be changed concurrently by views
  /// or other processes, and `f` must not rely on them staying the same.
  ///
  /// ```
  /// use mmapkit_core::MappedFile;
  /// let memory = MappedFile::anonymous(4096)?;
  /// memory.write(0, b"a\nb\nc")?;
  /// let lines = memory.with_bytes(0, 5, |bytes| Ok(bytes.iter().filter(|&&b| b == b'\n').count()))?;
  /// assert_eq!(lines, 2);
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
  pub fn with_bytes<T>(
    &self,
    offset: u64,
    length: u64,
    f: impl FnOnce(&[u8]) -> Result<T>,
  ) -> Result<T> {
    self.bytes_of(offset, length, false, f)
  }

  /// The body of [`MappedFile::with_bytes`] and [`MappedFile::with_bytes_fixed`] (`fixed`: a
  /// range not covered is [`MmapError::Closed`]), checked under the same lock as the call.
  fn bytes_of<T>(
    &self,
    offset: u64,
    length: u64,
    fixed: bool,
    f: impl FnOnce(&[u8]) -> Result<T>,
  ) -> Result<T> {
    let region = self.live()?;
    let covered = offset
      .checked_add(length)
      .is_some_and(|end| end <= region.len as u64);
    if fixed && !covered {
      return Err(MmapError::Closed);
    }
    let range = checked_range(offset, length, region.len, "offset", "length")?;
    // SAFETY: the range lies inside the live mapping, kept mapped by the read guard for the call.
    // This is the one place a reference into the mapping is made, for the length of one search:
    // other writers (views, other processes) may change the bytes meanwhile, which a `&[u8]` does
    // not allow in Rust's model (memmap2's `Mmap` deref makes the same compromise). The searches
    // (memchr, bytecount) only read the bytes, derive nothing unsafe from them and tolerate any
    // contents; their results are then a matter of timing, never of memory safety.
    let bytes = unsafe { std::slice::from_raw_parts(region.ptr().add(range.start), range.len()) };
    // The searches run their accesses under the fault guard; a fault is classified here.
    f(bytes).map_err(|e| self.access_fault(&region, &range, e))
  }

  /// [`MappedFile::with_bytes`] over a range fixed earlier (an iterator's or an async scan's
  /// window, checked when it was made): a mapping that no longer covers it was resized (or
  /// closed) under the caller, which is [`MmapError::Closed`], not a range error about offsets the
  /// user never passed.
  ///
  /// ```
  /// use mmapkit_core::{MappedFile, MmapError};
  /// let memory = MappedFile::anonymous(4096)?;
  /// assert_eq!(memory.with_bytes_fixed(0, 4096, |bytes| Ok(bytes.len()))?, 4096);
  /// let past = memory.with_bytes_fixed(4000, 200, |bytes| Ok(bytes.len()));
  /// assert!(matches!(past, Err(MmapError::Closed)));
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
  pub fn with_bytes_fixed<T>(
    &self,
    offset: u64,
    length: u64,
    f: impl FnOnce(&[u8]) -> Result<T>,
  ) -> Result<T> {
    self.bytes_of(offset, length, true, f)
  }

  /// Whether the live mapping covers `length` bytes at `offset`; the error of a closed (or
  /// faulted) mapping.
  ///
  /// ```
  /// use mmapkit_core::MappedFile;
  /// let memory = MappedFile::anonymous(4096)?;
  /// assert!(memory.covers(4000, 96)?);
  /// assert!(!memory.covers(4000, 97)?);
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
  pub fn covers(&self, offset: u64, length: u64) -> Result<bool> {
    let len = self.len()? as u64;
    Ok(offset.checked_add(length).is_some_and(|end| end <= len))
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
  // A fault here is in the source, not in the mapping written to: it is a truncation of that
  // source, and its address (recorded for classification) is dropped.
  unsafe { guarded(|| std::ptr::copy_nonoverlapping(data, tmp, len)) }.inspect_err(|_| {
    crate::guard::take_fault_address();
  })?;
  // SAFETY: the copy above initialised all `len` bytes.
  unsafe { private.set_len(len) };
  Ok(private)
}
