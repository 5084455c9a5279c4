//! Durable writes: `flush`, `flush_range`, and the counting behind the flush policies (the
//! background flusher's tick included).

use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};

use super::{MappedFile, Region, Shared};
use crate::error::Result;
use crate::mode::Mode;
use crate::range::checked_range;

impl Shared {
  /// Syncs `range` of a live region to the file (readWrite file mappings only).
  pub(super) fn sync(&self, region: &Region, range: Range<usize>) -> std::io::Result<()> {
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
  pub(super) fn sync_all(&self, region: &Region) -> std::io::Result<()> {
    let bytes = self.pending_bytes.load(Ordering::Acquire);
    let writes = self.pending_writes.load(Ordering::Acquire);
    self.sync(region, 0..region.len)?;
    self.forget(bytes, writes);
    Ok(())
  }

  /// Subtracts synced writes from the pending counts (never below 0: a concurrent full sync may
  /// already have forgotten them).
  pub(super) fn forget(&self, bytes: u64, writes: u64) {
    let sub = |counter: &AtomicU64, n: u64| {
      let _ = counter.fetch_update(Ordering::AcqRel, Ordering::Acquire, |v| {
        Some(v.saturating_sub(n))
      });
    };
    sub(&self.pending_bytes, bytes);
    sub(&self.pending_writes, writes);
  }

  /// One tick of the background flusher: false once the mapping is closed.
  pub(super) fn background_flush(&self) -> bool {
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

impl MappedFile {
  /// Durably writes the whole mapping back to the file: `msync(MS_SYNC)` on Unix,
  /// `FlushViewOfFile` + `FlushFileBuffers` on Windows, on every call. Nothing to do for readOnly,
  /// copyOnWrite and anonymous mappings, whose changes never reach a file.
  ///
  /// ```
  /// use mmapkit_core::{MappedFile, Mode, OpenOptions};
  /// # let dir = tempfile::tempdir().unwrap();
  /// # let path = dir.path().join("data.bin");
  /// let options = OpenOptions {
  ///   mode: Some(Mode::ReadWrite),
  ///   create: true,
  ///   size: Some(4096),
  ///   ..OpenOptions::default()
  /// };
  /// let file = MappedFile::open(&path, &options)?;
  /// file.write(0, b"durable")?;
  /// file.flush()?; // on the disk when it returns
  /// assert_eq!(&std::fs::read(&path).unwrap()[..7], b"durable");
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
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
  ///
  /// ```
  /// use mmapkit_core::{MappedFile, Mode, OpenOptions};
  /// # let dir = tempfile::tempdir().unwrap();
  /// # let path = dir.path().join("data.bin");
  /// let options = OpenOptions {
  ///   mode: Some(Mode::ReadWrite),
  ///   create: true,
  ///   size: Some(1 << 20),
  ///   ..OpenOptions::default()
  /// };
  /// let file = MappedFile::open(&path, &options)?;
  /// file.write(500_000, b"record")?;
  /// file.flush_range(500_000, 6)?; // syncs only the page holding it
  /// assert!(file.flush_range(1 << 20, 1).is_err()); // ranges are checked
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
  pub fn flush_range(&self, offset: u64, length: u64) -> Result<()> {
    let region = self.live()?;
    let range = checked_range(offset, length, region.len, "offset", "length")?;
    if range == (0..region.len) {
      return self.sync_all(&region);
    }
    self.sync(&region, range)
  }

  pub(super) fn sync(&self, region: &Region, range: Range<usize>) -> Result<()> {
    self
      .shared
      .sync(region, range)
      .map_err(|e| self.io_error(e, "msync"))
  }

  pub(super) fn sync_all(&self, region: &Region) -> Result<()> {
    self
      .shared
      .sync_all(region)
      .map_err(|e| self.io_error(e, "msync"))
  }
}
