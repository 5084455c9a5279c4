//! `AbortSignal` support for the async twins, with Node's semantics rather than napi-rs's: the
//! listener is added with `addEventListener` (a user's `onabort` is left alone), an already-aborted
//! signal rejects without doing the work, and the rejection is an `AbortError` with
//! `code: 'ABORT_ERR'` and `cause: signal.reason`.

use std::ffi::c_void;
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi::sys;

use crate::js::{ErrorClass, Js, Value};
use crate::raw_arguments::reject;

/// Watches one optional `AbortSignal` for one async call.
pub struct AbortWatch {
  flag: Arc<AtomicBool>,
  /// Strong references to the signal and our listener; `None` without a signal.
  handles: Option<(sys::napi_ref, sys::napi_ref)>,
}

// SAFETY: `handles` are only created and used on the JS thread (in `new`, `abort_error` and
// `release`, which run in the #[napi] call and in `Task::resolve`/`finally`); the worker thread
// only reads the atomic flag.
unsafe impl Send for AbortWatch {}

impl AbortWatch {
  /// A watch with no signal: never aborts.
  pub fn none() -> Self {
    AbortWatch {
      flag: Arc::new(AtomicBool::new(false)),
      handles: None,
    }
  }

  /// Starts watching `signal` (validated as an `AbortSignal`), if given. A getter of the signal
  /// that throws makes this fail with what it threw (no exception is left pending, so the call's
  /// promise rejects with it).
  pub fn new(js: Js, signal: Option<Value>) -> Result<Self> {
    let Some(signal) = signal else {
      return Ok(Self::none());
    };
    Self::watch(js, signal).map_err(|e| take_exception(js).unwrap_or(e))
  }

  fn watch(js: Js, signal: Value) -> Result<Self> {
    // The JS layer checked the signal (`validateAbortSignal`); its getters run again here, and a
    // signal whose `aborted` or `addEventListener` changed meanwhile is refused with the same error.
    let refused = || reject(js, "abortSignal", signal, "options.signal");
    if js.type_of(signal)? != ValueType::Object {
      return Err(refused());
    }
    let aborted = js.get(signal, "aborted")?;
    let add_listener = js.get(signal, "addEventListener")?;
    if js.type_of(aborted)? != ValueType::Boolean
      || js.type_of(add_listener)? != ValueType::Function
    {
      return Err(refused());
    }
    let flag = Arc::new(AtomicBool::new(js.get_bool(aborted)?));

    let listener = create_listener(js, &flag)?;
    let event = js.string("abort")?;
    js.call(signal, add_listener, &[event, listener])?;
    let handles = (strong_ref(js, signal)?, strong_ref(js, listener)?);
    Ok(AbortWatch {
      flag,
      handles: Some(handles),
    })
  }

  /// Whether the signal has fired (readable from any thread).
  pub fn is_aborted(&self) -> bool {
    self.flag.load(Ordering::SeqCst)
  }

  /// The shared flag, for loops on a worker thread that stop early.
  pub fn flag(&self) -> Arc<AtomicBool> {
    Arc::clone(&self.flag)
  }

  /// Node's `AbortError`: `name: 'AbortError'`, `code: 'ABORT_ERR'`, `cause: signal.reason`.
  pub fn abort_error(&self, js: Js) -> Error {
    let build = || -> Result<Value> {
      let error = js.error(ErrorClass::Error, "ABORT_ERR", "The operation was aborted")?;
      js.set(error, "name", js.string("AbortError")?)?;
      if let Some((signal, _)) = self.handles {
        let signal = deref(js, signal)?;
        // A `reason` getter that throws: the AbortError goes without a cause, and what the getter
        // threw is dropped rather than left pending (it would surface as an uncaughtException and
        // the promise would never settle).
        match js.get(signal, "reason") {
          Ok(reason) => js.set(error, "cause", reason)?,
          Err(_) => drop(take_exception(js)),
        }
      }
      Ok(error)
    };
    match build() {
      Ok(value) => js.into_error(value),
      Err(e) => e,
    }
  }

  /// Removes the listener and drops the references. Call once, on the JS thread.
  pub fn release(&mut self, js: Js) {
    if let Some((signal_ref, listener_ref)) = self.handles.take() {
      let _ = (|| -> Result<()> {
        let signal = deref(js, signal_ref)?;
        let listener = deref(js, listener_ref)?;
        let remove = js.get(signal, "removeEventListener")?;
        if js.type_of(remove)? == ValueType::Function {
          js.call(signal, remove, &[js.string("abort")?, listener])?;
        }
        Ok(())
      })();
      // A `removeEventListener` that throws must not leave the exception pending.
      drop(take_exception(js));
      // SAFETY: both references were created in `new` in this env and are deleted only here.
      unsafe {
        sys::napi_delete_reference(js.0, signal_ref);
        sys::napi_delete_reference(js.0, listener_ref);
      }
    }
  }
}

