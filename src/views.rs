//! Zero-copy Buffers over a mapping.
//!
//! Each view is a Buffer of its own over that view's bytes only, so cloning or posting a small
//! view copies (or shares) a small buffer (issue 11). Where the runtime can make external
//! SharedArrayBuffers (Node 22.23+, 24.16+, 26.1+) the Buffer is over one of those: V8 does not
//! count them as external memory, and they cannot be transferred (see `shared_view` below).
//! Elsewhere it is an external Buffer (an ArrayBuffer). Its finalizer hint holds:
//! - an `Arc<Reservation>`: the address range stays mapped while the view's memory may be
//!   reached. `close()`/`resize()` replace the file's pages with private zero pages instead of
//!   unmapping (see mmapkit-core's reservation.rs), so a view, or native code still holding its
//!   pointer (a zlib job, a pending `fs.read`), reads zeros and writes into private memory, and
//!   the address is never given to another mapping. Views are therefore not detached: Node's own
//!   code checks lengths against buffers it is still working on (zlib aborts the process on a
//!   detached input), and nothing needs it any more.
//!   Node calls the finalizer when the *backing store* is freed (`CallbackInfo::OnBackingStoreFree`;
//!   the ArrayBuffer itself is only weakly tracked, without a callback), so a buffer moved by
//!   `transfer()` or a transfer list keeps the range alive until the moved buffer is collected too.
//!   The one exception is environment teardown (a worker exiting): Node then runs the finalizer
//!   while a moved copy may live in another thread, so the range is never released then (it stays
//!   reserved, as zero pages once its file is closed).
//! - an `Arc<MappedFile>`, so a view keeps its mapping open if the `MemoryMappedFile` object is
//!   garbage-collected first.
//!
//! Cost of a 16-byte `asBuffer` (callgrind, instructions a view including its collection; the
//! shared-ArrayBuffer design before issue 11 took 7,100-8,100): with an external SharedArrayBuffer
//! and `node_api_set_prototype` (Node 24, 26) ~6,500-7,300; with a SharedArrayBuffer and the
//! `__proto__` accessor (Node 22.23) ~8,100-9,300; with an external Buffer (Node 20) ~9,500-9,900,
//! of which Node-API's `napi_create_external_buffer` alone takes ~5,650 (`node::Buffer::New`: an
//! ArrayBuffer, a Uint8Array and its prototype, a private "untransferable" mark, a weak handle, a
//! cleanup hook and two allocations) and freeing it ~1,800 more (a thread-safe SetImmediate per
//! buffer, then the Node-API finalizer call): a floor no Node-API call avoids there.

use std::cell::Cell;
use std::ffi::c_void;
use std::ptr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use mmapkit_core::{MappedFile, Mode, RawView, Reservation};
use napi::bindgen_prelude::*;
use napi::sys;

use crate::js::{Js, Value};
use crate::node_error::coded_error;

/// The largest Buffer this runtime can create (`buffer.constants.MAX_LENGTH`), read at load time.
static MAX_VIEW_LENGTH: AtomicU64 = AtomicU64::new(u32::MAX as u64);

pub fn set_max_view_length(len: u64) {
  MAX_VIEW_LENGTH.store(len, Ordering::Relaxed);
}

pub fn max_view_length() -> u64 {
  MAX_VIEW_LENGTH.load(Ordering::Relaxed)
}

/// What a view's finalizer owns. Field order is drop order: the range first, so that when the
/// mapping's own `close` runs last it finds nobody else holding the range and unmaps it directly.
#[derive(Clone)]
struct ViewHint {
  reservation: Option<Arc<Reservation>>,
  _mapping: Arc<MappedFile>,
}

/// A Buffer aliasing `view` of `mapping`; `reservation` is the range the view lies in, as
/// [`MappedFile::held_view`] returned it with the view.
pub fn create(
  js: Js,
  mapping: &Arc<MappedFile>,
  view: RawView,
  reservation: Option<Arc<Reservation>>,
) -> Result<Value> {
  if view.len == 0 {
    return Ok(js.new_buffer(0)?.0);
  }
  let hint = Box::into_raw(Box::new(ViewHint {
    reservation,
    _mapping: Arc::clone(mapping),
  }));
  own_view(js, mapping, view, hint)
}

