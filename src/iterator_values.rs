//! The JS values the native iterators (`ChunkIterator`, `LineIterator`, `MatchIterator`) exchange
//! with JavaScript: the `{ value, done }` result of `next()`, and the `Float64Array` that their
//! batch calls fill.

use napi::bindgen_prelude::*;

use crate::js::{Js, Value};
use crate::node_error::{invalid_arg_type, ArgName};

/// `{ value, done }` for the iterators: `None` ends the iteration.
pub fn iterator_result<'a>(env: &'a Env, value: Option<Value>) -> Result<Object<'a>> {
  let js = Js::from_env(env);
  let mut result = Object::new(env)?;
  result.set_named_property("done", value.is_none())?;
  let value = match value {
    Some(value) => value,
    None => js.undefined()?,
  };
  js.set(result.raw(), "value", value)?;
  Ok(result)
}

/// The elements of a `Float64Array` with at least `min` of them, writable for this call.
pub fn float64_array<'a>(js: Js, value: Value, min: usize) -> Result<&'a mut [f64]> {
  let mut kind = 0;
  let mut len = 0usize;
  let mut data: *mut std::ffi::c_void = std::ptr::null_mut();
  let mut buffer = std::ptr::null_mut();
  let mut offset = 0usize;
  // SAFETY: valid out-pointers; for a value that is not a typed array the call fails harmlessly.
  let status = unsafe {
    napi::sys::napi_get_typedarray_info(
      js.0,
      value,
      &mut kind,
      &mut len,
      &mut data,
      &mut buffer,
      &mut offset,
    )
  };
  if status != napi::sys::Status::napi_ok
    || kind != napi::sys::TypedarrayType::float64_array
    || len < min
    || data.is_null()
  {
    return Err(invalid_arg_type(
      js,
      ArgName::Argument("bounds"),
      "an instance of Float64Array of sufficient length",
      value,
    ));
  }
  // SAFETY: Node-API reported `len` doubles at `data` (aligned: a Float64Array's offset is a
  // multiple of 8), alive for this call; no JS runs while the slice is used.
  Ok(unsafe { std::slice::from_raw_parts_mut(data.cast::<f64>(), len) })
}
