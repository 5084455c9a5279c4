//! JS arguments to Rust values, validated the way Node validates `fs` arguments: a wrong type is
//! `ERR_INVALID_ARG_TYPE`, a bad number `ERR_OUT_OF_RANGE`, a bad enum value `ERR_INVALID_ARG_VALUE`.

use std::path::PathBuf;

use mmapkit_core::{Advice, FlushPolicy, LockKind, MappedFile, MmapError, Mode, OpenOptions};
use napi::bindgen_prelude::*;

use crate::js::{ErrorClass, Js, TypedArrayInfo, Value};
use crate::node_error::{
  format_received_integer, invalid_arg_type, invalid_arg_value, out_of_range, throw, ArgName,
};

/// `Number.MAX_SAFE_INTEGER`: the largest offset or length JS can name exactly.
pub const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// The value of a JS number, `None` for any other value: one Node-API call
/// (`napi_get_value_double` reports `napi_number_expected` for a non-number, with no exception
/// and no other effect), where `typeof` then the value would be two. For the hot calls.
pub fn number(js: Js, value: Value) -> Option<f64> {
  let mut out = 0.0;
  // SAFETY: `value` is a live handle of this call; `out` is a valid out-pointer.
  let status = unsafe { napi::sys::napi_get_value_double(js.0, value, &mut out) };
  (status == napi::sys::Status::napi_ok).then_some(out)
}

/// An offset or length: a number that is a safe, non-negative integer.
pub fn index(js: Js, value: Value, name: ArgName<'_>) -> Result<u64> {
  let Some(n) = number(js, value) else {
    return Err(invalid_arg_type(js, name, "of type number", value));
  };
  // The common case without `f64::fract` (a libm call): a non-negative safe integer converts to
  // u64 and back unchanged (NaN fails the range test; fractions fail the round trip).
  if (0.0..=MAX_SAFE_INTEGER).contains(&n) && (n as u64) as f64 == n {
    return Ok(n as u64);
  }
  check_index(n).map_err(|range| out_of_range(js, name.name(), &range, &format_received_integer(n)))
}

/// The pure part of [`index`] (Node's `validateInteger(n, name, 0)`): the integer, or the range
/// it must be in, in Node's words.
pub fn check_index(n: f64) -> std::result::Result<u64, String> {
  if !n.is_finite() || n.fract() != 0.0 {
    return Err("an integer".into());
  }
  if !(0.0..=MAX_SAFE_INTEGER).contains(&n) {
    return Err(format!(">= 0 && <= {}", MAX_SAFE_INTEGER as u64));
  }
  Ok(n as u64)
}

/// An optional offset or length: `undefined` and `null` mean "not given".
pub fn optional_index(js: Js, value: Option<Value>, name: ArgName<'_>) -> Result<Option<u64>> {
  match value {
    None => Ok(None),
    Some(v) => match js.type_of(v)? {
      ValueType::Undefined | ValueType::Null => Ok(None),
      _ => index(js, v, name).map(Some),
    },
  }
}

/// A `Uint8Array` (Buffer included) to read into.
pub fn uint8_array(js: Js, value: Value, name: &str) -> Result<TypedArrayInfo> {
  js.uint8_array(value).ok_or_else(|| {
    invalid_arg_type(
      js,
      ArgName::Argument(name),
      "an instance of Uint8Array",
      value,
    )
  })
}

/// Bytes to write: a `Uint8Array`, or a string taken as UTF-8.
pub enum Bytes {
  View(TypedArrayInfo),
  Text(String),
}

impl Bytes {
  /// The bytes' address and length, for copies through raw pointers: a view's bytes may be those
  /// of a mapping (even the destination's), so no Rust reference is made over them. Valid for the
  /// current call (the typed array's handle is on the stack; no JS runs meanwhile).
  pub fn raw(&self) -> (*const u8, usize) {
    match self {
      Bytes::View(info) => (info.data.cast_const(), info.len),
      Bytes::Text(text) => (text.as_ptr(), text.len()),
    }
  }

  /// A private copy of the bytes (patterns, ring messages), made through raw pointers.
  pub fn to_vec(&self) -> Vec<u8> {
    let (data, len) = self.raw();
    let mut copy = Vec::with_capacity(len);
    // SAFETY: `data` is valid for `len` bytes for this call (see `raw`); `copy` is fresh memory
    // with room for `len` bytes, overlapping nothing; the copy initialises all of them.
    unsafe {
      std::ptr::copy_nonoverlapping(data, copy.as_mut_ptr(), len);
      copy.set_len(len);
    }
    copy
  }
}

