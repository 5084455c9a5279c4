//! A thin, checked layer over the raw Node-API calls that napi-rs does not wrap the way the binding
//! needs them: for the hot calls (`hot/`, plain Node-API callbacks), the AbortSignal glue
//! (`abort.rs`, which must use `addEventListener`), the zero-copy views (`views.rs`) and Node-style
//! error objects with extra properties (`node_error/`).
//!
//! Every function here takes the `napi_env` of the current call on the JS thread.

use std::ffi::c_void;
use std::ptr;

use napi::bindgen_prelude::*;
use napi::sys;

/// The current JS environment: the `napi_env` of a call on the JS thread.
#[derive(Clone, Copy)]
pub struct Js(pub sys::napi_env);

/// A raw JS value, valid for the current call's handle scope.
pub type Value = sys::napi_value;

fn check(status: sys::napi_status, what: &str) -> Result<()> {
  if status == sys::Status::napi_ok {
    Ok(())
  } else {
    Err(Error::new(
      Status::from(status),
      format!("Node-API call failed: {what}"),
    ))
  }
}

/// What `napi_get_typedarray_info` tells about a `Uint8Array`.
pub struct TypedArrayInfo {
  pub data: *mut u8,
  pub len: usize,
}

/// What `napi_get_typedarray_info` tells about any typed array.
pub struct TypedArrayParts {
  /// A `napi_typedarray_type` (`sys::TypedarrayType::*`).
  pub kind: sys::napi_typedarray_type,
  /// Elements, not bytes.
  pub len: usize,
  /// The first element; null for some empty arrays.
  pub data: *mut c_void,
  /// The `ArrayBuffer` (or `SharedArrayBuffer`) under it.
  pub buffer: Value,
  /// Where the array starts in `buffer`, in bytes.
  pub byte_offset: usize,
}

impl Js {
  pub fn from_env(env: &Env) -> Self {
    Js(env.raw())
  }

  /// The value's `typeof` class.
  pub fn type_of(self, value: Value) -> Result<ValueType> {
    let mut kind = 0;
    // SAFETY: `value` is a live handle of this env; `kind` is a valid out-pointer.
    let status = unsafe { sys::napi_typeof(self.0, value, &mut kind) };
    check(status, "typeof")?;
    Ok(ValueType::from(kind))
  }

  pub fn get_f64(self, value: Value) -> Result<f64> {
    let mut out = 0.0;
    // SAFETY: the caller checked that `value` is a number; `out` is a valid out-pointer.
    let status = unsafe { sys::napi_get_value_double(self.0, value, &mut out) };
    check(status, "get number")?;
    Ok(out)
  }

  pub fn get_bool(self, value: Value) -> Result<bool> {
    let mut out = false;
    // SAFETY: the caller checked that `value` is a boolean; `out` is a valid out-pointer.
    let status = unsafe { sys::napi_get_value_bool(self.0, value, &mut out) };
    check(status, "get boolean")?;
    Ok(out)
  }

  /// A JS string as Rust UTF-8 (lone surrogates become U+FFFD, as in `Buffer.from(str)`).
  pub fn get_string(self, value: Value) -> Result<String> {
    let mut len = 0usize;
    // SAFETY: a null buffer asks only for the UTF-8 length.
    let status =
      unsafe { sys::napi_get_value_string_utf8(self.0, value, ptr::null_mut(), 0, &mut len) };
    check(status, "get string length")?;
    let mut bytes = vec![0u8; len + 1];
    let mut written = 0usize;
    // SAFETY: `bytes` has room for `len` bytes plus the terminating NUL Node-API writes.
    let status = unsafe {
      sys::napi_get_value_string_utf8(
        self.0,
        value,
        bytes.as_mut_ptr().cast(),
        bytes.len(),
        &mut written,
      )
    };
    check(status, "get string")?;
    bytes.truncate(written);
    // Node-API produced valid UTF-8.
    Ok(
      String::from_utf8(bytes)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
    )
  }

  /// The parts of a typed array; `None` for any other value.
  pub fn typed_array(self, value: Value) -> Option<TypedArrayParts> {
    let mut kind = 0;
    let mut len = 0usize;
    let mut data: *mut c_void = ptr::null_mut();
    let mut buffer = ptr::null_mut();
    let mut byte_offset = 0usize;
    // SAFETY: all out-pointers are valid; for a non-typed-array the call fails without side effects.
    let status = unsafe {
      sys::napi_get_typedarray_info(
        self.0,
        value,
        &mut kind,
        &mut len,
        &mut data,
        &mut buffer,
        &mut byte_offset,
      )
    };
    (status == sys::Status::napi_ok).then_some(TypedArrayParts {
      kind,
      len,
      data,
      buffer,
      byte_offset,
    })
  }

  /// The bytes of a `Uint8Array` (or Buffer); `None` for any other value.
  pub fn uint8_array(self, value: Value) -> Option<TypedArrayInfo> {
    let parts = self
      .typed_array(value)
      .filter(|parts| parts.kind == sys::TypedarrayType::uint8_array)?;
    let data = if parts.data.is_null() || parts.len == 0 {
      ptr::NonNull::dangling().as_ptr()
    } else {
      parts.data.cast()
    };
    Some(TypedArrayInfo {
      data,
      len: parts.len,
    })
  }

  pub fn undefined(self) -> Result<Value> {
    let mut out = ptr::null_mut();
    // SAFETY: valid out-pointer.
    let status = unsafe { sys::napi_get_undefined(self.0, &mut out) };
    check(status, "undefined")?;
    Ok(out)
  }

