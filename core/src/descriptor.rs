//! Files the caller opened: `MemoryMappedFile.open(fd)` and `open(fileHandle)` in JS. The
//! descriptor is duplicated, so that the mapping owns (and closes) its own copy and the caller
//! keeps ownership of theirs: closing either one does not affect the other.

use std::fs::File;

use crate::error::{MmapError, Result};

/// A duplicate of the open file descriptor `fd` (close-on-exec), and a name for it in errors and
/// in `path`: the file's path where the OS tells it (`/proc/self/fd` on Linux), else `/dev/fd/N`.
///
/// ```
/// # #[cfg(unix)]
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::os::unix::io::AsRawFd;
/// let original = std::fs::File::open("Cargo.toml")?;
/// let (copy, name) = mmapkit_core::descriptor::duplicate(original.as_raw_fd())?;
/// drop(original);
/// assert!(copy.metadata()?.len() > 0);
/// assert!(name.ends_with("Cargo.toml"));
/// assert!(matches!(mmapkit_core::descriptor::duplicate(-1), Err(mmapkit_core::MmapError::Io { .. })));
/// # Ok(()) }
/// # #[cfg(not(unix))]
/// # fn main() {}
/// ```
pub fn duplicate(fd: i32) -> Result<(File, String)> {
  platform::duplicate(fd)
}

#[cfg(unix)]
mod platform {
  use super::*;
  use std::os::unix::io::FromRawFd;

  pub fn duplicate(fd: i32) -> Result<(File, String)> {
    // SAFETY: F_DUPFD_CLOEXEC only reads the descriptor table; on a number that is not an open
    // descriptor it fails with EBADF and touches nothing.
    let copy = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0) };
    if copy < 0 {
      return Err(MmapError::io(std::io::Error::last_os_error(), "dup", None));
    }
    // SAFETY: `copy` is a fresh descriptor that nothing else owns.
    let file = unsafe { File::from_raw_fd(copy) };
    let name = std::fs::read_link(format!("/proc/self/fd/{copy}"))
      .map(|path| path.to_string_lossy().into_owned())
      .unwrap_or_else(|_| format!("/dev/fd/{fd}"));
    Ok((file, name))
  }
}

#[cfg(not(unix))]
mod platform {
  use super::*;

  pub fn duplicate(_fd: i32) -> Result<(File, String)> {
    Err(MmapError::InvalidArgValue {
      message: "Mapping a file descriptor is supported on Unix only; pass a path".into(),
    })
  }
}
