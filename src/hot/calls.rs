//! The raw Node-API callbacks of the hot calls and the object that carries them to the JS layer.

use std::ptr;
use std::rc::Rc;
use std::sync::Arc;

use mmapkit_core::ring::Taken;
use mmapkit_core::RingBuffer as CoreRing;
use napi::bindgen_prelude::*;
use napi::sys;

use crate::atomics::{atomic, Atomic};
use crate::chunks::ChunkIterator;
use crate::file::MemoryMappedFile;
use crate::hot_handles::{self as handles, Target};
use crate::js::{ErrorClass, Js, Value};
use crate::line_iterator::LineIterator;
use crate::match_iterator::MatchIterator;
use crate::raw_arguments as args;
use crate::ring::RingBuffer;
use crate::segment::Segment;
use crate::span::Span;
use crate::views::set_max_view_length;

/// The classes `register` knows, by the number the JS layer passes.
const KIND_FILE: u32 = 0;
const KIND_SEGMENT: u32 = 1;
const KIND_RING: u32 = 2;
const KIND_CHUNKS: u32 = 3;
const KIND_LINES: u32 = 4;
const KIND_MATCHES: u32 = 5;

/// The object of raw functions that `lib/hot.js` turns into methods (one table for every class).
pub fn functions(js: Js) -> Result<Value> {
  let object = Object::new(&Env::from_raw(js.0))?.raw();
  let entries: [(&str, Callback); 16] = [
    ("register", register),
    ("configure", configure),
    ("readInto", read_into),
    ("read", read),
    ("asBuffer", as_buffer),
    ("updateRegion", update_region),
    ("atomicLoadU32", atomic_load_u32),
    ("atomicStoreU32", atomic_store_u32),
    ("atomicAddU32", atomic_add_u32),
    ("atomicCompareExchangeU32", atomic_compare_exchange_u32),
    ("atomicLoadU64", atomic_load_u64),
    ("atomicStoreU64", atomic_store_u64),
    ("atomicAddU64", atomic_add_u64),
    ("atomicCompareExchangeU64", atomic_compare_exchange_u64),
    ("ringPush", ring_push),
    ("ringPopInto", ring_pop_into),
  ];
  for (name, callback) in entries {
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
    js.set(object, name, function)?;
  }
  Ok(object)
}

type Callback = unsafe extern "C" fn(sys::napi_env, sys::napi_callback_info) -> sys::napi_value;

/// `ERR_INVALID_THIS`, as Node words it.
fn invalid_this(js: Js, class: &str) -> Error {
  let message = format!("Value of \"this\" must be of type {class}");
  match js.error(ErrorClass::TypeError, "ERR_INVALID_THIS", &message) {
    Ok(error) => js.into_error(error),
    Err(error) => error,
  }
}

/// The live target behind `handle`, or `ERR_INVALID_THIS`.
fn target(js: Js, handle: Value, class: &str) -> Result<Rc<Target>> {
  let number = args::number(js, handle).unwrap_or(-1.0);
  handles::lookup(number).ok_or_else(|| invalid_this(js, class))
}

/// The span (file or segment) behind a handle.
struct SpanRef(Rc<Target>);

impl std::ops::Deref for SpanRef {
  type Target = Span;
  fn deref(&self) -> &Span {
    match &*self.0 {
      Target::Span { span, .. } => span,
      Target::Ring(_) => unreachable!("checked in `span_of`"),
    }
  }
}

fn span_of(js: Js, handle: Value) -> Result<SpanRef> {
  let target = target(js, handle, "MemoryMappedFile")?;
  match &*target {
    Target::Span { .. } => Ok(SpanRef(target)),
    Target::Ring(_) => Err(invalid_this(js, "MemoryMappedFile")),
  }
}

/// Atomics are methods of files only (their offsets are mapping offsets).
fn file_of(js: Js, handle: Value) -> Result<SpanRef> {
  let target = target(js, handle, "MemoryMappedFile")?;
  match &*target {
    Target::Span { whole: true, .. } => Ok(SpanRef(target)),
    _ => Err(invalid_this(js, "MemoryMappedFile")),
  }
}

fn ring_of(js: Js, handle: Value) -> Result<Arc<CoreRing>> {
  match &*target(js, handle, "RingBuffer")? {
    Target::Ring(ring) => Ok(Arc::clone(ring)),
    Target::Span { .. } => Err(invalid_this(js, "RingBuffer")),
  }
}