pub fn bytes(js: Js, value: Value, name: &str) -> Result<Bytes> {
  if let Some(info) = js.uint8_array(value) {
    return Ok(Bytes::View(info));
  }
  if js.type_of(value)? == ValueType::String {
    return Ok(Bytes::Text(js.get_string(value)?));
  }
  Err(invalid_arg_type(
    js,
    ArgName::Argument(name),
    "of type string or an instance of Uint8Array",
    value,
  ))
}

/// A file path as `node:fs` takes it: a string, a `Buffer`/`Uint8Array` (its bytes, as an OS path
/// on Unix), or a `file:` URL (with `url.fileURLToPath`'s rules); never with NUL bytes.
pub fn path(js: Js, value: Value) -> Result<PathBuf> {
  path_like(js, value, "of type string or an instance of Buffer or URL")
}

/// [`path`] for APIs that need the path as UTF-8 text (the ring buffer's).
pub fn path_utf8(js: Js, value: Value) -> Result<String> {
  let path = path(js, value)?;
  path.to_str().map(str::to_owned).ok_or_else(|| {
    invalid_arg_value(
      js,
      format!(
        "The argument 'path' must be valid UTF-8 here. Received '{}'",
        path.to_string_lossy()
      ),
    )
  })
}

fn path_like(js: Js, value: Value, expected: &str) -> Result<PathBuf> {
  let bad_type = || invalid_arg_type(js, ArgName::Argument("path"), expected, value);
  let no_nul = |bytes: &[u8], shown: String| -> Result<()> {
    if bytes.contains(&0) {
      return Err(invalid_arg_value(
        js,
        format!(
          "The argument 'path' must be a string, Uint8Array, or URL without null bytes. Received {shown}"
        ),
      ));
    }
    Ok(())
  };
  match js.type_of(value)? {
    ValueType::String => {
      let path = js.get_string(value)?;
      no_nul(
        path.as_bytes(),
        format!("'{}'", path.replace('\0', "\\x00")),
      )?;
      Ok(PathBuf::from(path))
    }
    ValueType::Object => {
      if let Some(info) = js.uint8_array(value) {
        // SAFETY: Node-API reported `len` bytes at `data` for a typed array alive for this call.
        let bytes = unsafe { std::slice::from_raw_parts(info.data, info.len) }.to_vec();
        no_nul(&bytes, js.describe(value))?;
        return Ok(path_from_bytes(bytes));
      }
      if !is_url(js, value)? {
        return Err(bad_type());
      }
      let protocol = js.get(value, "protocol")?;
      if js.type_of(protocol)? != ValueType::String || js.get_string(protocol)? != "file:" {
        let error = js.error(
          ErrorClass::TypeError,
          "ERR_INVALID_URL_SCHEME",
          "The URL must be of scheme file",
        )?;
        return Err(js.into_error(error));
      }
      // url.fileURLToPath: its host, encoding and platform rules, and its errors, verbatim.
      let process = js.get(js.global()?, "process")?;
      let get_builtin = js.get(process, "getBuiltinModule")?;
      let url = call_or_rethrow(js, process, get_builtin, &[js.string("node:url")?])?;
      let to_path = js.get(url, "fileURLToPath")?;
      let path = call_or_rethrow(js, url, to_path, &[value])?;
      let path = js.get_string(path)?;
      no_nul(
        path.as_bytes(),
        format!("'{}'", path.replace('\0', "\\x00")),
      )?;
      Ok(PathBuf::from(path))
    }
    _ => Err(bad_type()),
  }
}

/// Node's `isURL`: an object with `href` and `protocol` and without `auth` and `path` (a WHATWG
/// URL, not a legacy `url.parse` result).
fn is_url(js: Js, value: Value) -> Result<bool> {
  Ok(
    js.get_defined(value, "href")?.is_some()
      && js.get_defined(value, "protocol")?.is_some()
      && js.get_defined(value, "auth")?.is_none()
      && js.get_defined(value, "path")?.is_none(),
  )
}

/// `function.apply(this, args)`, turning an exception it throws back into the same JS error.
fn call_or_rethrow(js: Js, this: Value, function: Value, args: &[Value]) -> Result<Value> {
  js.call(this, function, args).map_err(|error| {
    let mut exception = std::ptr::null_mut();
    // SAFETY: valid out-pointer; clears the pending exception (if any) so it can be rethrown.
    let status = unsafe { napi::sys::napi_get_and_clear_last_exception(js.0, &mut exception) };
    if status == napi::sys::Status::napi_ok && !exception.is_null() {
      js.into_error(exception)
    } else {
      error
    }
  })
}

