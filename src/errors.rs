//! Core errors and argument errors as Node-style JS errors (`code`, the right class, and for OS
//! errors `errno`, `syscall` and `path`), thrown or rejected verbatim.

use mmapkit_core::{errno, MmapError};
use napi::bindgen_prelude::*;

use crate::js::{ErrorClass, Js, Value};

/// Builds the JS error object for a core error.
pub fn to_js_value(js: Js, err: &MmapError) -> Result<Value> {
  let class = match err {
    MmapError::OutOfRange { .. } | MmapError::Misaligned { .. } => ErrorClass::RangeError,
    MmapError::InvalidArgValue { .. } => ErrorClass::TypeError,
    _ => ErrorClass::Error,
  };
  let value = js.error(class, &err.code(), &err.to_string())?;
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

/// What an argument or property is called in messages: `The "offset" argument` or
/// `The "options.mode" property`.
#[derive(Clone, Copy)]
pub enum ArgName<'a> {
  Argument(&'a str),
  Property(&'a str),
}

impl ArgName<'_> {
  pub fn name(&self) -> &str {
    match self {
      ArgName::Argument(name) | ArgName::Property(name) => name,
    }
  }
}

/// `TypeError [ERR_INVALID_ARG_TYPE]: The "offset" argument must be of type number. Received ...`
pub fn invalid_arg_type(js: Js, name: ArgName<'_>, expected: &str, received: Value) -> Error {
  let subject = match name {
    ArgName::Argument(name) => format!("The \"{name}\" argument"),
    ArgName::Property(name) => format!("The \"{name}\" property"),
  };
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