  pub fn boolean(self, value: bool) -> Result<Value> {
    let mut out = ptr::null_mut();
    // SAFETY: valid out-pointer.
    let status = unsafe { sys::napi_get_boolean(self.0, value, &mut out) };
    check(status, "boolean")?;
    Ok(out)
  }

  pub fn string(self, text: &str) -> Result<Value> {
    let mut out = ptr::null_mut();
    // SAFETY: `text` is valid UTF-8 of the given length.
    let status = unsafe {
      sys::napi_create_string_utf8(self.0, text.as_ptr().cast(), text.len() as isize, &mut out)
    };
    check(status, "create string")?;
    Ok(out)
  }

  pub fn number(self, value: f64) -> Result<Value> {
    let mut out = ptr::null_mut();
    // SAFETY: valid out-pointer.
    let status = unsafe { sys::napi_create_double(self.0, value, &mut out) };
    check(status, "create number")?;
    Ok(out)
  }

  /// `object[name]`.
  pub fn get(self, object: Value, name: &str) -> Result<Value> {
    let key =
      std::ffi::CString::new(name).map_err(|_| Error::from_reason("property name with NUL"))?;
    let mut out = ptr::null_mut();
    // SAFETY: `object` is a live handle and `key` a NUL-terminated string.
    let status = unsafe { sys::napi_get_named_property(self.0, object, key.as_ptr(), &mut out) };
    check(status, "get property")?;
    Ok(out)
  }

  /// `object[name] = value`.
  pub fn set(self, object: Value, name: &str, value: Value) -> Result<()> {
    let key =
      std::ffi::CString::new(name).map_err(|_| Error::from_reason("property name with NUL"))?;
    // SAFETY: live handles and a NUL-terminated key.
    let status = unsafe { sys::napi_set_named_property(self.0, object, key.as_ptr(), value) };
    check(status, "set property")
  }

  /// `function.apply(this, args)`.
  pub fn call(self, this: Value, function: Value, args: &[Value]) -> Result<Value> {
    let mut out = ptr::null_mut();
    // SAFETY: live handles; `args` outlives the call.
    let status = unsafe {
      sys::napi_call_function(self.0, this, function, args.len(), args.as_ptr(), &mut out)
    };
    check(status, "call function")?;
    Ok(out)
  }

  /// A new error object of `class` with `code` and `message`.
  pub fn error(self, class: ErrorClass, code: &str, message: &str) -> Result<Value> {
    let code = self.string(code)?;
    let message = self.string(message)?;
    let mut out = ptr::null_mut();
    let create = match class {
      ErrorClass::Error => sys::napi_create_error,
      ErrorClass::TypeError => sys::napi_create_type_error,
      ErrorClass::RangeError => sys::napi_create_range_error,
    };
    // SAFETY: live string handles; valid out-pointer.
    let status = unsafe { create(self.0, code, message, &mut out) };
    check(status, "create error")?;
    Ok(out)
  }

  /// A fresh Buffer of `len` bytes and a pointer to its memory.
  pub fn new_buffer(self, len: usize) -> Result<(Value, *mut u8)> {
    let mut data: *mut c_void = ptr::null_mut();
    let mut out = ptr::null_mut();
    // SAFETY: valid out-pointers; Node allocates `len` bytes (zero-length gives a valid Buffer).
    let status = unsafe { sys::napi_create_buffer(self.0, len, &mut data, &mut out) };
    check(status, "create buffer")?;
    let data = if data.is_null() {
      ptr::NonNull::dangling().as_ptr()
    } else {
      data.cast()
    };
    Ok((out, data))
  }

  /// Wraps a raw value for napi-rs's return conversion.
  pub fn unknown<'a>(self, value: Value) -> Unknown<'a> {
    // SAFETY: `value` is a live handle of this env for the duration of the current call.
    unsafe { Unknown::from_raw_unchecked(self.0, value) }
  }

  /// Turns a JS error value into the napi-rs error that throws (or rejects with) it verbatim.
  pub fn into_error(self, value: Value) -> Error {
    Error::from(self.unknown(value))
  }

  /// A short description of a value for "Received ..." in Node's `ERR_INVALID_ARG_TYPE` messages.
  pub fn describe(self, value: Value) -> String {
    let describe = || -> Result<String> {
      Ok(match self.type_of(value)? {
        ValueType::Undefined => "undefined".into(),
        ValueType::Null => "null".into(),
        ValueType::Boolean => format!("type boolean ({})", self.get_bool(value)?),
        ValueType::Number => {
          let n = self.get_f64(value)?;
          format!("type number ({})", format_number(n))
        }
        ValueType::String => {
          let text = self.get_string(value)?;
          let shown: String = text.chars().take(25).collect();
          let ellipsis = if text.chars().count() > 25 { "..." } else { "" };
          format!("type string ('{shown}'{ellipsis})")
        }
        ValueType::BigInt => "type bigint".into(),
        ValueType::Symbol => "type symbol".into(),
        ValueType::Function => "function".into(),
        _ => {
          let constructor = self.get(value, "constructor")?;
          match self.type_of(constructor)? {
            ValueType::Function => {
              let name = self.get(constructor, "name")?;
              format!("an instance of {}", self.get_string(name)?)
            }
            _ => "[object Object]".into(),
          }
        }
      })
    };
    describe().unwrap_or_else(|_| "an unknown value".into())
  }
}

/// The JS class of an error to create.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorClass {
  Error,
  TypeError,
  RangeError,
}

/// Formats a number as JS prints it in messages (integers without `.0`).
fn format_number(n: f64) -> String {
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