#[cfg(unix)]
fn path_from_bytes(bytes: Vec<u8>) -> PathBuf {
  use std::os::unix::ffi::OsStringExt;
  PathBuf::from(std::ffi::OsString::from_vec(bytes))
}

#[cfg(not(unix))]
fn path_from_bytes(bytes: Vec<u8>) -> PathBuf {
  // Node decodes Buffer paths as UTF-8 on Windows.
  PathBuf::from(String::from_utf8_lossy(&bytes).into_owned())
}

/// What `MemoryMappedFile.open` and its siblings map: a path, or a file the caller opened (a file
/// descriptor or a `FileHandle`), duplicated so that the caller keeps ownership of theirs.
pub enum Source {
  Path(PathBuf),
  /// The duplicate and the name it goes by in errors and in `path`.
  File(std::fs::File, String),
}

impl Source {
  /// Opens and maps the source as `options` ask.
  pub fn open(
    self,
    options: &OpenOptions,
    abort: Option<&std::sync::atomic::AtomicBool>,
  ) -> std::result::Result<MappedFile, MmapError> {
    match self {
      Source::Path(path) => MappedFile::open_cancellable(&path, options, abort),
      Source::File(file, name) => MappedFile::open_file(file, &name, options, abort),
    }
  }
}

/// `path | fd | FileHandle`, the first argument of `open` and its siblings.
pub fn source(js: Js, value: Value) -> Result<Source> {
  const EXPECTED: &str = "of type string or number or an instance of Buffer, URL, or FileHandle";
  let (fd, handle) = match js.type_of(value)? {
    ValueType::Number => (value, false),
    ValueType::Object if is_file_handle(js, value)? => (js.get(value, "fd")?, true),
    _ => return path_like(js, value, EXPECTED).map(Source::Path),
  };
  let fd = js.get_f64(fd)?;
  // A closed FileHandle has fd -1: let the OS say EBADF, as Node does for it.
  let closed_handle = handle && fd == -1.0;
  if !closed_handle
    && (!fd.is_finite() || fd.fract() != 0.0 || !(0.0..=i32::MAX as f64).contains(&fd))
  {
    let range = if fd.is_finite() && fd.fract() == 0.0 {
      format!(">= 0 && <= {}", i32::MAX)
    } else {
      "an integer".into()
    };
    return Err(out_of_range(js, "fd", &range, &format_received_integer(fd)));
  }
  let (file, name) =
    mmapkit_core::descriptor::duplicate(fd as i32).map_err(|e| throw(&Env::from_raw(js.0), e))?;
  Ok(Source::File(file, name))
}

/// A `fs/promises` `FileHandle`: an object of that class with a numeric `fd`.
fn is_file_handle(js: Js, value: Value) -> Result<bool> {
  let Some(fd) = js.get_defined(value, "fd")? else {
    return Ok(false);
  };
  if js.type_of(fd)? != ValueType::Number {
    return Ok(false);
  }
  let constructor = js.get(value, "constructor")?;
  if js.type_of(constructor)? != ValueType::Function {
    return Ok(false);
  }
  let name = js.get(constructor, "name")?;
  Ok(js.type_of(name)? == ValueType::String && js.get_string(name)? == "FileHandle")
}

/// A string that must be one of `choices`; returns its index in `choices`.
fn one_of(js: Js, value: Value, name: ArgName<'_>, choices: &[&str]) -> Result<usize> {
  if js.type_of(value)? != ValueType::String {
    return Err(invalid_arg_type(js, name, "of type string", value));
  }
  let text = js.get_string(value)?;
  choices.iter().position(|c| *c == text).ok_or_else(|| {
    let listed = choices
      .iter()
      .map(|c| format!("'{c}'"))
      .collect::<Vec<_>>()
      .join(", ");
    let subject = match name {
      ArgName::Argument(n) => format!("The argument '{n}'"),
      ArgName::Property(n) => format!("The property '{n}'"),
    };
    invalid_arg_value(
      js,
      format!("{subject} must be one of: {listed}. Received '{text}'"),
    )
  })
}

const MODES: [&str; 3] = ["readOnly", "readWrite", "copyOnWrite"];
const LOCK_KINDS: [&str; 2] = ["shared", "exclusive"];
const ADVICE: [&str; 5] = ["normal", "random", "sequential", "willNeed", "dontNeed"];

