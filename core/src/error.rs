//! The one error type of the core. Every variant maps to exactly one row of the public error table
//! (`shared/docs/api.md`); the binding turns each into the matching Node-style JS error.

use std::fmt;
use std::io;

/// Everything that can go wrong in mmapkit, classified the way Node classifies errors.
#[derive(Debug)]
pub enum MmapError {
  /// A number that is negative, fractional, too large, or a range past the end.
  /// Node: `RangeError` with code `ERR_OUT_OF_RANGE`.
  OutOfRange {
    /// The argument's name as the user knows it (`"offset"`, `"length"`, `"options.size"`).
    name: String,
    /// The accepted range in Node's words, e.g. `>= 0 && <= 4096`.
    range: String,
    /// The value received, formatted as Node formats it.
    received: String,
  },
  /// A value of the right type but not an accepted one (an unknown mode, an unsupported option).
  /// Node: `TypeError` with code `ERR_INVALID_ARG_VALUE`.
  InvalidArgValue {
    /// The whole message, in Node's words.
    message: String,
  },
  /// An OS call failed. Node: a system error with `code`, `errno`, `syscall` and `path`.
  Io {
    /// What the OS said.
    source: io::Error,
    /// The failing call, as Node names it (`open`, `mmap`, `msync`, ...).
    syscall: &'static str,
    /// The file concerned, if any.
    path: Option<String>,
  },
  /// Any use of a mapping after `close()`. Code `ERR_MMAP_CLOSED`.
  Closed,
  /// A write to a readOnly mapping. Code `ERR_MMAP_READ_ONLY`.
  ReadOnly {
    /// The refused operation (`updateRegion`, ...).
    operation: &'static str,
  },
  /// An operation the mode or shape of the mapping does not allow. Code `ERR_MMAP_INVALID_MODE`.
  InvalidMode {
    /// What was refused and why.
    message: String,
  },
  /// An async operation was cancelled through its `AbortSignal`. Code `ABORT_ERR`.
  Aborted,
  /// The file was truncated by someone else under the mapping, met during a native access.
  /// Code `ERR_MMAP_TRUNCATED`.
  Truncated,
  /// A file that is not what the call expects (a damaged or foreign ring buffer).
  /// Code `ERR_MMAP_CORRUPT`.
  Corrupt {
    /// What is wrong, and where.
    message: String,
  },
  /// A path that is not a regular file (a FIFO, a socket, a device, a `/proc` or `/sys` file): it
  /// has no bytes that a mapping could show. Code `ERR_MMAP_NOT_REGULAR_FILE`.
  NotRegularFile {
    /// The path as given.
    path: String,
    /// What the file is instead, in words (`a FIFO (named pipe)`, `a character device`, ...).
    kind: String,
  },
  /// An atomic operation at an offset that is not a multiple of its size.
  /// Node: `RangeError` with code `ERR_MMAP_MISALIGNED`.
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
  pub fn io(source: io::Error, syscall: &'static str, path: Option<&str>) -> Self {
    MmapError::Io {
      source,
      syscall,
      path: path.map(str::to_owned),
    }
  }

  /// `ERR_OUT_OF_RANGE` for `name`, which must lie in `0..=max`.
  pub fn out_of_range(name: &str, max: u64, received: u64) -> Self {
    MmapError::OutOfRange {
      name: name.to_owned(),
      range: format!(">= 0 && <= {max}"),
      received: format_received_integer(received as f64),
    }
  }

  /// The Node error code of this error (`ERR_OUT_OF_RANGE`, `ENOENT`, `ERR_MMAP_CLOSED`, ...).
  pub fn code(&self) -> String {
    match self {
      MmapError::OutOfRange { .. } => "ERR_OUT_OF_RANGE".into(),
      MmapError::InvalidArgValue { .. } => "ERR_INVALID_ARG_VALUE".into(),
      MmapError::Io { source, .. } => crate::errno::code_name(source).into_owned(),
      MmapError::Closed => "ERR_MMAP_CLOSED".into(),
      MmapError::ReadOnly { .. } => "ERR_MMAP_READ_ONLY".into(),
      MmapError::InvalidMode { .. } => "ERR_MMAP_INVALID_MODE".into(),
      MmapError::Aborted => "ABORT_ERR".into(),
      MmapError::Truncated => "ERR_MMAP_TRUNCATED".into(),
      MmapError::Corrupt { .. } => "ERR_MMAP_CORRUPT".into(),
      MmapError::Misaligned { .. } => "ERR_MMAP_MISALIGNED".into(),
      MmapError::NotRegularFile { .. } => "ERR_MMAP_NOT_REGULAR_FILE".into(),
    }
  }
}

