//! Advisory whole-file locks between processes on an open `File` (fs2: `flock` on Unix, `LockFileEx` on Windows).
//!
//! fs2 is called through `fs2::FileExt::...` explicitly: since Rust 1.89, `std::fs::File` has
//! inherent methods of the same names (`lock`, `try_lock_shared`, `unlock`, ...) that would shadow
//! the trait's and behave differently.

use std::fs::File;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// A shared (many holders) or exclusive (one holder) lock.
///
/// ```
/// use mmapkit_core::LockKind;
/// assert_eq!(LockKind::parse("exclusive"), Some(LockKind::Exclusive));
/// assert_eq!(LockKind::Shared.as_str(), "shared");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockKind {
  /// Any number of processes may hold it at once; excludes `Exclusive`.
  Shared,
  /// One process at a time.
  Exclusive,
}

impl LockKind {
  /// Parses the contract's name (`'shared'`, `'exclusive'`).
  ///
  /// ```
  /// use mmapkit_core::LockKind;
  /// assert_eq!(LockKind::parse("shared"), Some(LockKind::Shared));
  /// assert_eq!(LockKind::parse("read"), None);
  /// ```
  pub fn parse(name: &str) -> Option<Self> {
    match name {
      "shared" => Some(LockKind::Shared),
      "exclusive" => Some(LockKind::Exclusive),
      _ => None,
    }
  }

  /// The contract's name.
  ///
  /// ```
  /// use mmapkit_core::LockKind;
  /// assert_eq!(LockKind::Exclusive.as_str(), "exclusive");
  /// ```
  pub fn as_str(self) -> &'static str {
    match self {
      LockKind::Shared => "shared",
      LockKind::Exclusive => "exclusive",
    }
  }
}

/// Waits until the lock is granted.
///
/// ```
/// use mmapkit_core::{file_lock, LockKind};
/// # let dir = tempfile::tempdir().unwrap();
/// # let path = dir.path().join("lock");
/// # std::fs::write(&path, b"x").unwrap();
/// let a = std::fs::File::open(&path).unwrap();
/// let b = std::fs::File::open(&path).unwrap();
/// file_lock::lock(&a, LockKind::Exclusive).unwrap();
/// assert!(!file_lock::try_lock(&b, LockKind::Shared).unwrap());
/// file_lock::unlock(&a).unwrap();
/// file_lock::lock(&b, LockKind::Shared).unwrap();
/// ```
pub fn lock(file: &File, kind: LockKind) -> Result<(), WaitError> {
  match kind {
    LockKind::Shared => fs2::FileExt::lock_shared(file),
    LockKind::Exclusive => fs2::FileExt::lock_exclusive(file),
  }
  .map_err(WaitError::Io)
}

/// Takes the lock if it is free: `Ok(true)`; `Ok(false)` if another holder has it.
///
/// ```
/// use mmapkit_core::{file_lock, LockKind};
/// # let dir = tempfile::tempdir().unwrap();
/// # let path = dir.path().join("lock");
/// # std::fs::write(&path, b"x").unwrap();
/// let a = std::fs::File::open(&path).unwrap();
/// let b = std::fs::File::open(&path).unwrap();
/// assert!(file_lock::try_lock(&a, LockKind::Shared).unwrap());
/// assert!(file_lock::try_lock(&b, LockKind::Shared).unwrap());
/// assert!(!file_lock::try_lock(&std::fs::File::open(&path).unwrap(), LockKind::Exclusive).unwrap());
/// ```
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
///
/// ```
/// use mmapkit_core::file_lock::{lock_cancellable, WaitError};
/// use mmapkit_core::LockKind;
/// use std::sync::atomic::AtomicBool;
/// # let dir = tempfile::tempdir().unwrap();
/// # let path = dir.path().join("lock");
/// # std::fs::write(&path, b"x").unwrap();
/// let file = std::fs::File::open(&path).unwrap();
/// match lock_cancellable(&file, LockKind::Shared, &AtomicBool::new(false)) {
///   Ok(()) => {}
///   Err(WaitError::Aborted) => println!("given up"),
///   Err(WaitError::Io(e)) => println!("refused: {e}"),
/// }
/// ```
#[derive(Debug)]
pub enum WaitError {
  /// The abort flag was set.
  Aborted,
  /// The OS refused.
  Io(io::Error),
}

/// Waits for the lock by polling (1 ms, doubling to 16 ms) so that setting `abort` ends the wait
/// promptly; a blocking `flock` cannot be interrupted.
///
/// ```
/// use mmapkit_core::file_lock::{self, WaitError};
/// use mmapkit_core::LockKind;
/// use std::sync::atomic::{AtomicBool, Ordering};
/// # let dir = tempfile::tempdir().unwrap();
/// # let path = dir.path().join("lock");
/// # std::fs::write(&path, b"x").unwrap();
/// let holder = std::fs::File::open(&path).unwrap();
/// let waiter = std::fs::File::open(&path).unwrap();
/// file_lock::lock(&holder, LockKind::Exclusive).unwrap();
/// let abort = AtomicBool::new(false);
/// std::thread::scope(|scope| {
///   let waiting = scope.spawn(|| file_lock::lock_cancellable(&waiter, LockKind::Shared, &abort));
///   std::thread::sleep(std::time::Duration::from_millis(20));
///   abort.store(true, Ordering::SeqCst); // ends the wait within 16 ms
///   assert!(matches!(waiting.join().unwrap(), Err(WaitError::Aborted)));
/// });
/// ```
pub fn lock_cancellable(file: &File, kind: LockKind, abort: &AtomicBool) -> Result<(), WaitError> {
  lock_polling(
    file,
    kind,
    || abort.load(Ordering::SeqCst).then_some(WaitError::Aborted),
    WaitError::Io,
  )
}

/// The polling wait: before each try, `give_up()` may end it with its reason.
pub(crate) fn lock_polling<E>(
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
///
/// ```
/// use mmapkit_core::{file_lock, LockKind};
/// # let dir = tempfile::tempdir().unwrap();
/// # let path = dir.path().join("lock");
/// # std::fs::write(&path, b"x").unwrap();
/// let a = std::fs::File::open(&path).unwrap();
/// file_lock::lock(&a, LockKind::Exclusive).unwrap();
/// file_lock::unlock(&a).unwrap();
/// file_lock::unlock(&a).unwrap(); // holding none is fine
/// assert!(file_lock::try_lock(&std::fs::File::open(&path).unwrap(), LockKind::Exclusive).unwrap());
/// ```
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
