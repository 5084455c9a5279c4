//! Raw Node-API entry points for the small, hot methods (`readInto`, `read`, `asBuffer`,
//! `updateRegion`, the u32 atomics, `RingBuffer.push`/`pop`), installed over the napi-rs ones at
//! load time.
//!
//! Why: a napi-rs 3.16 method call on `&self` registers the borrow in a process-wide
//! `Mutex<HashMap>` and records it in thread-local scopes before and after the body, which costs
//! about 300 ns on this project's machines; an 8-byte `readInto` through it took ~500 ns against
//! a target of 150 ns. These callbacks do what that glue guarantees that matters here (the receiver
//! is checked with the class's type tag before it is unwrapped, and a panic becomes a JS error)
//! and then run the very same bodies as the `#[napi]` methods (`Span`, `RingBuffer`), so behaviour
//! and errors are identical. The `#[napi]` methods stay: they provide the typings and documentation.
//! No method of these classes takes `&mut self`, so handing out `&T` here cannot alias a `&mut T`.

use std::ffi::c_void;
use std::ptr;

use napi::bindgen_prelude::*;
use napi::sys;

use crate::file::MemoryMappedFile;
use crate::js::{ErrorClass, Js, Value};
use crate::ring::RingBuffer;
use crate::scan_methods::ScanTarget;

/// Installs the fast paths on the classes' prototypes.
pub fn install(js: Js, exports: Value) -> Result<()> {
  let file = js.get(js.get(exports, "MemoryMappedFile")?, "prototype")?;
  define(js, file, "readInto", read_into)?;
  define(js, file, "read", read)?;
  define(js, file, "asBuffer", as_buffer)?;
  define(js, file, "updateRegion", update_region)?;
  define(js, file, "atomicLoadU32", atomic_load_u32)?;
  define(js, file, "atomicStoreU32", atomic_store_u32)?;
  define(js, file, "atomicAddU32", atomic_add_u32)?;
  let ring = js.get(js.get(exports, "RingBuffer")?, "prototype")?;
  define(js, ring, "push", ring_push)?;
  define(js, ring, "pop", ring_pop)?;
  // Internal, for the pooled `pop` in shims.js (which removes it from the prototype).
  define(js, ring, "__popIntoPool", ring_pop_into_pool)?;
  Ok(())
}

type Callback = unsafe extern "C" fn(sys::napi_env, sys::napi_callback_info) -> sys::napi_value;

fn define(js: Js, prototype: Value, name: &str, callback: Callback) -> Result<()> {
  let mut function = ptr::null_mut();
  // SAFETY: `callback` matches `napi_callback`; the name is passed with its length.
  let status = unsafe {
    sys::napi_create_function(
      js.0,
      name.as_ptr().cast(),
      name.len() as isize,
      Some(callback),
      ptr::null_mut(),
      &mut function,
    )
  };
  if status != sys::Status::napi_ok {
    return Err(Error::new(
      Status::from(status),
      format!("Could not create {name}"),
    ));
  }
  js.set(prototype, name, function)
}

