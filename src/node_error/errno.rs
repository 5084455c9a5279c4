//! OS error numbers to Node's error codes, errno values and messages.
//!
//! Node reports system errors with libuv's names and descriptions (`ENOENT`, "no such file or
//! directory") and a negative `errno`. On POSIX that errno is `-errno`; on Windows it is libuv's
//! own negative number, so Windows error codes are translated through the table below, as libuv does.

use std::borrow::Cow;
use std::io;

/// One known error: its Node code, libuv's description, and (Windows only) libuv's errno.
struct Known {
  code: &'static str,
  description: &'static str,
  #[cfg_attr(unix, allow(dead_code))]
  uv_windows_errno: i32,
}

const fn known(code: &'static str, description: &'static str, uv_windows_errno: i32) -> Known {
  Known {
    code,
    description,
    uv_windows_errno,
  }
}

const ENOENT: Known = known("ENOENT", "no such file or directory", -4058);
const EACCES: Known = known("EACCES", "permission denied", -4092);
const EPERM: Known = known("EPERM", "operation not permitted", -4048);
const EEXIST: Known = known("EEXIST", "file already exists", -4075);
const EISDIR: Known = known("EISDIR", "illegal operation on a directory", -4068);
const ENOTDIR: Known = known("ENOTDIR", "not a directory", -4052);
const EMFILE: Known = known("EMFILE", "too many open files", -4066);
const ENOSPC: Known = known("ENOSPC", "no space left on device", -4055);
const EINVAL: Known = known("EINVAL", "invalid argument", -4071);
const EAGAIN: Known = known("EAGAIN", "resource temporarily unavailable", -4088);
const EBUSY: Known = known("EBUSY", "resource busy or locked", -4082);
const ENOMEM: Known = known("ENOMEM", "not enough memory", -4057);
const EIO: Known = known("EIO", "i/o error", -4070);
const EBADF: Known = known("EBADF", "bad file descriptor", -4083);
const ENAMETOOLONG: Known = known("ENAMETOOLONG", "name too long", -4064);
const EFBIG: Known = known("EFBIG", "file too large", -4065);
const ENODEV: Known = known("ENODEV", "no such device", -4061);
const EROFS: Known = known("EROFS", "read-only file system", -4046);
const ELOOP: Known = known("ELOOP", "too many symbolic links encountered", -4067);
const ENOTSUP: Known = known("ENOTSUP", "operation not supported on socket", -4049);
const EOVERFLOW: Known = known("EOVERFLOW", "value too large for defined data type", -4026);
const ETXTBSY: Known = known("ETXTBSY", "text file is busy", -4034);
const EDQUOT: Known = known("EDQUOT", "disk quota exceeded", -4022);
const ENXIO: Known = known("ENXIO", "no such device or address", -4033);
const ENOSYS: Known = known("ENOSYS", "function not implemented", -4054);

#[cfg(unix)]
fn lookup_raw(raw: i32) -> Option<&'static Known> {
  Some(match raw {
    libc::ENOENT => &ENOENT,
    libc::EACCES => &EACCES,
    libc::EPERM => &EPERM,
    libc::EEXIST => &EEXIST,
    libc::EISDIR => &EISDIR,
    libc::ENOTDIR => &ENOTDIR,
    libc::EMFILE => &EMFILE,
    libc::ENOSPC => &ENOSPC,
    libc::EINVAL => &EINVAL,
    libc::EAGAIN => &EAGAIN,
    libc::EBUSY => &EBUSY,
    libc::ENOMEM => &ENOMEM,
    libc::EIO => &EIO,
    libc::EBADF => &EBADF,
    libc::ENAMETOOLONG => &ENAMETOOLONG,
    libc::EFBIG => &EFBIG,
    libc::ENODEV => &ENODEV,
    libc::EROFS => &EROFS,
    libc::ELOOP => &ELOOP,
    libc::ENOTSUP => &ENOTSUP,
    libc::EOVERFLOW => &EOVERFLOW,
    libc::ETXTBSY => &ETXTBSY,
    libc::EDQUOT => &EDQUOT,
    libc::ENXIO => &ENXIO,
    libc::ENOSYS => &ENOSYS,
    _ => return None,
  })
}

