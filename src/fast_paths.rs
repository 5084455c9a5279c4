//! Raw Node-API functions behind the small, hot methods (`readInto`, `read`, `asBuffer`,
//! `updateRegion`, the atomics, `RingBuffer.push`/`pop`); `shims.js` installs the methods.
//!
//! Why: a napi-rs 3.16 method call on `&self` registers the borrow in a process-wide
//! `Mutex<HashMap>` and records it in thread-local scopes, and identifying the receiver takes two
//! private-symbol lookups (`napi_check_object_type_tag`, `napi_unwrap`); an 8-byte `readInto` cost
//! ~500 ns that way, against a target of 150 ns. Here each object is registered once: the first
//! call checks the receiver with the class's type tag, unwraps it, and stores what the methods need
//! (a `Span` or the ring) in a per-thread table under a numeric handle, which the JS method keeps
//! on the object (a symbol-keyed property). Later calls pass the handle as a plain argument. A
//! handle names a live table entry or nothing (entries carry a generation and are removed when
//! their object is finalized), so a forged or stale handle is an error, never a wrong pointer.
//! The bodies are the very same as the `#[napi]` methods', which stay for the typings.

use std::cell::RefCell;
use std::ptr;
use std::rc::Rc;
use std::sync::Arc;

use mmapkit_core::ring::Taken;
use mmapkit_core::RingBuffer as CoreRing;
use napi::bindgen_prelude::*;
use napi::sys;

use crate::args;
use crate::atomics::{atomic, Atomic};
use crate::errors::ArgName;
use crate::file::MemoryMappedFile;
use crate::js::{ErrorClass, Js, Value};
use crate::ring::RingBuffer;
use crate::span::Span;

/// What a handle stands for (behind an `Rc`, so a lookup costs one non-atomic increment).
enum Target {
  File(Span),
  Ring(Arc<CoreRing>),
}

/// The per-thread table of registered objects (each JS thread has its own objects).
#[derive(Default)]
struct Table {
  slots: Vec<(u32, Option<Rc<Target>>)>,
  free: Vec<u32>,
}

thread_local! {
  static TABLE: RefCell<Table> = RefCell::new(Table::default());
}

/// Handles are `generation * 2**21 + index`: a safe integer for any realistic table.
const INDEX_BITS: u32 = 21;

fn insert(target: Target) -> f64 {
  TABLE.with(|table| {
    let mut table = table.borrow_mut();
    let index = match table.free.pop() {
      Some(index) => index,
      None => {
        table.slots.push((0, None));
        (table.slots.len() - 1) as u32
      }
    };
    let slot = &mut table.slots[index as usize];
    slot.0 = slot.0.wrapping_add(1) & 0x7fff_ffff;
    slot.1 = Some(Rc::new(target));
    f64::from(slot.0) * f64::from(1u32 << INDEX_BITS) + f64::from(index)
  })
}

/// Forgets a handle (called when its object is finalized).
pub fn remove(handle: f64) {
  TABLE.with(|table| {
    let mut table = table.borrow_mut();
    if let Some((index, generation)) = decode(handle) {
      if let Some(slot) = table.slots.get_mut(index as usize) {
        if slot.0 == generation && slot.1.take().is_some() {
          table.free.push(index);
        }
      }
    }
  })
}

fn decode(handle: f64) -> Option<(u32, u32)> {
  if !(handle >= 0.0 && handle.fract() == 0.0 && handle < 2f64.powi(52)) {
    return None;
  }
  let raw = handle as u64;
  Some((
    (raw & ((1 << INDEX_BITS) - 1)) as u32,
    (raw >> INDEX_BITS) as u32,
  ))
}

fn lookup(js: Js, handle: Value) -> Result<Rc<Target>> {
  let handle = if js.type_of(handle)? == ValueType::Number {
    js.get_f64(handle)?
  } else {
    -1.0
  };
  let found = decode(handle).and_then(|(index, generation)| {
    TABLE.with(|table| {
      let table = table.borrow();
      match table.slots.get(index as usize) {
        Some((g, Some(target))) if *g == generation => Some(Rc::clone(target)),
        _ => None,
      }
    })
  });
  found.ok_or_else(|| {
    js.error(
      ErrorClass::TypeError,
      "ERR_INVALID_THIS",
      "This mmapkit object handle is not valid",
    )
    .map(|e| js.into_error(e))
    .unwrap_or_else(|e| e)
  })
}

/// The file behind a handle.
struct FileRef(Rc<Target>);

impl std::ops::Deref for FileRef {
  type Target = Span;
  fn deref(&self) -> &Span {
    match &*self.0 {
      Target::File(span) => span,
      Target::Ring(_) => unreachable!("checked in file_span"),
    }
  }
}

fn file_span(js: Js, handle: Value) -> Result<FileRef> {
  let target = lookup(js, handle)?;
  match &*target {
    Target::File(_) => Ok(FileRef(target)),
    Target::Ring(_) => Err(Error::from_reason("not a MemoryMappedFile handle")),
  }
}

