//! JS arguments to Rust values, validated the way Node validates `fs` arguments: a wrong type is
//! `ERR_INVALID_ARG_TYPE`, a bad number `ERR_OUT_OF_RANGE`, a bad enum value `ERR_INVALID_ARG_VALUE`.

use mmapkit_core::{error::format_received_integer, Advice, MmapError, Mode, OpenOptions};
use napi::bindgen_prelude::*;

use crate::errors::{invalid_arg_type, invalid_arg_value, throw, ArgName};
use crate::js::{Js, TypedArrayInfo, Value};

/// `Number.MAX_SAFE_INTEGER`: the largest offset or length JS can name exactly.
pub const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// Formats a number as JS prints it in messages (integers without `.0`).
pub fn format_number(n: f64) -> String {
  if n.is_finite() && n.fract() == 0.0 && n.abs() < 1e21 {
    format!("{n:.0}")
  } else if n.is_nan() {
    "NaN".into()
  } else if n.is_infinite() {
    if n > 0.0 { "Infinity" } else { "-Infinity" }.into()
  } else {
    format!("{n}")
  }
}

/// An offset or length: a number that is a safe, non-negative integer.
pub fn index(js: Js, value: Value, name: ArgName<'_>) -> Result<u64> {
  if js.type_of(value)? != ValueType::Number {
    return Err(invalid_arg_type(js, name, "of type number", value));
  }
  let n = js.get_f64(value)?;
  check_index(n, name.name()).map_err(|e| throw(&Env::from_raw(js.0), e))
}

/// The pure part of [`index`]: Node's `validateInteger(n, name, 0)` wording.
pub fn check_index(n: f64, name: &str) -> std::result::Result<u64, MmapError> {
  if !n.is_finite() || n.fract() != 0.0 {
    return Err(MmapError::OutOfRange {
      name: name.to_owned(),
      range: "an integer".into(),
      received: format_received_integer(n),
    });
  }
  if !(0.0..=MAX_SAFE_INTEGER).contains(&n) {
    return Err(MmapError::OutOfRange {
      name: name.to_owned(),
      range: format!(">= 0 && <= {}", MAX_SAFE_INTEGER as u64),
      received: format_received_integer(n),
    });
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
  pub fn as_slice(&self) -> &[u8] {
    match self {
      // SAFETY: the typed array is alive for the current call (its handle is on the stack) and
      // Node-API reported `len` bytes at `data`. JS cannot run while we hold the slice.
      Bytes::View(info) => unsafe { std::slice::from_raw_parts(info.data, info.len) },
      Bytes::Text(text) => text.as_bytes(),
    }
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

/// A file path: a string without NUL bytes.
pub fn path(js: Js, value: Value) -> Result<String> {
  if js.type_of(value)? != ValueType::String {
    return Err(invalid_arg_type(
      js,
      ArgName::Argument("path"),
      "of type string",
      value,
    ));
  }
  let path = js.get_string(value)?;
  if path.contains('\0') {
    return Err(invalid_arg_value(
      js,
      format!(
        "The argument 'path' must be a string without null bytes. Received '{}'",
        path.replace('\0', "\\x00")
      ),
    ));
  }
  Ok(path)
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
const ADVICE: [&str; 5] = ["normal", "random", "sequential", "willNeed", "dontNeed"];

pub fn mode(js: Js, value: Value, name: ArgName<'_>) -> Result<Mode> {
  let i = one_of(js, value, name, &MODES)?;
  Ok(Mode::parse(MODES[i]).expect("MODES lists only valid modes"))
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

/// The options object of `open` and the factories; `undefined` and `null` mean defaults.
/// Returns the core options and the `signal` property, if any (for `openAsync`).
pub fn open_options(js: Js, value: Option<Value>) -> Result<(OpenOptions, Option<Value>)> {
  let mut options = OpenOptions::default();
  let Some(object) = value else {
    return Ok((options, None));
  };
  match js.type_of(object)? {
    ValueType::Undefined | ValueType::Null => return Ok((options, None)),
    ValueType::Object => {}
    _ => {
      return Err(invalid_arg_type(
        js,
        ArgName::Argument("options"),
        "of type object",
        object,
      ))
    }
  }
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
  for unsupported in ["lock", "flushPolicy"] {
    if js.get_defined(object, unsupported)?.is_some() {
      return Err(invalid_arg_value(
        js,
        format!(
          "The property 'options.{unsupported}' is not supported by this version of mmapkit yet; \
           remove it (it is never ignored silently)"
        ),
      ));
    }
  }
  let signal = js.get_defined(object, "signal")?;
  Ok((options, signal))
}

/// A Buffer longer than `buffer.constants.MAX_LENGTH` cannot exist: refuse rather than shorten.
pub fn check_view_length(env: &Env, length: u64) -> Result<()> {
  let max = crate::views::max_view_length().min(MAX_SAFE_INTEGER as u64);
  if length > max {
    return Err(crate::errors::throw(
      env,
      MmapError::out_of_range("length", max, length),
    ));
  }
  Ok(())
}
