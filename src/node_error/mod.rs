//! Core errors and argument errors as Node-style JS errors: the code (`ERR_OUT_OF_RANGE`,
//! `ENOENT`, `ERR_MMAP_CLOSED`, ...), the class, Node's message form, and for OS errors `errno`,
//! `syscall` and `path`. The one place where Node's error vocabulary lives.

pub mod errno;

use std::borrow::Cow;

use mmapkit_core::MmapError;
use napi::bindgen_prelude::*;

use crate::js::{ErrorClass, Js, Value};

/// The Node error code of a core error.
pub fn code(err: &MmapError) -> Cow<'static, str> {
  match err {
    MmapError::OutOfRange { .. } => "ERR_OUT_OF_RANGE".into(),
    MmapError::InvalidArgValue { .. } => "ERR_INVALID_ARG_VALUE".into(),
    MmapError::Io { source, .. } => errno::code_name(source),
    MmapError::Closed => "ERR_MMAP_CLOSED".into(),
    MmapError::ReadOnly { .. } => "ERR_MMAP_READ_ONLY".into(),
    MmapError::InvalidMode { .. } => "ERR_MMAP_INVALID_MODE".into(),
    MmapError::Aborted => "ABORT_ERR".into(),
    MmapError::Truncated => "ERR_MMAP_TRUNCATED".into(),
    MmapError::Corrupt { .. } => "ERR_MMAP_CORRUPT".into(),
    MmapError::Misaligned { .. } => "ERR_MMAP_MISALIGNED".into(),
    MmapError::NotRegularFile { .. } => "ERR_MMAP_NOT_REGULAR_FILE".into(),
    MmapError::TooManyMatches { .. } => "ERR_OUT_OF_RANGE".into(),
  }
}

/// The message of a core error, in the form Node uses for the same kind of error.
pub fn message(err: &MmapError) -> String {
  match err {
    MmapError::OutOfRange {
      name,
      max,
      received,
    } => out_of_range_message(
      name,
      &format!(">= 0 && <= {max}"),
      &format_received_integer(*received as f64),
    ),
    MmapError::Io {
      source,
      syscall,
      path,
    } => {
      let code = errno::code_name(source);
      let description = errno::description(source);
      match path {
        Some(path) => format!("{code}: {description}, {syscall} '{path}'"),
        None => format!("{code}: {description}, {syscall}"),
      }
    }
    MmapError::Closed => "The memory-mapped file is closed".into(),
    MmapError::ReadOnly { operation } => format!(
      "Cannot {operation}: the mapping is readOnly (open it with mode 'readWrite' or 'copyOnWrite')"
    ),
    MmapError::Aborted => "The operation was aborted".into(),
    MmapError::Truncated => {
      "The mapped file was truncated by another process: the pages accessed no longer exist".into()
    }
    MmapError::Misaligned { offset, alignment } => format!(
      "The value of \"offset\" must be a multiple of {alignment} for this atomic operation. Received {offset}"
    ),
    MmapError::NotRegularFile { path, kind } => format!(
      "'{path}' is not a regular file but {kind}: mmapkit maps regular files only (read it with \
       fs.readFile or a stream)"
    ),
    MmapError::TooManyMatches { found, max, limit } => out_of_range_message(
      "options.limit",
      &format!(
        "<= {max}: findAll() returns at most {max} offsets and this scan found {found} matches. \
         Pass options.limit to get the first ones, count() to count them, or matches() to stream \
         any number of them"
      ),
      &limit.map_or_else(|| "undefined".into(), |limit| format_received_integer(limit as f64)),
    ),
    MmapError::InvalidArgValue { message }
    | MmapError::InvalidMode { message }
    | MmapError::Corrupt { message } => message.clone(),
  }
}

fn out_of_range_message(name: &str, range: &str, received: &str) -> String {
  format!("The value of \"{name}\" is out of range. It must be {range}. Received {received}")
}