fn ring_of(js: Js, handle: Value) -> Result<Arc<CoreRing>> {
  match &*lookup(js, handle)? {
    Target::Ring(ring) => Ok(Arc::clone(ring)),
    Target::File(_) => Err(Error::from_reason("not a RingBuffer handle")),
  }
}

/// Builds the object of raw functions that `shims.js` turns into methods.
pub fn functions(js: Js) -> Result<Value> {
  let object = Object::new(&Env::from_raw(js.0))?.raw();
  let entries: [(&str, Callback); 16] = [
    ("registerFile", register_file),
    ("registerRing", register_ring),
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
    ("ringPopIntoPool", ring_pop_into_pool),
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

/// The call's first `N` arguments (`undefined` for missing ones) and its receiver.
///
/// # Safety
/// `env` and `info` must be those of the current callback.
unsafe fn arguments<const N: usize>(
  env: sys::napi_env,
  info: sys::napi_callback_info,
) -> Result<[Value; N]> {
  let mut argc = N;
  let mut argv = [ptr::null_mut(); N];
  // SAFETY: `argv` has room for `argc` values.
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
  // SAFETY: rejects anything that is not a `T` before the cast below.
  let status = unsafe { sys::napi_check_object_type_tag(env, value, &T::type_tag(), &mut tagged) };
  if status != sys::Status::napi_ok || !tagged {
    let message = format!("Value of \"this\" must be of type {}", T::type_name());
    return Err(js.into_error(js.error(ErrorClass::TypeError, "ERR_INVALID_THIS", &message)?));
  }
  let mut wrapped = ptr::null_mut();
  // SAFETY: `value` carries `T`'s tag, so napi-rs wrapped a `Box<T>` in it, alive as long as it.
  let status = unsafe { sys::napi_unwrap(env, value, &mut wrapped) };
  if status != sys::Status::napi_ok || wrapped.is_null() {
    return Err(Error::new(
      Status::from(status),
      format!("Could not unwrap {}", T::type_name()),
    ));
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

callback!(register_file, 1, |js, [object]| {
  // SAFETY: `object` is an argument of this callback.
  let file = unsafe { unwrap_checked::<MemoryMappedFile>(js.0, object)? };
  let handle = file.handle.get().unwrap_or_else(|| {
    let handle = insert(Target::File(file.span_clone()));
    file.handle.set(Some(handle));
    handle
  });
  js.number(handle)
});

callback!(register_ring, 1, |js, [object]| {
  // SAFETY: `object` is an argument of this callback.
  let ring = unsafe { unwrap_checked::<RingBuffer>(js.0, object)? };
  let handle = ring.handle.get().unwrap_or_else(|| {
    let handle = insert(Target::Ring(ring.core()));
    ring.handle.set(Some(handle));
    handle
  });
  js.number(handle)
});

callback!(read_into, 3, |js, [handle, offset, target]| {
  let env = Env::from_raw(js.0);
  js.number(file_span(js, handle)?.read_into(&env, offset, target)?)
});

callback!(read, 3, |js, [handle, offset, length]| {
  let env = Env::from_raw(js.0);
  Ok(file_span(js, handle)?.read(&env, offset, length)?.raw())
});

callback!(as_buffer, 3, |js, [handle, offset, length]| {
  let env = Env::from_raw(js.0);
  // Missing arguments arrive as `undefined`, which `as_buffer` reads as "not given".
  Ok(
    file_span(js, handle)?
      .as_buffer(&env, Some(offset), Some(length))?
      .raw(),
  )
});

callback!(update_region, 3, |js, [handle, offset, data]| {
  file_span(js, handle)?.update_region(&Env::from_raw(js.0), offset, data)?;
  js.undefined()
});

/// Declares the fast path of one atomic operation: `(handle, offset, a?, b?)`.
macro_rules! atomic_callback {
  ($name:ident, $operation:ident) => {
    callback!($name, 4, |js, [handle, offset, a, b]| {
      atomic(
        &*file_span(js, handle)?,
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

// `ringPopIntoPool(handle, pool, offset)`: pops the next message into `pool` at `offset`. Returns
// its length, -1 when the ring is empty, or `-2 - length` when it does not fit in what is left of
// the pool (the message then stays in the ring).
callback!(ring_pop_into_pool, 3, |js, [handle, pool, offset]| {
  let ring = ring_of(js, handle)?;
  let pool = args::uint8_array(js, pool, "pool")?;
  let offset = args::index(js, offset, ArgName::Argument("offset"))? as usize;
  let start = offset.min(pool.len);
  // SAFETY: `pool` is a live Uint8Array of `len` bytes for this call; the slice is its tail.
  let target = unsafe { std::slice::from_raw_parts_mut(pool.data.add(start), pool.len - start) };
  let result = match RingBuffer::pop_into_on(&ring, &Env::from_raw(js.0), target)? {
    Taken::Message(len) => len as f64,
    Taken::Empty => -1.0,
    Taken::TooLarge(len) => -2.0 - len as f64,
  };
  js.number(result)
});
