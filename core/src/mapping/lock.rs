//! [`MappedFile::lock`], [`MappedFile::try_lock`] and [`MappedFile::unlock`]: advisory locks on
//! the mapped file ([`crate::file_lock`]), taken through a second handle to it so that waiting for
//! a lock never holds the mapping's region lock.

use std::fs::File;
use std::sync::atomic::{AtomicBool, Ordering};

use super::MappedFile;
use crate::error::MmapError;
use crate::file_lock::{lock, lock_polling, try_lock, unlock, LockKind, WaitError};

/// Locks on a mapped file, through a second handle to it (so that waiting for a lock never holds
/// the mapping's region lock).
impl MappedFile {
  /// Takes an advisory lock on the whole file, waiting until it is granted (or until `abort` is
  /// set, if given).
  ///
  /// A cancellable wait also ends when the mapping is closed meanwhile (`ERR_MMAP_CLOSED`, from
  /// another thread), and a lock granted just as it closed is released at once: it is taken through
  /// a second handle to the file, which would otherwise hold it with no owner left to release it.
  ///
  /// ```
  /// use mmapkit_core::{LockKind, MappedFile, MmapError, OpenOptions};
  /// use std::sync::atomic::AtomicBool;
  /// # let dir = tempfile::tempdir().unwrap();
  /// # let path = dir.path().join("data.bin");
  /// # std::fs::write(&path, b"shared state").unwrap();
  /// let a = MappedFile::open(&path, &OpenOptions::default())?;
  /// let b = MappedFile::open(&path, &OpenOptions::default())?;
  /// a.lock(LockKind::Exclusive, None)?;
  /// // A cancellable wait ends as soon as its flag is set (here: before it starts).
  /// let abort = AtomicBool::new(true);
  /// assert!(matches!(b.lock(LockKind::Shared, Some(&abort)), Err(MmapError::Aborted)));
  /// a.unlock()?;
  /// b.lock(LockKind::Shared, None)?;
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
  pub fn lock(&self, kind: LockKind, abort: Option<&AtomicBool>) -> crate::Result<()> {
    let file = self.file_for("lock")?;
    let Some(abort) = abort else {
      return lock(&file, kind).map_err(|e| match e {
        WaitError::Aborted => MmapError::Aborted,
        WaitError::Io(e) => self.io_error(e, "flock"),
      });
    };
    let give_up = || {
      if abort.load(Ordering::SeqCst) {
        Some(MmapError::Aborted)
      } else {
        self.is_closed().then_some(MmapError::Closed)
      }
    };
    lock_polling(&file, kind, give_up, |e| self.io_error(e, "flock"))?;
    if self.is_closed() {
      let _ = unlock(&file);
      return Err(MmapError::Closed);
    }
    Ok(())
  }

  /// Takes the lock if it is free (`true`); `false` if another holder has it.
  ///
  /// ```
  /// use mmapkit_core::{LockKind, MappedFile, OpenOptions};
  /// # let dir = tempfile::tempdir().unwrap();
  /// # let path = dir.path().join("data.bin");
  /// # std::fs::write(&path, b"shared state").unwrap();
  /// let a = MappedFile::open(&path, &OpenOptions::default())?;
  /// let b = MappedFile::open(&path, &OpenOptions::default())?;
  /// assert!(a.try_lock(LockKind::Shared)?);
  /// assert!(b.try_lock(LockKind::Shared)?); // shared locks share
  /// assert!(!MappedFile::open(&path, &OpenOptions::default())?.try_lock(LockKind::Exclusive)?);
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
  pub fn try_lock(&self, kind: LockKind) -> crate::Result<bool> {
    let file = self.file_for("tryLock")?;
    try_lock(&file, kind).map_err(|e| self.io_error(e, "flock"))
  }

  /// Releases this mapping's lock (a no-op if it holds none).
  ///
  /// ```
  /// use mmapkit_core::{LockKind, MappedFile, OpenOptions};
  /// # let dir = tempfile::tempdir().unwrap();
  /// # let path = dir.path().join("data.bin");
  /// # std::fs::write(&path, b"shared state").unwrap();
  /// let a = MappedFile::open(&path, &OpenOptions::default())?;
  /// let b = MappedFile::open(&path, &OpenOptions::default())?;
  /// a.lock(LockKind::Exclusive, None)?;
  /// assert!(!b.try_lock(LockKind::Exclusive)?);
  /// a.unlock()?;
  /// a.unlock()?; // holding none is fine
  /// assert!(b.try_lock(LockKind::Exclusive)?);
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
  pub fn unlock(&self) -> crate::Result<()> {
    let file = self.file_for("unlock")?;
    unlock(&file).map_err(|e| self.io_error(e, "flock"))
  }

  /// A second handle to the mapped file (so a lock wait does not hold the region lock), or the
  /// error for anonymous memory or a closed mapping.
  fn file_for(&self, operation: &str) -> crate::Result<File> {
    let region = self.live()?;
    let file = region.file.as_ref().ok_or_else(|| MmapError::InvalidMode {
      message: format!("{operation}() needs a file; anonymous memory has none"),
    })?;
    file.try_clone().map_err(|e| self.io_error(e, "dup"))
  }
}