/// Builds the JS error object for a core error.
pub fn to_js_value(js: Js, err: &MmapError) -> Result<Value> {
  let class = match err {
    MmapError::OutOfRange { .. }
    | MmapError::Misaligned { .. }
    | MmapError::TooManyMatches { .. } => ErrorClass::RangeError,
    MmapError::InvalidArgValue { .. } => ErrorClass::TypeError,
    _ => ErrorClass::Error,
  };
  let value = js.error(class, &code(err), &message(err))?;
  match err {
    MmapError::Io {
      source,
      syscall,
      path,
    } => {
      js.set(value, "errno", js.number(f64::from(errno::errno(source)))?)?;
      js.set(value, "syscall", js.string(syscall)?)?;
      if let Some(path) = path {
        js.set(value, "path", js.string(path)?)?;
      }
    }
    MmapError::Aborted => {
      js.set(value, "name", js.string("AbortError")?)?;
    }
    MmapError::NotRegularFile { path, .. } => {
      js.set(value, "path", js.string(path)?)?;
    }
    _ => {}
  }
  Ok(value)
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

/// The napi-rs error that throws the JS form of `err`.
pub fn throw(env: &Env, err: MmapError) -> Error {
  let js = Js::from_env(env);
  match to_js_value(js, &err) {
    Ok(value) => js.into_error(value),
    Err(fallback) => fallback,
  }
}

/// Extension: `core_result.or_throw(&env)?`.
pub trait OrThrow<T> {
  fn or_throw(self, env: &Env) -> Result<T>;
}

impl<T> OrThrow<T> for std::result::Result<T, MmapError> {
  fn or_throw(self, env: &Env) -> Result<T> {
    self.map_err(|err| throw(env, err))
  }
}

/// What an argument is called in messages: `The "bounds" argument`. (The public methods' arguments
/// are checked, and their messages worded, by the JS layer: `lib/validate.js`.)
#[derive(Clone, Copy)]
pub enum ArgName<'a> {
  Argument(&'a str),
}

/// `TypeError [ERR_INVALID_ARG_TYPE]: The "bounds" argument must be ... Received ...`, for the
/// internal `nextBatch` calls of `lib/batches.js`.
pub fn invalid_arg_type(js: Js, name: ArgName<'_>, expected: &str, received: Value) -> Error {
  let ArgName::Argument(name) = name;
  let subject = format!("The \"{name}\" argument");
  let message = format!(
    "{subject} must be {expected}. Received {}",
    js.describe(received)
  );
  match js.error(ErrorClass::TypeError, "ERR_INVALID_ARG_TYPE", &message) {
    Ok(value) => js.into_error(value),
    Err(fallback) => fallback,
  }
}

/// `TypeError [ERR_INVALID_ARG_VALUE]` with a full message.
pub fn invalid_arg_value(js: Js, message: String) -> Error {
  match js.error(ErrorClass::TypeError, "ERR_INVALID_ARG_VALUE", &message) {
    Ok(value) => js.into_error(value),
    Err(fallback) => fallback,
  }
}

/// A plain `Error` with a custom code (`ERR_MMAP_NO_ZERO_COPY`, ...).
pub fn coded_error(js: Js, code: &str, message: &str) -> Error {
  match js.error(ErrorClass::Error, code, message) {
    Ok(value) => js.into_error(value),
    Err(fallback) => fallback,
  }
}

#[cfg(test)]
mod tests {
  use super::*;
  use std::io;

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
  fn out_of_range_reads_like_node() {
    let err = MmapError::out_of_range("offset", 4096, 5000);
    assert_eq!(code(&err), "ERR_OUT_OF_RANGE");
    assert_eq!(
      message(&err),
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
    assert_eq!(code(&err), "ENOENT");
    assert_eq!(
      message(&err),
      "ENOENT: no such file or directory, open '/nope'"
    );
  }
}
