//! Growing a file with its disk blocks reserved, so that a full disk is an `ENOSPC` error when
//! the file grows rather than a `SIGBUS` on a later write through a mapping of it.

use std::fs::File;
use std::io;

use crate::os;

/// Grows `file` to `len` bytes and reserves its disk blocks, so that a full disk is an `ENOSPC`
/// error here rather than a `SIGBUS` on a later write through the mapping.
pub(crate) fn grow_file(file: &File, len: u64) -> io::Result<()> {
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

fn is_unsupported(e: &io::Error) -> bool {
  #[cfg(unix)]
  {
    matches!(
      e.raw_os_error(),
      Some(libc::EOPNOTSUPP) | Some(libc::ENOSYS) | Some(libc::EINVAL)
    ) || e.kind() == io::ErrorKind::Unsupported
  }
  #[cfg(not(unix))]
  {
    e.kind() == io::ErrorKind::Unsupported
  }
}