/// An error from Node-API itself (never expected): `ERR_INTERNAL_ASSERTION`, as Node names its own
/// "this cannot happen" errors, rather than a napi-rs status code.
fn internal(js: Js, message: &str) -> Error {
  crate::node_error::coded_error(js, "ERR_INTERNAL_ASSERTION", &format!("mmapkit: {message}"))
}

/// Clears the pending JS exception, if any, and returns it as an error that rejects with it.
fn take_exception(js: Js) -> Option<Error> {
  let mut pending = false;
  // SAFETY: a valid out-pointer; callable with or without a pending exception.
  let status = unsafe { sys::napi_is_exception_pending(js.0, &mut pending) };
  if status != sys::Status::napi_ok || !pending {
    return None;
  }
  let mut exception = ptr::null_mut();
  // SAFETY: an exception is pending; this clears it and hands us its value.
  let status = unsafe { sys::napi_get_and_clear_last_exception(js.0, &mut exception) };
  (status == sys::Status::napi_ok && !exception.is_null()).then(|| js.into_error(exception))
}

fn strong_ref(js: Js, value: Value) -> Result<sys::napi_ref> {
  let mut out = ptr::null_mut();
  // SAFETY: `value` is a live handle; refcount 1 keeps it alive until deleted in `release`.
  let status = unsafe { sys::napi_create_reference(js.0, value, 1, &mut out) };
  if status != sys::Status::napi_ok {
    return Err(internal(js, "Could not reference the AbortSignal"));
  }
  Ok(out)
}

fn deref(js: Js, reference: sys::napi_ref) -> Result<Value> {
  let mut out = ptr::null_mut();
  // SAFETY: `reference` is a live strong reference of this env.
  let status = unsafe { sys::napi_get_reference_value(js.0, reference, &mut out) };
  if status != sys::Status::napi_ok || out.is_null() {
    return Err(internal(js, "The AbortSignal reference is gone"));
  }
  Ok(out)
}

/// A JS function that sets `flag` when called; the function owns one count of the Arc.
fn create_listener(js: Js, flag: &Arc<AtomicBool>) -> Result<Value> {
  let data = Arc::into_raw(Arc::clone(flag)) as *mut c_void;
  let mut function = ptr::null_mut();
  let name = "onMmapkitAbort";
  // SAFETY: `on_abort` matches napi_callback; `data` stays valid until `free_flag` runs.
  let status = unsafe {
    sys::napi_create_function(
      js.0,
      name.as_ptr().cast(),
      name.len() as isize,
      Some(on_abort),
      data,
      &mut function,
    )
  };
  if status != sys::Status::napi_ok {
    // SAFETY: the function was not created, so we still own the count we leaked above.
    drop(unsafe { Arc::from_raw(data as *const AtomicBool) });
    return Err(internal(js, "Could not create the abort listener"));
  }
  // SAFETY: ties the Arc count to the function's lifetime; `free_flag` reclaims it exactly once.
  let status = unsafe {
    sys::napi_add_finalizer(
      js.0,
      function,
      data,
      Some(free_flag),
      ptr::null_mut(),
      ptr::null_mut(),
    )
  };
  if status != sys::Status::napi_ok {
    // SAFETY: no finalizer was attached, so the count is still ours to drop.
    drop(unsafe { Arc::from_raw(data as *const AtomicBool) });
    return Err(internal(js, "Could not attach the abort listener"));
  }
  Ok(function)
}

unsafe extern "C" fn on_abort(
  env: sys::napi_env,
  info: sys::napi_callback_info,
) -> sys::napi_value {
  let mut data: *mut c_void = ptr::null_mut();
  let mut argc = 0usize;
  // SAFETY: asks only for the data pointer; `argc = 0` means no argument slots are written.
  let status = unsafe {
    sys::napi_get_cb_info(
      env,
      info,
      &mut argc,
      ptr::null_mut(),
      ptr::null_mut(),
      &mut data,
    )
  };
  if status == sys::Status::napi_ok && !data.is_null() {
    // SAFETY: `data` is the AtomicBool of an Arc the function keeps alive (see create_listener).
    unsafe { &*(data as *const AtomicBool) }.store(true, Ordering::SeqCst);
  }
  ptr::null_mut()
}

unsafe extern "C" fn free_flag(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
  // SAFETY: `data` is the count leaked in `create_listener`, reclaimed once by this finalizer.
  drop(unsafe { Arc::from_raw(data as *const AtomicBool) });
}