#[cfg(windows)]
fn lookup_raw(raw: i32) -> Option<&'static Known> {
  // Win32 error codes, translated as libuv's uv_translate_sys_error does.
  Some(match raw {
    2 | 3 | 15 | 123 | 161 => &ENOENT, // FILE_NOT_FOUND, PATH_NOT_FOUND, INVALID_DRIVE, INVALID_NAME, BAD_PATHNAME
    4 => &EMFILE,                      // TOO_MANY_OPEN_FILES
    5 => &EPERM,                       // ACCESS_DENIED (libuv reports EPERM)
    6 => &EBADF,                       // INVALID_HANDLE
    8 | 14 => &ENOMEM,                 // NOT_ENOUGH_MEMORY, OUTOFMEMORY
    32 | 33 => &EBUSY,                 // SHARING_VIOLATION, LOCK_VIOLATION
    39 | 112 => &ENOSPC,               // HANDLE_DISK_FULL, DISK_FULL
    80 | 183 => &EEXIST,               // FILE_EXISTS, ALREADY_EXISTS
    87 => &EINVAL,                     // INVALID_PARAMETER
    206 => &ENAMETOOLONG,              // FILENAME_EXCED_RANGE
    1224 => &EBUSY,                    // USER_MAPPED_FILE
    _ => return None,
  })
}

#[cfg(not(any(unix, windows)))]
fn lookup_raw(_raw: i32) -> Option<&'static Known> {
  None
}

fn lookup_kind(kind: io::ErrorKind) -> Option<&'static Known> {
  use io::ErrorKind::*;
  Some(match kind {
    NotFound => &ENOENT,
    IsADirectory => &EISDIR,
    NotADirectory => &ENOTDIR,
    StorageFull => &ENOSPC,
    PermissionDenied => &EACCES,
    AlreadyExists => &EEXIST,
    WouldBlock => &EAGAIN,
    InvalidInput => &EINVAL,
    OutOfMemory => &ENOMEM,
    Unsupported => &ENOTSUP,
    _ => return None,
  })
}

fn lookup(err: &io::Error) -> Option<&'static Known> {
  match err.raw_os_error() {
    Some(raw) => lookup_raw(raw),
    None => lookup_kind(err.kind()),
  }
}

/// Node's `code` for an OS error: `ENOENT`, `EACCES`, ... or `UNKNOWN`.
pub fn code_name(err: &io::Error) -> Cow<'static, str> {
  match lookup(err) {
    Some(known) => Cow::Borrowed(known.code),
    None => Cow::Borrowed("UNKNOWN"),
  }
}

/// libuv's description of an OS error, as Node puts it in messages; the OS's own text otherwise.
pub fn description(err: &io::Error) -> Cow<'static, str> {
  match lookup(err) {
    Some(known) => Cow::Borrowed(known.description),
    None => {
      let text = err.to_string();
      // Drop std's " (os error N)" suffix and lower-case the first letter, as libuv writes.
      let text = text.split(" (os error").next().unwrap_or(&text).to_owned();
      let mut chars = text.chars();
      match chars.next() {
        Some(first) => Cow::Owned(first.to_lowercase().chain(chars).collect()),
        None => Cow::Borrowed("unknown error"),
      }
    }
  }
}

/// Node's negative `errno` for an OS error.
pub fn errno(err: &io::Error) -> i32 {
  #[cfg(unix)]
  {
    if let Some(raw) = err.raw_os_error() {
      return -raw;
    }
    lookup(err).map_or(-4094, |known| -unix_number(known.code))
  }
  #[cfg(not(unix))]
  {
    lookup(err).map_or(-4094, |known| known.uv_windows_errno)
  }
}

#[cfg(unix)]
fn unix_number(code: &str) -> i32 {
  match code {
    "ENOENT" => libc::ENOENT,
    "EACCES" => libc::EACCES,
    "EEXIST" => libc::EEXIST,
    "EAGAIN" => libc::EAGAIN,
    "EINVAL" => libc::EINVAL,
    "ENOMEM" => libc::ENOMEM,
    "ENOTSUP" => libc::ENOTSUP,
    _ => 4094,
  }
}

#[cfg(all(test, unix))]
mod tests {
  use super::*;

  #[test]
  fn raw_errors_map_to_node_codes() {
    let err = io::Error::from_raw_os_error(libc::EISDIR);
    assert_eq!(code_name(&err), "EISDIR");
    assert_eq!(description(&err), "illegal operation on a directory");
    assert_eq!(errno(&err), -libc::EISDIR);
  }

  #[test]
  fn unknown_errors_keep_the_os_text() {
    let err = io::Error::from_raw_os_error(libc::ECHILD);
    assert_eq!(code_name(&err), "UNKNOWN");
    assert_eq!(description(&err), "no child processes");
    assert_eq!(errno(&err), -libc::ECHILD);
  }
}