/// The call's first `N` arguments (`undefined` for missing ones).
///
/// # Safety
/// `env` and `info` must be those of the current callback.
unsafe fn arguments<const N: usize>(
  env: sys::napi_env,
  info: sys::napi_callback_info,
) -> Result<[Value; N]> {
  let mut argc = N;
  let mut argv = [ptr::null_mut(); N];
  // SAFETY: `argv` has room for `argc` values; `env`/`info` are the callback's (caller's contract).
  let status = unsafe {
    sys::napi_get_cb_info(
      env,
      info,
      &mut argc,
      argv.as_mut_ptr(),
      ptr::null_mut(),
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
    for slot in &mut argv[argc..] {
      *slot = undefined;
    }
  }
  Ok(argv)
}

/// The object of class `T` that `value` wraps, checked by the class's type tag first.
///
/// # Safety
/// `env` must be the current callback's and `value` one of its handles.
unsafe fn unwrap_checked<'a, T: TypeTag + TypeName>(
  env: sys::napi_env,
  value: Value,
) -> Result<&'a T> {
  let js = Js(env);
  let mut tagged = false;
  // SAFETY: `value` is a live handle (caller's contract); a non-object just reports untagged.
  let status = unsafe { sys::napi_check_object_type_tag(env, value, &T::type_tag(), &mut tagged) };
  if status != sys::Status::napi_ok || !tagged {
    return Err(invalid_this(js, T::type_name()));
  }
  let mut wrapped = ptr::null_mut();
  // SAFETY: `value` carries `T`'s tag, so napi-rs wrapped a `Box<T>` in it, alive as long as it.
  let status = unsafe { sys::napi_unwrap(env, value, &mut wrapped) };
  if status != sys::Status::napi_ok || wrapped.is_null() {
    return Err(invalid_this(js, T::type_name()));
  }
  // SAFETY: see above; these classes have no `&mut self` methods, so a shared reference is sound.
  Ok(unsafe { &*wrapped.cast::<T>() })
}

/// Runs `body`, turning an error or a panic into a thrown JS exception.
///
/// # Safety
/// `env` must be the current callback's.
unsafe fn run(env: sys::napi_env, body: impl FnOnce(Js) -> Result<Value>) -> sys::napi_value {
  let js = Js(env);
  let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| body(js)))
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

/// Declares a raw callback: `fn name(js, [args; N]) -> Result<Value>`.
macro_rules! callback {
  ($name:ident, $n:literal, |$js:ident, $args:pat_param| $body:expr) => {
    unsafe extern "C" fn $name(
      env: sys::napi_env,
      info: sys::napi_callback_info,
    ) -> sys::napi_value {
      let body = |$js: Js| -> Result<Value> {
        // SAFETY: the callback's own env and info.
        let $args = unsafe { arguments::<$n>(env, info) }?;
        $body
      };
      // SAFETY: the callback's own env.
      unsafe { run(env, body) }
    }
  };
}

/// A handle for `cell`'s object, made on first use.
fn handle_in(
  js: Js,
  cell: &std::cell::Cell<Option<f64>>,
  make: impl FnOnce() -> Target,
) -> Result<Value> {
  let handle = match cell.get() {
    Some(handle) => handle,
    None => {
      let handle = handles::insert(make()).ok_or_else(|| {
        Error::from_reason("Too many live mmapkit objects on this thread (1,048,576)")
      })?;
      cell.set(Some(handle));
      handle
    }
  };
  js.number(handle)
}

// `register(kind, object)`: checks that `object` is an instance of the class `kind` names (else
// `ERR_INVALID_THIS`) and returns its handle (0 for classes without hot calls).
callback!(register, 2, |js, [kind, object]| {
  let kind = if js.type_of(kind)? == ValueType::Number {
    js.get_f64(kind)? as u32
  } else {
    u32::MAX
  };
  match kind {
    KIND_FILE => {
      // SAFETY: `object` is an argument of this callback, so a live handle of its env.
      let file = unsafe { unwrap_checked::<MemoryMappedFile>(js.0, object)? };
      handle_in(js, &file.handle, || Target::Span {
        span: file.span_clone(),
        whole: true,
      })
    }
    KIND_SEGMENT => {
      // SAFETY: `object` is an argument of this callback, so a live handle of its env.
      let segment = unsafe { unwrap_checked::<Segment>(js.0, object)? };
      handle_in(js, &segment.handle, || Target::Span {
        span: segment.span_clone(),
        whole: false,
      })
    }
    KIND_RING => {
      // SAFETY: `object` is an argument of this callback, so a live handle of its env.
      let ring = unsafe { unwrap_checked::<RingBuffer>(js.0, object)? };
      handle_in(js, &ring.handle, || Target::Ring(ring.core()))
    }
    KIND_CHUNKS => {
      // SAFETY: `object` is an argument of this callback, so a live handle of its env.
      unsafe { unwrap_checked::<ChunkIterator>(js.0, object)? };
      js.number(0.0)
    }
    KIND_LINES => {
      // SAFETY: `object` is an argument of this callback, so a live handle of its env.
      unsafe { unwrap_checked::<LineIterator>(js.0, object)? };
      js.number(0.0)
    }
    KIND_MATCHES => {
      // SAFETY: `object` is an argument of this callback, so a live handle of its env.
      unsafe { unwrap_checked::<MatchIterator>(js.0, object)? };
      js.number(0.0)
    }
    _ => Err(Error::from_reason("mmapkit: unknown class kind")),
  }
});

