//! JS arguments to Rust values, validated the way Node validates `fs` arguments: a wrong type is
//! `ERR_INVALID_ARG_TYPE`, a bad number `ERR_OUT_OF_RANGE`, a bad enum value `ERR_INVALID_ARG_VALUE`.

use napi::bindgen_prelude::*;

use crate::js::{Js, TypedArrayInfo, Value};
use crate::node_error::{format_received_integer, invalid_arg_type, out_of_range, ArgName};

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