/// An external Buffer of its own for the view; `hint` (leaked) goes to the buffer's finalizer.
fn own_view(
  js: Js,
  mapping: &Arc<MappedFile>,
  view: RawView,
  hint: *mut ViewHint,
) -> Result<Value> {
  let hint = match shared_view(js, view, hint) {
    Ok(buffer) => return Ok(buffer),
    Err(hint) => hint,
  };
  let mut buffer = ptr::null_mut();
  // SAFETY: `view` lies inside the live mapping; the hint's `Arc<Reservation>` keeps the range
  // mapped (file pages, or private zero pages after close/resize) until the finalizer runs,
  // which Node does when the backing store is freed (see the module comment).
  let status = unsafe {
    sys::napi_create_external_buffer(
      js.0,
      view.len,
      view.ptr.cast(),
      Some(finalize_view),
      hint.cast(),
      &mut buffer,
    )
  };
  if status != sys::Status::napi_ok {
    // SAFETY: Node-API did not take ownership of the hint on failure; we reclaim it once.
    drop(unsafe { Box::from_raw(hint) });
    if status == sys::Status::napi_no_external_buffers_allowed {
      return copy_fallback(js, mapping, view);
    }
    return Err(Error::new(
      Status::from(status),
      "Could not create a view of the mapping",
    ));
  }
  uncount(js, view.len);
  Ok(buffer)
}

/// Runtimes that forbid external buffers (Electron's V8 sandbox): a copy is honest for readOnly
/// and copyOnWrite mappings, whose view writes never reach the file anyway; for readWrite a copy
/// would silently drop writes, so it is refused.
fn copy_fallback(js: Js, mapping: &Arc<MappedFile>, view: RawView) -> Result<Value> {
  if mapping.mode() == Mode::ReadWrite {
    return Err(coded_error(
      js,
      "ERR_MMAP_NO_ZERO_COPY",
      "This runtime forbids external buffers, so a readWrite mapping cannot hand out a \
       zero-copy view; use readInto() and updateRegion() instead",
    ));
  }
  let (buffer, data) = js.new_buffer(view.len)?;
  // SAFETY: `view` is inside the live mapping and `data` is the new Buffer's own memory.
  unsafe { ptr::copy_nonoverlapping(view.ptr, data, view.len) };
  Ok(buffer)
}

unsafe extern "C" fn finalize_view(env: sys::napi_env, _data: *mut c_void, hint: *mut c_void) {
  // SAFETY: `hint` is the Box leaked in `create`; Node-API calls this finalizer exactly once.
  let mut hint = unsafe { Box::from_raw(hint.cast::<ViewHint>()) };
  if env_is_stopping(env) {
    // Environment teardown (a worker exiting): Node calls this for every external buffer it
    // made, even one whose memory was moved to another thread and is still in use there. The
    // range must then stay reserved for the life of the process: leak this view's hold on it.
    // (Once the mapping is closed, by its own finalizer or `close`, the range holds zero pages and
    // no longer references the file: only address space is kept.)
    std::mem::forget(hint.reservation.take());
  }
  // Dropping the hint drops its holds: the range is unmapped once nothing holds it.
}

/// Whether `env` is being torn down: Node-API then refuses every call that could run JavaScript
/// (`napi_cannot_run_js`, or `napi_pending_exception` before Node-API 10), while it allows them in
/// the finalizers it runs from its event loop after a backing store was freed. The probe is
/// `napi_coerce_to_bool` of `undefined`: Node checks that it may run JavaScript before any
/// coercion (its `NAPI_PREAMBLE`), yet a boolean coercion runs none, so the check costs a few
/// hundred instructions instead of the ~1,000 of calling a do-nothing function.
fn env_is_stopping(env: sys::napi_env) -> bool {
  let mut undefined = ptr::null_mut();
  let mut result = ptr::null_mut();
  // SAFETY: plain Node-API calls on the finalizer's env, with valid out-pointers.
  unsafe {
    sys::napi_get_undefined(env, &mut undefined) != sys::Status::napi_ok
      || undefined.is_null()
      || sys::napi_coerce_to_bool(env, undefined, &mut result) != sys::Status::napi_ok
  }
}

