//! Advisory whole-file locks between processes (fs2: `flock` on Unix, `LockFileEx` on Windows).
//!
//! fs2 is called through `fs2::FileExt::...` explicitly: since Rust 1.89, `std::fs::File` has
//! inherent methods of the same names (`lock`, `try_lock_shared`, `unlock`, ...) that would shadow
//! the trait's and behave differently.

use std::fs::File;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::error::MmapError;
use crate::mapping::MappedFile;

/// A shared (many holders) or exclusive (one holder) lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockKind {
  /// Any number of processes may hold it at once; excludes `Exclusive`.
  Shared,
  /// One process at a time.
  Exclusive,
}

impl LockKind {
  /// Parses the contract's name (`'shared'`, `'exclusive'`).
  pub fn parse(name: &str) -> Option<Self> {
    match name {
      "shared" => Some(LockKind::Shared),
      "exclusive" => Some(LockKind::Exclusive),
      _ => None,
    }
  }

  /// The contract's name.
  pub fn as_str(self) -> &'static str {
    match self {
      LockKind::Shared => "shared",
      LockKind::Exclusive => "exclusive",
    }
  }
}

/// Waits until the lock is granted.
pub fn lock(file: &File, kind: LockKind) -> Result<(), WaitError> {
  match kind {
    LockKind::Shared => fs2::FileExt::lock_shared(file),
    LockKind::Exclusive => fs2::FileExt::lock_exclusive(file),
  }
  .map_err(WaitError::Io)
}

/// Takes the lock if it is free: `Ok(true)`; `Ok(false)` if another holder has it.
pub fn try_lock(file: &File, kind: LockKind) -> io::Result<bool> {
  let result = match kind {
    LockKind::Shared => fs2::FileExt::try_lock_shared(file),
    LockKind::Exclusive => fs2::FileExt::try_lock_exclusive(file),
  };
  match result {
    Ok(()) => Ok(true),
    Err(e) if is_contended(&e) => Ok(false),
    Err(e) => Err(e),
  }
}

/// Why a cancellable lock wait ended without the lock.
#[derive(Debug)]
pub enum WaitError {
  /// The abort flag was set.
  Aborted,
  /// The OS refused.
  Io(io::Error),
}

/// Waits for the lock by polling (1 ms, doubling to 16 ms) so that setting `abort` ends the wait
/// promptly; a blocking `flock` cannot be interrupted.
pub fn lock_cancellable(file: &File, kind: LockKind, abort: &AtomicBool) -> Result<(), WaitError> {
  lock_polling(
    file,
    kind,
    || abort.load(Ordering::SeqCst).then_some(WaitError::Aborted),
    WaitError::Io,
  )
}

/// The polling wait: before each try, `give_up()` may end it with its reason.
fn lock_polling<E>(
  file: &File,
  kind: LockKind,
  give_up: impl Fn() -> Option<E>,
  io_error: impl Fn(io::Error) -> E,
) -> Result<(), E> {
  let mut pause = Duration::from_millis(1);
  loop {
    if let Some(reason) = give_up() {
      return Err(reason);
    }
    if try_lock(file, kind).map_err(&io_error)? {
      return Ok(());
    }
    std::thread::sleep(pause);
    pause = (pause * 2).min(Duration::from_millis(16));
  }
}

/// Releases the lock (a no-op if none is held).
pub fn unlock(file: &File) -> io::Result<()> {
  fs2::FileExt::unlock(file)
}

/// Whether a try-lock error means "someone else holds it": `EWOULDBLOCK` on Unix;
/// `ERROR_LOCK_VIOLATION` (33) or `ERROR_SHARING_VIOLATION` (32) on Windows, where the error is
/// not reported as `WouldBlock`.
fn is_contended(e: &io::Error) -> bool {
  if e.kind() == io::ErrorKind::WouldBlock {
    return true;
  }
  let contended = fs2::lock_contended_error();
  if e.raw_os_error().is_some() && e.raw_os_error() == contended.raw_os_error() {
    return true;
  }
  cfg!(windows) && matches!(e.raw_os_error(), Some(32) | Some(33))
}

/// Locks on a mapped file, through a second handle to it (so that waiting for a lock never holds
/// the mapping's region lock).
impl MappedFile {
  /// Takes an advisory lock on the whole file, waiting until it is granted (or until `abort` is
  /// set, if given).
  ///
  /// A cancellable wait also ends when the mapping is closed meanwhile (`ERR_MMAP_CLOSED`, from
  /// another thread), and a lock granted just as it closed is released at once: it is taken through
  /// a second handle to the file, which would otherwise hold it with no owner left to release it.
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
  pub fn try_lock(&self, kind: LockKind) -> crate::Result<bool> {
    let file = self.file_for("tryLock")?;
    try_lock(&file, kind).map_err(|e| self.io_error(e, "flock"))
  }

  /// Releases this mapping's lock (a no-op if it holds none).
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

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn exclusive_excludes_and_shared_shares() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lock");
    std::fs::write(&path, b"x").unwrap();
    let a = File::open(&path).unwrap();
    let b = File::open(&path).unwrap();
    lock(&a, LockKind::Exclusive).unwrap();
    assert!(!try_lock(&b, LockKind::Shared).unwrap());
    assert!(!try_lock(&b, LockKind::Exclusive).unwrap());
    unlock(&a).unwrap();
    assert!(try_lock(&a, LockKind::Shared).unwrap());
    assert!(try_lock(&b, LockKind::Shared).unwrap());
    assert!(!try_lock(&File::open(&path).unwrap(), LockKind::Exclusive).unwrap());
  }
}