pub fn mode(js: Js, value: Value, name: ArgName<'_>) -> Result<Mode> {
  let i = one_of(js, value, name, &MODES)?;
  Ok(Mode::parse(MODES[i]).expect("MODES lists only valid modes"))
}

pub fn lock_kind(js: Js, value: Value, name: ArgName<'_>) -> Result<LockKind> {
  let i = one_of(js, value, name, &LOCK_KINDS)?;
  Ok(LockKind::parse(LOCK_KINDS[i]).expect("LOCK_KINDS lists only valid kinds"))
}

/// An optional lock kind argument, `'exclusive'` when omitted.
pub fn optional_lock_kind(js: Js, value: Option<Value>) -> Result<LockKind> {
  match value {
    Some(v) if !matches!(js.type_of(v)?, ValueType::Undefined | ValueType::Null) => {
      lock_kind(js, v, ArgName::Argument("kind"))
    }
    _ => Ok(LockKind::Exclusive),
  }
}

/// `'manual' | 'always' | { everyBytes } | { everyWrites } | { everyMillis }`, counts >= 1.
pub fn flush_policy(js: Js, value: Value) -> Result<FlushPolicy> {
  let bad = || {
    invalid_arg_value(
      js,
      format!(
        "The property 'options.flushPolicy' must be 'manual', 'always', {{ everyBytes: n }}, \
         {{ everyWrites: n }} or {{ everyMillis: n }}. Received {}",
        js.describe(value)
      ),
    )
  };
  match js.type_of(value)? {
    ValueType::String => match js.get_string(value)?.as_str() {
      "manual" => Ok(FlushPolicy::Manual),
      "always" => Ok(FlushPolicy::Always),
      _ => Err(bad()),
    },
    ValueType::Object => {
      let mut found = None;
      for key in ["everyBytes", "everyWrites", "everyMillis"] {
        if let Some(v) = js.get_defined(value, key)? {
          if found.is_some() {
            return Err(bad());
          }
          let name = format!("options.flushPolicy.{key}");
          let n = index(js, v, ArgName::Property(&name))?;
          if n == 0 {
            let range = format!(">= 1 && <= {}", MAX_SAFE_INTEGER as u64);
            return Err(out_of_range(js, &name, &range, "0"));
          }
          found = Some(match key {
            "everyBytes" => FlushPolicy::EveryBytes(n),
            "everyWrites" => FlushPolicy::EveryWrites(n),
            _ => FlushPolicy::EveryMillis(n),
          });
        }
      }
      found.ok_or_else(bad)
    }
    _ => Err(invalid_arg_type(
      js,
      ArgName::Property("options.flushPolicy"),
      "of type string or object",
      value,
    )),
  }
}

/// A u32 value for the atomics: an integer in `0..=2**32 - 1`, or (`signed`, for adds) in
/// `-(2**32 - 1)..=2**32 - 1`, taken modulo 2**32.
pub fn atomic_u32(js: Js, value: Value, name: &str, signed: bool) -> Result<u32> {
  if js.type_of(value)? != ValueType::Number {
    return Err(invalid_arg_type(
      js,
      ArgName::Argument(name),
      "of type number",
      value,
    ));
  }
  let n = js.get_f64(value)?;
  let max = u32::MAX as f64;
  let min = if signed { -max } else { 0.0 };
  if !n.is_finite() || n.fract() != 0.0 || n < min || n > max {
    let range = if signed {
      format!(">= -{max} && <= {max}")
    } else {
      format!(">= 0 && <= {max}")
    };
    return Err(out_of_range(js, name, &range, &format_received_integer(n)));
  }
  Ok((n as i64).rem_euclid(1 << 32) as u32)
}

/// A u64 value for the atomics: a bigint in `0n..=2n**64n - 1n`, or (`signed`, for adds) down to
/// `-(2n**64n - 1n)`, taken modulo 2**64.
pub fn atomic_u64(js: Js, value: Value, name: &str, signed: bool) -> Result<u64> {
  if js.type_of(value)? != ValueType::BigInt {
    return Err(invalid_arg_type(
      js,
      ArgName::Argument(name),
      "of type bigint",
      value,
    ));
  }
  // SAFETY: `value` is a live bigint handle of this env.
  let big = unsafe { BigInt::from_napi_value(js.0, value)? };
  // Not `BigInt::get_u64`: napi-rs reports every negative bigint as lossy there.
  let negative = big.sign_bit;
  let magnitude = big.words.first().copied().unwrap_or(0);
  let lossless = big.words.iter().skip(1).all(|&word| word == 0);
  if !lossless || (negative && !signed) {
    let range = if signed {
      "-(2n ** 64n - 1n) and 2n ** 64n - 1n"
    } else {
      "0n and 2n ** 64n - 1n"
    };
    let range = format!("between {range}");
    return Err(out_of_range(
      js,
      name,
      &range,
      "a bigint outside that range",
    ));
  }
  Ok(if negative {
    magnitude.wrapping_neg()
  } else {
    magnitude
  })
}