// `configure(maxBufferLength, rejectArgument)`, once at load: the runtime's
// `buffer.constants.MAX_LENGTH`, and the JS layer's function that throws the error for a refused
// argument (see `raw_arguments::reject`).
callback!(configure, 2, |js, [max_length, reject_argument]| {
  if js.type_of(max_length)? == ValueType::Number {
    set_max_view_length(js.get_f64(max_length)? as u64);
  }
  if js.type_of(reject_argument)? == ValueType::Function {
    args::set_reject(js, reject_argument)?;
  }
  js.undefined()
});

callback!(read_into, 3, |js, [handle, offset, target]| {
  let env = Env::from_raw(js.0);
  js.number(span_of(js, handle)?.read_into(&env, offset, target)?)
});

callback!(read, 3, |js, [handle, offset, length]| {
  let env = Env::from_raw(js.0);
  Ok(span_of(js, handle)?.read(&env, offset, length)?.raw())
});

callback!(as_buffer, 3, |js, [handle, offset, length]| {
  let env = Env::from_raw(js.0);
  // Missing arguments arrive as `undefined`, which `as_buffer` reads as "not given".
  Ok(span_of(js, handle)?.as_buffer(&env, offset, length)?.raw())
});

// Returns no value (a null `napi_value`), which Node-API turns into `undefined` without the
// `napi_get_undefined` call.
callback!(update_region, 3, |js, [handle, offset, data]| {
  span_of(js, handle)?.update_region(&Env::from_raw(js.0), offset, data)?;
  Ok(ptr::null_mut())
});

/// Declares the hot call of one atomic operation: `(handle, offset, a?, b?)`.
macro_rules! atomic_callback {
  ($name:ident, $operation:ident) => {
    callback!($name, 4, |js, [handle, offset, a, b]| {
      atomic(
        &*file_of(js, handle)?,
        &Env::from_raw(js.0),
        Atomic::$operation,
        [offset, a, b],
      )
    });
  };
}

atomic_callback!(atomic_load_u32, LoadU32);
atomic_callback!(atomic_store_u32, StoreU32);
atomic_callback!(atomic_add_u32, AddU32);
atomic_callback!(atomic_compare_exchange_u32, CompareExchangeU32);
atomic_callback!(atomic_load_u64, LoadU64);
atomic_callback!(atomic_store_u64, StoreU64);
atomic_callback!(atomic_add_u64, AddU64);
atomic_callback!(atomic_compare_exchange_u64, CompareExchangeU64);

callback!(ring_push, 2, |js, [handle, message]| {
  let ring = ring_of(js, handle)?;
  let pushed = RingBuffer::push_on(&ring, &Env::from_raw(js.0), message)?;
  js.boolean(pushed)
});

// `ringPopInto(handle, target)`: pops the next message into `target` (from its start). Returns its
// length, -1 when the ring is empty, or `-2 - length` when it does not fit in `target` (the
// message then stays in the ring).
callback!(ring_pop_into, 2, |js, [handle, target]| {
  let ring = ring_of(js, handle)?;
  let target = args::uint8_array(js, target, "target")?;
  // SAFETY: `target` is a live Uint8Array of `len` bytes for this call, a fresh Buffer of the JS
  // layer's own that aliases no mapping.
  let bytes = unsafe { std::slice::from_raw_parts_mut(target.data, target.len) };
  let result = match RingBuffer::pop_into_on(&ring, &Env::from_raw(js.0), bytes)? {
    Taken::Message(len) => len as f64,
    Taken::Empty => -1.0,
    Taken::TooLarge(len) => -2.0 - len as f64,
  };
  js.number(result)
});