/// Takes a new view's bytes off V8's external-memory count (V8 up to 12: Node 20 and 22).
///
/// A view is not memory V8 allocated and needs no garbage collection to be freed, yet V8 counts
/// every external ArrayBuffer's length as external memory, and a count that grows fast starts full
/// garbage collections: iterating a 1 GiB file in 1 MiB chunks ran mark-compacts all along (35 us
/// a chunk instead of 2). So the bytes V8 just added are taken off again at once: the count never
/// rises over an iteration of small views. V8 takes the bytes off once more when it collects the
/// buffer, which leaves its count below zero. Measured (1,000 x an external 1 GiB buffer made and
/// dropped, `napi_adjust_external_memory(-len)` after each):
/// - V8 11.3 (Node 20.20) and 12.4 (Node 22.23) accept a negative count: the limit that starts a
///   collection is relative (the lowest count since the last mark-compact + 64 MiB). Full GCs go
///   from ~610 to 60-160, not to 0: a buffer over 64 MiB still passes the limit the moment V8 adds
///   it (inside `napi_create_external_buffer`, before this runs), and taking the bytes off *before*
///   creating it moves the limit down with the count (107-110 full GCs).
/// - V8 13.6 (Node 24.22) and 14.6 (Node 26.12) abort the process at the first adjustment that
///   takes the count below zero (`Check failed: static_cast<int64_t>(total_before) >= -delta`).
///
/// Nothing in Node-API makes such memory without V8 counting it before
/// `node_api_create_external_sharedarraybuffer` (see `shared_view`).
fn uncount(js: Js, len: usize) {
  if may_uncount(js) {
    let mut adjusted = 0i64;
    // SAFETY: a plain Node-API call on the current env.
    unsafe {
      sys::napi_adjust_external_memory(js.0, -(len.min(i64::MAX as usize) as i64), &mut adjusted)
    };
  }
}

/// Whether this runtime's V8 tolerates an external-memory count below zero (V8 <= 12). The V8
/// version comes from `v8::V8::GetVersion()`, which Node exports (a C-compatible call: no
/// arguments, a static string); where it is not exported (not Node's V8, or another mangling) the
/// Node version stands in (Node <= 22 has V8 <= 12).
fn may_uncount(js: Js) -> bool {
  static MAY: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
  *MAY.get_or_init(|| match v8_major() {
    Some(major) => major <= 12,
    None => node_major(js).is_some_and(|major| major <= 22),
  })
}

/// The major version of the V8 this process runs, if Node exports `v8::V8::GetVersion()`.
fn v8_major() -> Option<u32> {
  type GetVersion = unsafe extern "C" fn() -> *const std::ffi::c_char;
  // Itanium (Linux, macOS) and MSVC (Windows) manglings of `static const char* v8::V8::GetVersion()`.
  let address = [c"_ZN2v82V810GetVersionEv", c"?GetVersion@V8@v8@@SAPEBDXZ"]
    .into_iter()
    .map(mmapkit_core::runtime_symbol)
    .find(|address| !address.is_null())?;
  // SAFETY: the exported function of that name; it takes nothing and returns a pointer to a
  // static NUL-terminated string ("11.3.244.8-node.38").
  let version = unsafe { std::mem::transmute::<*mut c_void, GetVersion>(address)() };
  if version.is_null() {
    return None;
  }
  // SAFETY: as above, a static NUL-terminated string.
  let text = unsafe { std::ffi::CStr::from_ptr(version) }.to_str().ok()?;
  text.split('.').next()?.parse().ok()
}