pub fn advice(js: Js, value: Value, name: ArgName<'_>) -> Result<Advice> {
  let i = one_of(js, value, name, &ADVICE)?;
  Ok(Advice::parse(ADVICE[i]).expect("ADVICE lists only valid advice"))
}

fn boolean(js: Js, value: Value, name: &str) -> Result<bool> {
  if js.type_of(value)? != ValueType::Boolean {
    return Err(invalid_arg_type(
      js,
      ArgName::Property(name),
      "of type boolean",
      value,
    ));
  }
  js.get_bool(value)
}

/// An optional options argument: `None` when missing, `undefined` or `null`; the object
/// otherwise; `ERR_INVALID_ARG_TYPE` for anything that is not an object.
pub fn options_object(js: Js, value: Option<Value>) -> Result<Option<Value>> {
  let Some(value) = value else { return Ok(None) };
  match js.type_of(value)? {
    ValueType::Undefined | ValueType::Null => Ok(None),
    ValueType::Object => Ok(Some(value)),
    _ => Err(invalid_arg_type(
      js,
      ArgName::Argument("options"),
      "of type object",
      value,
    )),
  }
}

/// The `AbortWatch` for `options.signal` of an optional options argument.
pub fn signal_watch(js: Js, options: Option<Value>) -> Result<crate::abort::AbortWatch> {
  let signal = match options_object(js, options)? {
    Some(object) => js.get_defined(object, "signal")?,
    None => None,
  };
  crate::abort::AbortWatch::new(js, signal)
}

/// The options object of `open` and the factories; `undefined` and `null` mean defaults.
/// Returns the core options and the `signal` property, if any (for `openAsync`).
pub fn open_options(js: Js, value: Option<Value>) -> Result<(OpenOptions, Option<Value>)> {
  let mut options = OpenOptions::default();
  let Some(object) = options_object(js, value)? else {
    return Ok((options, None));
  };
  if let Some(v) = js.get_defined(object, "mode")? {
    options.mode = Some(mode(js, v, ArgName::Property("options.mode"))?);
  }
  if let Some(v) = js.get_defined(object, "create")? {
    options.create = boolean(js, v, "options.create")?;
  }
  if let Some(v) = js.get_defined(object, "populate")? {
    options.populate = boolean(js, v, "options.populate")?;
  }
  if let Some(v) = js.get_defined(object, "hugePages")? {
    options.huge_pages = boolean(js, v, "options.hugePages")?;
  }
  options.size = optional_index(
    js,
    js.get_defined(object, "size")?,
    ArgName::Property("options.size"),
  )?;
  options.offset = optional_index(
    js,
    js.get_defined(object, "offset")?,
    ArgName::Property("options.offset"),
  )?;
  options.length = optional_index(
    js,
    js.get_defined(object, "length")?,
    ArgName::Property("options.length"),
  )?;
  if let Some(v) = js.get_defined(object, "advice")? {
    options.advice = Some(advice(js, v, ArgName::Property("options.advice"))?);
  }
  if let Some(v) = js.get_defined(object, "lock")? {
    options.lock = Some(lock_kind(js, v, ArgName::Property("options.lock"))?);
  }
  if let Some(v) = js.get_defined(object, "flushPolicy")? {
    options.flush_policy = flush_policy(js, v)?;
  }
  let signal = js.get_defined(object, "signal")?;
  Ok((options, signal))
}

/// A Buffer longer than `buffer.constants.MAX_LENGTH` cannot exist: refuse rather than shorten.
pub fn check_view_length(env: &Env, length: u64) -> Result<()> {
  let max = crate::views::max_view_length().min(MAX_SAFE_INTEGER as u64);
  if length > max {
    return Err(crate::node_error::throw(
      env,
      mmapkit_core::MmapError::out_of_range("length", max, length),
    ));
  }
  Ok(())
}
