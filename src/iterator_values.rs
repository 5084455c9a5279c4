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
  let Some(parts) = js.typed_array(value).filter(|parts| {
    parts.kind == napi::sys::TypedarrayType::float64_array
      && parts.len >= min
      && !parts.data.is_null()
  }) else {
    return Err(invalid_arg_type(
      js,
      ArgName::Argument("bounds"),
      "an instance of Float64Array of sufficient length",
      value,
    ));
  };
  // SAFETY: Node-API reported `len` doubles at `data` (aligned: a Float64Array's offset is a
  // multiple of 8), alive for this call; no JS runs while the slice is used.
  Ok(unsafe { std::slice::from_raw_parts_mut(parts.data.cast::<f64>(), parts.len) })
}