/// The receiver (checked to be a `T` by its type tag, then unwrapped) and up to `N` arguments
/// (`undefined` for missing ones).
///
/// # Safety
/// `env` and `info` must be those of the current callback.
unsafe fn receiver<'a, T: TypeTag + TypeName, const N: usize>(
  env: sys::napi_env,
  info: sys::napi_callback_info,
) -> Result<(&'a T, [Value; N])> {
  let mut argc = N;
  let mut args = [ptr::null_mut(); N];
  let mut this = ptr::null_mut();
  // SAFETY: `args` has room for `argc` values; the other out-pointers are valid.
  let status = unsafe {
    sys::napi_get_cb_info(
      env,
      info,
      &mut argc,
      args.as_mut_ptr(),
      &mut this,
      ptr::null_mut(),
    )
  };
  if status != sys::Status::napi_ok {
    return Err(Error::new(
      Status::from(status),
      "Could not read the call's arguments",
    ));
  }
  if argc < N {
    let undefined = Js(env).undefined()?;
    for slot in &mut args[argc..] {
      *slot = undefined;
    }
  }
  let mut tagged = false;
  // SAFETY: `this` is a live handle; rejects any receiver that is not a `T` before the cast below.
  let status = unsafe { sys::napi_check_object_type_tag(env, this, &T::type_tag(), &mut tagged) };
  if status != sys::Status::napi_ok || !tagged {
    let js = Js(env);
    let message = format!("Value of \"this\" must be of type {}", T::type_name());
    return Err(js.into_error(js.error(ErrorClass::TypeError, "ERR_INVALID_THIS", &message)?));
  }
  let mut wrapped: *mut c_void = ptr::null_mut();
  // SAFETY: `this` carries `T`'s tag, so napi-rs wrapped a `Box<T>` in it; the object (and so
  // the box) outlives this call.
  let status = unsafe { sys::napi_unwrap(env, this, &mut wrapped) };
  if status != sys::Status::napi_ok || wrapped.is_null() {
    return Err(Error::new(
      Status::from(status),
      format!("Could not unwrap {}", T::type_name()),
    ));
  }
  // SAFETY: see above; only shared references to these classes ever exist.
  Ok((unsafe { &*wrapped.cast::<T>() }, args))
}

/// Runs `body`, turning an error or a panic into a thrown JS exception.
///
/// # Safety
/// `env` must be the current callback's.
unsafe fn run(env: sys::napi_env, body: impl FnOnce() -> Result<Value>) -> sys::napi_value {
  let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(body))
    .unwrap_or_else(|panic| Err(Error::from_reason(panic_message(&panic))));
  match outcome {
    Ok(value) => value,
    Err(error) => {
      // SAFETY: throwing on the callback's env; the returned null is ignored by Node.
      unsafe { JsError::from(error).throw_into(env) };
      ptr::null_mut()
    }
  }
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
  panic
    .downcast_ref::<&str>()
    .map(|s| s.to_string())
    .or_else(|| panic.downcast_ref::<String>().cloned())
    .unwrap_or_else(|| "a Rust panic in mmapkit".into())
}

unsafe extern "C" fn read_into(
  env: sys::napi_env,
  info: sys::napi_callback_info,
) -> sys::napi_value {
  // SAFETY: the callback's own env and info.
  unsafe {
    run(env, || {
      let (file, [offset, target]) = receiver::<MemoryMappedFile, 2>(env, info)?;
      let env_ref = Env::from_raw(env);
      let count = file.span().read_into(&env_ref, offset, target)?;
      Js(env).number(count)
    })
  }
}

unsafe extern "C" fn read(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
  // SAFETY: the callback's own env and info.
  unsafe {
    run(env, || {
      let (file, [offset, length]) = receiver::<MemoryMappedFile, 2>(env, info)?;
      let env_ref = Env::from_raw(env);
      Ok(file.span().read(&env_ref, offset, length)?.raw())
    })
  }
}

unsafe extern "C" fn as_buffer(
  env: sys::napi_env,
  info: sys::napi_callback_info,
) -> sys::napi_value {
  // SAFETY: the callback's own env and info.
  unsafe {
    run(env, || {
      let (file, [offset, length]) = receiver::<MemoryMappedFile, 2>(env, info)?;
      let env_ref = Env::from_raw(env);
      // Missing arguments arrive as `undefined`, which `as_buffer` reads as "not given".
      Ok(
        file
          .span()
          .as_buffer(&env_ref, Some(offset), Some(length))?
          .raw(),
      )
    })
  }
}

unsafe extern "C" fn update_region(
  env: sys::napi_env,
  info: sys::napi_callback_info,
) -> sys::napi_value {
  // SAFETY: the callback's own env and info.
  unsafe {
    run(env, || {
      let (file, [offset, data]) = receiver::<MemoryMappedFile, 2>(env, info)?;
      file
        .span()
        .update_region(&Env::from_raw(env), offset, data)?;
      Js(env).undefined()
    })
  }
}

