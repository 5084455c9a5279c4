//! [`MappedFile::resize`]: a new file length, mapped again.

use std::sync::atomic::Ordering;

use memmap2::MmapOptions;

use super::MappedFile;
use crate::error::{MmapError, Result};
use crate::mode::Mode;
use crate::preallocate::grow_file;
use crate::range::to_usize;
use crate::reservation::Reservation;

impl MappedFile {
  /// Sets the file's length to `new_len` (preallocating disk blocks when it grows) and maps it
  /// again. Only for readWrite mappings of a whole file. Any raw view is invalid afterwards.
  ///
  /// ```
  /// use mmapkit_core::{MappedFile, MmapError, Mode, OpenOptions};
  /// # let dir = tempfile::tempdir().unwrap();
  /// # let path = dir.path().join("data.bin");
  /// let options = OpenOptions {
  ///   mode: Some(Mode::ReadWrite),
  ///   create: true,
  ///   size: Some(4096),
  ///   ..OpenOptions::default()
  /// };
  /// let file = MappedFile::open(&path, &options)?;
  /// file.write(0, b"kept")?;
  /// file.resize(8192)?;
  /// assert_eq!(file.len()?, 8192);
  /// assert_eq!(std::fs::metadata(&path).unwrap().len(), 8192);
  /// assert_eq!(file.read(0, 4)?, b"kept");
  /// // Only a readWrite mapping of a whole file can be resized.
  /// assert!(matches!(MappedFile::anonymous(16)?.resize(32), Err(MmapError::InvalidMode { .. })));
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
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
    // Before the write lock: long readers holding the read lock see it and give up.
    self.unmaps.fetch_add(1, Ordering::SeqCst);
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
}