fn node_major(js: Js) -> Option<u32> {
  let mut version: *const sys::napi_node_version = ptr::null();
  // SAFETY: Node-API fills `version` with a pointer to a static struct it owns.
  let status = unsafe { sys::napi_get_node_version(js.0, &mut version) };
  // SAFETY: on success `version` points to that static struct.
  (status == sys::Status::napi_ok && !version.is_null()).then(|| unsafe { (*version).major })
}

// Views over external SharedArrayBuffers, where the runtime can make them.
//
// V8 does not count a shared backing store as external memory (its per-isolate accounting length
// is 0), so such views start no garbage collection however large they are; Node calls their
// finalizer (from any thread) when the backing store itself is freed, whichever thread held it
// last; and a SharedArrayBuffer cannot be transferred or detached (`transfer` does not exist on
// it, transfer lists and web byte streams refuse it), so no path moves the memory out from under
// the reservation. `node_api_create_external_sharedarraybuffer` exists from Node 22.23, 24.16 and
// 26.1; it is looked up at run time, and elsewhere views are external ArrayBuffers as above.

type CreateExternalSab = unsafe extern "C" fn(
  sys::napi_env,
  *mut c_void,
  usize,
  Option<unsafe extern "C" fn(*mut c_void, *mut c_void)>,
  *mut c_void,
  *mut sys::napi_value,
) -> sys::napi_status;

/// `node_api_create_external_sharedarraybuffer`, if the runtime exports it.
fn create_external_sab() -> Option<CreateExternalSab> {
  static FOUND: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
  let address = *FOUND.get_or_init(|| {
    mmapkit_core::runtime_symbol(c"node_api_create_external_sharedarraybuffer") as usize
  });
  // SAFETY: a non-null address of that exported function, whose signature is the documented one
  // (Node's js_native_api.h: env, data, length, node_api_noenv_finalize, hint, result).
  (address != 0).then(|| unsafe { std::mem::transmute::<usize, CreateExternalSab>(address) })
}

thread_local! {
  /// `Buffer.prototype` of this thread's env, taken from a Buffer Node made (not from a global).
  static BUFFER_PROTOTYPE: Cell<sys::napi_ref> = const { Cell::new(ptr::null_mut()) };
}

fn buffer_prototype(js: Js) -> Option<Value> {
  let mut reference = BUFFER_PROTOTYPE.with(Cell::get);
  if reference.is_null() {
    let (buffer, _) = js.new_buffer(0).ok()?;
    let mut prototype = ptr::null_mut();
    // SAFETY: plain Node-API calls on the current env; the reference is strong and lives as
    // long as the env.
    unsafe {
      if sys::napi_get_prototype(js.0, buffer, &mut prototype) != sys::Status::napi_ok
        || sys::napi_create_reference(js.0, prototype, 1, &mut reference) != sys::Status::napi_ok
      {
        return None;
      }
    }
    BUFFER_PROTOTYPE.with(|cell| cell.set(reference));
  }
  let mut prototype = ptr::null_mut();
  // SAFETY: a live strong reference of this env.
  unsafe { sys::napi_get_reference_value(js.0, reference, &mut prototype) };
  (!prototype.is_null()).then_some(prototype)
}

unsafe extern "C" fn finalize_shared(_data: *mut c_void, hint: *mut c_void) {
  // SAFETY: the Box leaked in `create`; Node calls this once, when the backing store is
  // freed (on any thread: the hint's holds are Send + Sync).
  drop(unsafe { Box::from_raw(hint.cast::<ViewHint>()) });
}