impl fmt::Display for MmapError {
  /// The message, in the exact form Node uses for the same kind of error.
  fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    match self {
      MmapError::OutOfRange {
        name,
        range,
        received,
      } => write!(
        f,
        "The value of \"{name}\" is out of range. It must be {range}. Received {received}"
      ),
      MmapError::InvalidArgValue { message } => f.write_str(message),
      MmapError::Io {
        source,
        syscall,
        path,
      } => {
        let code = crate::errno::code_name(source);
        let description = crate::errno::description(source);
        match path {
          Some(path) => write!(f, "{code}: {description}, {syscall} '{path}'"),
          None => write!(f, "{code}: {description}, {syscall}"),
        }
      }
      MmapError::Closed => f.write_str("The memory-mapped file is closed"),
      MmapError::ReadOnly { operation } => write!(
        f,
        "Cannot {operation}: the mapping is readOnly (open it with mode 'readWrite' or 'copyOnWrite')"
      ),
      MmapError::InvalidMode { message } => f.write_str(message),
      MmapError::Aborted => f.write_str("The operation was aborted"),
      MmapError::Truncated => f.write_str(
        "The mapped file was truncated by another process: the pages accessed no longer exist",
      ),
      MmapError::Corrupt { message } => f.write_str(message),
      MmapError::NotRegularFile { path, kind } => write!(
        f,
        "'{path}' is not a regular file but {kind}: mmapkit maps regular files only (read it with \
         fs.readFile or a stream)"
      ),
      MmapError::Misaligned { offset, alignment } => write!(
        f,
        "The value of \"offset\" must be a multiple of {alignment} for this atomic operation. Received {offset}"
      ),
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

/// Formats a number the way Node's `ERR_OUT_OF_RANGE` messages do: integers beyond 2**32 in
/// magnitude get `_` separators (`4_294_967_296`), everything else prints as JS would print it.
pub fn format_received_integer(value: f64) -> String {
  if value.is_nan() {
    return "NaN".into();
  }
  if value.is_infinite() {
    return if value > 0.0 { "Infinity" } else { "-Infinity" }.into();
  }
  if value.fract() != 0.0 {
    return format!("{value}");
  }
  if value == 0.0 {
    return "0".into();
  }
  let digits = format!("{:.0}", value.abs());
  let body = if value.abs() > 4_294_967_296.0 {
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
      if i > 0 && (digits.len() - i) % 3 == 0 {
        grouped.push('_');
      }
      grouped.push(ch);
    }
    grouped
  } else {
    digits
  };
  if value < 0.0 {
    format!("-{body}")
  } else {
    body
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn received_values_are_formatted_like_node() {
    assert_eq!(format_received_integer(-1.0), "-1");
    assert_eq!(format_received_integer(1.5), "1.5");
    assert_eq!(format_received_integer(f64::NAN), "NaN");
    assert_eq!(format_received_integer(f64::NEG_INFINITY), "-Infinity");
    assert_eq!(format_received_integer(4_294_967_296.0), "4294967296");
    assert_eq!(
      format_received_integer(9_007_199_254_740_992.0),
      "9_007_199_254_740_992"
    );
    assert_eq!(format_received_integer(-5_000_000_000.0), "-5_000_000_000");
  }

  #[test]
  fn out_of_range_message_matches_node() {
    let err = MmapError::out_of_range("offset", 4096, 5000);
    assert_eq!(err.code(), "ERR_OUT_OF_RANGE");
    assert_eq!(
      err.to_string(),
      "The value of \"offset\" is out of range. It must be >= 0 && <= 4096. Received 5000"
    );
  }

  #[test]
  fn io_errors_read_like_node_system_errors() {
    let err = MmapError::io(
      io::Error::from(io::ErrorKind::NotFound),
      "open",
      Some("/nope"),
    );
    assert_eq!(err.code(), "ENOENT");
    assert_eq!(
      err.to_string(),
      "ENOENT: no such file or directory, open '/nope'"
    );
  }
}
