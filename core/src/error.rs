//! The one error type of the core, in Rust's vocabulary: what went wrong, with the values
//! involved. The binding (`src/node_error`) turns each variant into the matching Node-style JS
//! error (its code, class and message form); nothing here knows about Node.

use std::fmt;
use std::io;

/// Everything that can go wrong in mmapkit.
///
/// ```
/// use mmapkit_core::{MappedFile, MmapError};
/// let memory = MappedFile::anonymous(16)?;
/// match memory.read(8, 16) {
///   Err(MmapError::OutOfRange { name, max, received }) => {
///     assert_eq!((name.as_str(), max, received), ("length", 8, 16));
///   }
///   other => panic!("expected OutOfRange, got {other:?}"),
/// }
/// # Ok::<(), mmapkit_core::MmapError>(())
/// ```
#[derive(Debug)]
pub enum MmapError {
  /// A position or length that does not fit: `name` was `received`, at most `max` is allowed.
  OutOfRange {
    /// The argument's name as the caller knows it (`"offset"`, `"length"`, `"options.size"`).
    name: String,
    /// The largest accepted value.
    max: u64,
    /// The value received.
    received: u64,
  },
  /// Arguments that are each well-formed but not accepted together or in this situation
  /// (`create` without mode readWrite).
  InvalidArgValue {
    /// What is wrong, as a sentence.
    message: String,
  },
  /// An OS call failed.
  Io {
    /// What the OS said.
    source: io::Error,
    /// The failing system call (`open`, `mmap`, `msync`, ...).
    syscall: &'static str,
    /// The file concerned, if any.
    path: Option<String>,
  },
  /// Any use of a mapping after `close()`.
  Closed,
  /// A write to a readOnly mapping.
  ReadOnly {
    /// The refused operation (`updateRegion`, ...).
    operation: &'static str,
  },
  /// An operation the mode or shape of the mapping does not allow (`resize` of a window).
  InvalidMode {
    /// What was refused and why.
    message: String,
  },
  /// An operation cancelled by its caller.
  Aborted,
  /// The file was truncated by someone else under the mapping, met during an access.
  Truncated,
  /// A file that is not what the call expects (a damaged or foreign ring buffer).
  Corrupt {
    /// What is wrong, and where.
    message: String,
  },
  /// A path that is not a regular file (a FIFO, a socket, a device, a `/proc` or `/sys` file): it
  /// has no bytes that a mapping could show.
  NotRegularFile {
    /// The path as given.
    path: String,
    /// What the file is instead, in words (`a FIFO (named pipe)`, `a character device`, ...).
    kind: String,
  },
  /// A `find_all` that would return more offsets than it may hold (`max`): `found` matches, with
  /// `limit` (if any) above `max`.
  TooManyMatches {
    /// Matches in the scanned range (counted without collecting them).
    found: u64,
    /// The most offsets one call returns.
    max: u64,
    /// The caller's limit, if it gave one.
    limit: Option<u64>,
  },
  /// An atomic operation at an offset that is not a multiple of its size.
  Misaligned {
    /// The offset received.
    offset: u64,
    /// The required alignment in bytes (4 or 8).
    alignment: u64,
  },
}

/// The result type of every fallible core operation.
pub type Result<T> = std::result::Result<T, MmapError>;

impl MmapError {
  /// An OS error from `syscall`, optionally about `path`.
  ///
  /// ```
  /// use mmapkit_core::MmapError;
  /// let error = MmapError::io(std::io::ErrorKind::NotFound.into(), "open", Some("/missing"));
  /// assert!(matches!(error, MmapError::Io { syscall: "open", path: Some(ref p), .. } if p == "/missing"));
  /// ```
  pub fn io(source: io::Error, syscall: &'static str, path: Option<&str>) -> Self {
    MmapError::Io {
      source,
      syscall,
      path: path.map(str::to_owned),
    }
  }

  /// [`MmapError::OutOfRange`]: `name` was `received`, at most `max` is allowed.
  ///
  /// ```
  /// use mmapkit_core::MmapError;
  /// let error = MmapError::out_of_range("offset", 10, 12);
  /// assert!(matches!(error, MmapError::OutOfRange { max: 10, received: 12, .. }));
  /// ```
  pub fn out_of_range(name: &str, max: u64, received: u64) -> Self {
    MmapError::OutOfRange {
      name: name.to_owned(),
      max,
      received,
    }
  }
}

impl fmt::Display for MmapError {
  fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    match self {
      MmapError::OutOfRange {
        name,
        max,
        received,
      } => write!(f, "{name} is out of range: {received} > {max}"),
      MmapError::InvalidArgValue { message } => f.write_str(message),
      MmapError::Io {
        source,
        syscall,
        path: Some(path),
      } => write!(f, "{syscall} {path:?}: {source}"),
      MmapError::Io {
        source, syscall, ..
      } => write!(f, "{syscall}: {source}"),
      MmapError::Closed => f.write_str("the mapping is closed"),
      MmapError::ReadOnly { operation } => write!(f, "{operation} on a read-only mapping"),
      MmapError::InvalidMode { message } => f.write_str(message),
      MmapError::Aborted => f.write_str("the operation was aborted"),
      MmapError::Truncated => f.write_str("the mapped file was truncated under the mapping"),
      MmapError::Corrupt { message } => f.write_str(message),
      MmapError::NotRegularFile { path, kind } => {
        write!(f, "{path:?} is not a regular file but {kind}")
      }
      MmapError::TooManyMatches { found, max, .. } => {
        write!(f, "{found} matches, more than the {max} one call returns")
      }
      MmapError::Misaligned { offset, alignment } => {
        write!(f, "offset {offset} is not a multiple of {alignment}")
      }
    }
  }
}

impl std::error::Error for MmapError {
  fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
    match self {
      MmapError::Io { source, .. } => Some(source),
      _ => None,
    }
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn messages_name_the_values() {
    let err = MmapError::out_of_range("offset", 4096, 5000);
    assert_eq!(err.to_string(), "offset is out of range: 5000 > 4096");
    let err = MmapError::io(
      io::Error::from(io::ErrorKind::NotFound),
      "open",
      Some("/nope"),
    );
    assert!(err.to_string().starts_with("open \"/nope\": "));
    assert!(std::error::Error::source(&err).is_some());
  }
}