unsafe extern "C" fn atomic_load_u32(
  env: sys::napi_env,
  info: sys::napi_callback_info,
) -> sys::napi_value {
  // SAFETY: the callback's own env and info.
  unsafe {
    run(env, || {
      let (file, [offset]) = receiver::<MemoryMappedFile, 1>(env, info)?;
      let value = file.atomic_load_u32_impl(&Env::from_raw(env), offset)?;
      Js(env).number(f64::from(value))
    })
  }
}

unsafe extern "C" fn atomic_store_u32(
  env: sys::napi_env,
  info: sys::napi_callback_info,
) -> sys::napi_value {
  // SAFETY: the callback's own env and info.
  unsafe {
    run(env, || {
      let (file, [offset, value]) = receiver::<MemoryMappedFile, 2>(env, info)?;
      file.atomic_store_u32_impl(&Env::from_raw(env), offset, value)?;
      Js(env).undefined()
    })
  }
}

unsafe extern "C" fn atomic_add_u32(
  env: sys::napi_env,
  info: sys::napi_callback_info,
) -> sys::napi_value {
  // SAFETY: the callback's own env and info.
  unsafe {
    run(env, || {
      let (file, [offset, delta]) = receiver::<MemoryMappedFile, 2>(env, info)?;
      let previous = file.atomic_add_u32_impl(&Env::from_raw(env), offset, delta)?;
      Js(env).number(f64::from(previous))
    })
  }
}

unsafe extern "C" fn ring_push(
  env: sys::napi_env,
  info: sys::napi_callback_info,
) -> sys::napi_value {
  // SAFETY: the callback's own env and info.
  unsafe {
    run(env, || {
      let (ring, [message]) = receiver::<RingBuffer, 1>(env, info)?;
      let pushed = ring.push_impl(&Env::from_raw(env), message)?;
      Js(env).boolean(pushed)
    })
  }
}

unsafe extern "C" fn ring_pop(
  env: sys::napi_env,
  info: sys::napi_callback_info,
) -> sys::napi_value {
  // SAFETY: the callback's own env and info.
  unsafe {
    run(env, || {
      let (ring, []) = receiver::<RingBuffer, 0>(env, info)?;
      match ring.pop_impl(&Env::from_raw(env))? {
        Some(message) => {
          let (buffer, data) = Js(env).new_buffer(message.len())?;
          ptr::copy_nonoverlapping(message.as_ptr(), data, message.len());
          Ok(buffer)
        }
        None => Js(env).null(),
      }
    })
  }
}

/// `ring.__popIntoPool(pool, offset)`: pops the next message into `pool` at `offset`. Returns its
/// length, -1 when the ring is empty, or `-2 - length` when it does not fit in what is left of
/// the pool (the message then stays in the ring).
unsafe extern "C" fn ring_pop_into_pool(
  env: sys::napi_env,
  info: sys::napi_callback_info,
) -> sys::napi_value {
  // SAFETY: the callback's own env and info.
  unsafe {
    run(env, || {
      let (ring, [pool, offset]) = receiver::<RingBuffer, 2>(env, info)?;
      let js = Js(env);
      let pool = crate::args::uint8_array(js, pool, "pool")?;
      let offset =
        crate::args::index(js, offset, crate::errors::ArgName::Argument("offset"))? as usize;
      let room = pool.len.saturating_sub(offset);
      // SAFETY: `pool` is a live Uint8Array of `len` bytes for this call; the slice is its tail.
      let target = std::slice::from_raw_parts_mut(pool.data.add(offset.min(pool.len)), room);
      let result = match ring.pop_into_impl(&Env::from_raw(env), target)? {
        mmapkit_core::ring::Taken::Message(len) => len as f64,
        mmapkit_core::ring::Taken::Empty => -1.0,
        mmapkit_core::ring::Taken::TooLarge(len) => -2.0 - len as f64,
      };
      js.number(result)
    })
  }
}