/// The view as a Buffer over an external SharedArrayBuffer of its bytes, which takes `hint`;
/// where the runtime cannot make one, `Err` with a hint the caller owns (to make an external
/// ArrayBuffer instead).
fn shared_view(
  js: Js,
  view: RawView,
  hint: *mut ViewHint,
) -> std::result::Result<Value, *mut ViewHint> {
  let Some(create) = create_external_sab() else {
    return Err(hint);
  };
  let Some(prototype) = buffer_prototype(js) else {
    return Err(hint);
  };
  let mut sab = ptr::null_mut();
  // SAFETY: `view` lies inside the live mapping; the hint's `Arc<Reservation>` keeps the range
  // mapped until Node frees the backing store and calls `finalize_shared`.
  let status = unsafe {
    create(
      js.0,
      view.ptr.cast(),
      view.len,
      Some(finalize_shared),
      hint.cast(),
      &mut sab,
    )
  };
  if status != sys::Status::napi_ok {
    // Node-API did not take ownership of the hint on failure.
    return Err(hint);
  }
  match buffer_over(js, sab, view.len, prototype) {
    Some(buffer) => Ok(buffer),
    // The SAB's finalizer owns `hint` now (the SAB is collected like any other); the fallback
    // gets holds of its own. `hint` is still alive: `sab` is reachable from this call's scope.
    // SAFETY: as just said, `hint` points to a live ViewHint, only read here.
    None => Err(Box::into_raw(Box::new(unsafe { (*hint).clone() }))),
  }
}

/// A Buffer (a Uint8Array with Node's `Buffer.prototype`) over all of `sab`.
fn buffer_over(js: Js, sab: Value, len: usize, prototype: Value) -> Option<Value> {
  let mut typed = ptr::null_mut();
  // SAFETY: a plain Node-API call on the current env.
  let status = unsafe {
    sys::napi_create_typedarray(
      js.0,
      sys::TypedarrayType::uint8_array,
      len,
      sab,
      0,
      &mut typed,
    )
  };
  if status != sys::Status::napi_ok {
    return None;
  }
  if let Some(set_prototype) = set_prototype() {
    // `node_api_set_prototype` (Node 24 and 26 here): V8's SetPrototype directly, ~2,000
    // instructions less than the `__proto__` accessor below, and no JavaScript runs.
    // SAFETY: the documented signature (env, object, prototype); both values live in this scope.
    let status = unsafe { set_prototype(js.0, typed, prototype) };
    if status == sys::Status::napi_ok {
      return Some(typed);
    }
    clear_exception(js);
    return None;
  }
  let mut actual = ptr::null_mut();
  // SAFETY: plain Node-API calls on the current env. The Uint8Array gets Node's Buffer.prototype
  // through the `__proto__` accessor, which a page can delete or replace: the result is checked,
  // and anything thrown is cleared, so such a page gets an external ArrayBuffer view instead.
  unsafe {
    if sys::napi_set_named_property(js.0, typed, c"__proto__".as_ptr(), prototype)
      != sys::Status::napi_ok
      || sys::napi_get_prototype(js.0, typed, &mut actual) != sys::Status::napi_ok
    {
      clear_exception(js);
      return None;
    }
    let mut same = false;
    sys::napi_strict_equals(js.0, actual, prototype, &mut same);
    same.then_some(typed)
  }
}

/// Drops the exception a failed Node-API call left pending, if any (the caller falls back).
fn clear_exception(js: Js) {
  let mut pending = false;
  let mut error = ptr::null_mut();
  // SAFETY: plain Node-API calls on the current env, with valid out-pointers.
  unsafe {
    if sys::napi_is_exception_pending(js.0, &mut pending) == sys::Status::napi_ok && pending {
      sys::napi_get_and_clear_last_exception(js.0, &mut error);
    }
  }
}

type SetPrototype =
  unsafe extern "C" fn(sys::napi_env, sys::napi_value, sys::napi_value) -> sys::napi_status;

/// `node_api_set_prototype`, if the runtime exports it.
fn set_prototype() -> Option<SetPrototype> {
  static FOUND: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
  let address =
    *FOUND.get_or_init(|| mmapkit_core::runtime_symbol(c"node_api_set_prototype") as usize);
  // SAFETY: a non-null address of that exported function, whose signature is the documented one
  // (Node's js_native_api.h: env, object, value).
  (address != 0).then(|| unsafe { std::mem::transmute::<usize, SetPrototype>(address) })
}
