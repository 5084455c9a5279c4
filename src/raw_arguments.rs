//! Raw Node-API argument values, accepted or refused by hand: the hot calls' (`hot/calls.rs`,
//! `atomics.rs`, in the one native call each hot method makes) and the AbortSignal glue's
//! (`abort.rs`).
//!
//! Hand-written because the hot calls are plain Node-API callbacks (see `hot/mod.rs`), which
//! napi-rs cannot declare with typed parameters. Only the acceptance test is here: a refused value
//! is handed to the JS layer's validator for that argument ([`reject`], `lib/validate.js` via
//! `rejectArgument` in `lib/hot.js`), which throws Node's error, so the messages are written once,
//! in JavaScript, and the accepted path costs no JS call.

use std::cell::Cell;
use std::ptr;

use napi::bindgen_prelude::*;
use napi::sys;

use crate::js::{Js, TypedArrayInfo, Value};

/// `Number.MAX_SAFE_INTEGER`: the largest offset or length JS can name exactly.
pub const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

thread_local! {
  /// `rejectArgument(check, value, name)` of this thread's environment (one per thread: the main
  /// thread or a worker), set once by `configure` and kept alive by a strong reference.
  static REJECT: Cell<sys::napi_ref> = const { Cell::new(ptr::null_mut()) };
}

/// Keeps `function` as this environment's `rejectArgument`.
pub fn set_reject(js: Js, function: Value) -> Result<()> {
  let mut reference = ptr::null_mut();
  // SAFETY: `function` is a live handle of this env; the reference lives as long as the env.
  let status = unsafe { sys::napi_create_reference(js.0, function, 1, &mut reference) };
  if status != sys::Status::napi_ok {
    return Err(Error::new(
      Status::from(status),
      "Could not keep rejectArgument",
    ));
  }
  REJECT.with(|cell| cell.set(reference));
  Ok(())
}

/// The error for a refused `value`: `rejectArgument(check, value, name)` runs the JS layer's
/// validator `check` on it, which throws Node's error for it; that error is returned.
pub fn reject(js: Js, check: &str, value: Value, name: &str) -> Error {
  let thrown = || -> Result<Error> {
    let reference = REJECT.with(Cell::get);
    if reference.is_null() {
      return Err(Error::from_reason(format!("Invalid argument '{name}'")));
    }
    let mut function = ptr::null_mut();
    // SAFETY: a live reference made by `set_reject` in this env; valid out-pointer.
    let status = unsafe { sys::napi_get_reference_value(js.0, reference, &mut function) };
    if status != sys::Status::napi_ok || function.is_null() {
      return Err(Error::from_reason(format!("Invalid argument '{name}'")));
    }
    let args = [js.string(check)?, value, js.string(name)?];
    let undefined = js.undefined()?;
    let mut result = ptr::null_mut();
    // SAFETY: live handles of this env; `args` outlives the call.
    unsafe {
      sys::napi_call_function(
        js.0,
        undefined,
        function,
        args.len(),
        args.as_ptr(),
        &mut result,
      )
    };
    let mut exception = ptr::null_mut();
    // SAFETY: valid out-pointer; takes (and clears) the error the validator threw.
    let status = unsafe { sys::napi_get_and_clear_last_exception(js.0, &mut exception) };
    if status == sys::Status::napi_ok && !exception.is_null() {
      let mut kind = 0;
      // SAFETY: a live handle; valid out-pointer.
      unsafe { sys::napi_typeof(js.0, exception, &mut kind) };
      if kind != sys::ValueType::napi_undefined {
        return Ok(js.into_error(exception));
      }
    }
    Err(Error::from_reason(format!("Invalid argument '{name}'")))
  };
  thrown().unwrap_or_else(|error| error)
}

/// The value of a JS number, `None` for any other value: one Node-API call
/// (`napi_get_value_double` reports `napi_number_expected` for a non-number, with no exception
/// and no other effect), where `typeof` then the value would be two. For the hot calls.
pub fn number(js: Js, value: Value) -> Option<f64> {
  let mut out = 0.0;
  // SAFETY: `value` is a live handle of this call; `out` is a valid out-pointer.
  let status = unsafe { sys::napi_get_value_double(js.0, value, &mut out) };
  (status == sys::Status::napi_ok).then_some(out)
}

/// An offset or length: a number that is a safe, non-negative integer.
pub fn index(js: Js, value: Value, name: &str) -> Result<u64> {
  // Without `f64::fract` (a libm call): a non-negative safe integer converts to u64 and back
  // unchanged (NaN fails the range test; fractions fail the round trip).
  match number(js, value) {
    Some(n) if (0.0..=MAX_SAFE_INTEGER).contains(&n) && (n as u64) as f64 == n => Ok(n as u64),
    _ => Err(reject(js, "index", value, name)),
  }
}

/// An optional offset or length: `undefined` and `null` mean "not given".
pub fn optional_index(js: Js, value: Value, name: &str) -> Result<Option<u64>> {
  match js.type_of(value)? {
    ValueType::Undefined | ValueType::Null => Ok(None),
    _ => index(js, value, name).map(Some),
  }
}

/// A `Uint8Array` (Buffer included) to read into.
pub fn uint8_array(js: Js, value: Value, name: &str) -> Result<TypedArrayInfo> {
  js.uint8_array(value)
    .ok_or_else(|| reject(js, "uint8Array", value, name))
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
  Err(reject(js, "bytes", value, name))
}

/// A u32 value for the atomics: an integer in `0..=2**32 - 1`, or (`signed`, for adds) in
/// `-(2**32 - 1)..=2**32 - 1`, taken modulo 2**32.
pub fn atomic_u32(js: Js, value: Value, name: &str, signed: bool) -> Result<u32> {
  let max = u32::MAX as f64;
  let min = if signed { -max } else { 0.0 };
  match number(js, value) {
    Some(n) if n.is_finite() && n.fract() == 0.0 && n >= min && n <= max => {
      Ok((n as i64).rem_euclid(1 << 32) as u32)
    }
    _ => Err(reject(
      js,
      if signed { "u32Signed" } else { "u32" },
      value,
      name,
    )),
  }
}

/// A u64 value for the atomics: a bigint in `0n..=2n**64n - 1n`, or (`signed`, for adds) down to
/// `-(2n**64n - 1n)`, taken modulo 2**64.
pub fn atomic_u64(js: Js, value: Value, name: &str, signed: bool) -> Result<u64> {
  let check = if signed { "u64Signed" } else { "u64" };
  if js.type_of(value)? != ValueType::BigInt {
    return Err(reject(js, check, value, name));
  }
  // SAFETY: `value` is a live bigint handle of this env.
  let big = unsafe { BigInt::from_napi_value(js.0, value)? };
  // Not `BigInt::get_u64`: napi-rs reports every negative bigint as lossy there.
  let negative = big.sign_bit;
  let magnitude = big.words.first().copied().unwrap_or(0);
  let lossless = big.words.iter().skip(1).all(|&word| word == 0);
  if !lossless || (negative && !signed) {
    return Err(reject(js, check, value, name));
  }
  Ok(if negative {
    magnitude.wrapping_neg()
  } else {
    magnitude
  })
}
