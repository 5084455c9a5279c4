//! Zero-copy Buffers over a mapping, and the registry that lets `close()` and `resize()` detach
//! every one of them before the memory goes away.
//!
//! Each view is an external Buffer whose finalizer holds an `Arc<MappedFile>`, so a view keeps its
//! mapping alive if the `MemoryMappedFile` object is garbage-collected first. The registry keeps a
//! weak reference to each view; `detach_all` detaches the live ones (their `byteLength` becomes 0)
//! and only then may the caller unmap. A finalizer removes its view's entry, so the registry only
//! holds views JS can still reach.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::ffi::c_void;
use std::ptr;
use std::rc::{Rc, Weak};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use mmapkit_core::{MappedFile, Mode, RawView};
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

/// The weak references to every live view of one mapping, by id.
#[derive(Default)]
struct Entries {
  refs: RefCell<HashMap<u64, sys::napi_ref>>,
  next_id: Cell<u64>,
  /// The id of the external ArrayBuffer over the whole mapping that views share, if made.
  whole: Cell<Option<u64>>,
}

/// The views of one mapping; clones share the registry (a file and its segments and iterators).
#[derive(Default, Clone)]
pub struct ViewRegistry {
  entries: Rc<Entries>,
}

/// What a view's finalizer owns.
struct ViewHint {
  _mapping: Arc<MappedFile>,
  registry: Weak<Entries>,
  id: u64,
}

impl ViewRegistry {
  /// A Buffer aliasing `view` of `mapping`, detached by `detach_all`.
  ///
  /// Mappings that fit in one ArrayBuffer get one external ArrayBuffer over the whole mapping,
  /// made on first use, and every view is `Buffer.from(thatArrayBuffer, offset, length)`: cheaper
  /// than an external Buffer per view (~0.3 us instead of ~2 us), V8 accounts the mapping's
  /// external memory once instead of per view, and `detach_all` has one buffer to detach. Larger
  /// mappings get an external Buffer per view.
  pub fn create(&self, js: Js, mapping: &Arc<MappedFile>, view: RawView) -> Result<Value> {
    if view.len == 0 {
      return Ok(js.new_buffer(0)?.0);
    }
    if let Some(buffer) = self.shared_view(js, mapping, view)? {
      return Ok(buffer);
    }
    self.own_view(js, mapping, view)
  }

  /// The view as a slice of the shared whole-mapping ArrayBuffer; `None` when there is none (a
  /// mapping longer than an ArrayBuffer may be, or a runtime without external buffers).
  fn shared_view(&self, js: Js, mapping: &Arc<MappedFile>, view: RawView) -> Result<Option<Value>> {
    let Ok(whole) = mapping.len().and_then(|len| mapping.view(0, len as u64)) else {
      return Ok(None);
    };
    if whole.len as u64 > max_view_length() {
      return Ok(None);
    }
    let array_buffer = match self.live_whole(js, whole.len)? {
      Some(array_buffer) => array_buffer,
      None => match self.make_whole(js, mapping, whole)? {
        Some(array_buffer) => array_buffer,
        None => return Ok(None),
      },
    };
    let offset = view.ptr as usize - whole.ptr as usize;
    let buffer_class = js.get(js.global()?, "Buffer")?;
    let from = js.get(buffer_class, "from")?;
    let args = [
      array_buffer,
      js.number(offset as f64)?,
      js.number(view.len as f64)?,
    ];
    Ok(Some(js.call(buffer_class, from, &args)?))
  }

  /// The shared ArrayBuffer, if it exists, is alive, and still spans `len` bytes.
  fn live_whole(&self, js: Js, len: usize) -> Result<Option<Value>> {
    let Some(id) = self.entries.whole.get() else {
      return Ok(None);
    };
    let Some(&reference) = self.entries.refs.borrow().get(&id) else {
      return Ok(None);
    };
    let mut value = ptr::null_mut();
    // SAFETY: a registered reference of this env, not yet deleted.
    unsafe { sys::napi_get_reference_value(js.0, reference, &mut value) };
    if value.is_null() {
      return Ok(None);
    }
    let mut data: *mut c_void = ptr::null_mut();
    let mut byte_length = 0usize;
    // SAFETY: `value` is the live ArrayBuffer registered under `id`.
    unsafe { sys::napi_get_arraybuffer_info(js.0, value, &mut data, &mut byte_length) };
    Ok((byte_length == len).then_some(value))
  }

  /// Makes and registers the external ArrayBuffer over the whole mapping.
  fn make_whole(&self, js: Js, mapping: &Arc<MappedFile>, whole: RawView) -> Result<Option<Value>> {
    let (id, hint) = self.new_hint(mapping);
    let mut array_buffer = ptr::null_mut();
    // SAFETY: `whole` is the live mapping; the hint's Arc keeps it mapped until the finalizer
    // runs, and `detach_all` cuts JS off from the memory before any explicit unmap.
    let status = unsafe {
      sys::napi_create_external_arraybuffer(
        js.0,
        whole.ptr.cast(),
        whole.len,
        Some(finalize_view),
        hint.cast(),
        &mut array_buffer,
      )
    };
    if status != sys::Status::napi_ok {
      // SAFETY: Node-API did not take ownership of the hint on failure; we reclaim it once.
      drop(unsafe { Box::from_raw(hint) });
      return Ok(None);
    }
    self.register(js, id, array_buffer)?;
    self.entries.whole.set(Some(id));
    Ok(Some(array_buffer))
  }

  /// A fresh id and the finalizer hint for a new external buffer: it keeps `mapping` alive and
  /// lets the finalizer drop the buffer's registry entry. The caller hands it to Node-API.
  fn new_hint(&self, mapping: &Arc<MappedFile>) -> (u64, *mut ViewHint) {
    let id = self.entries.next_id.get();
    self.entries.next_id.set(id + 1);
    let hint = Box::into_raw(Box::new(ViewHint {
      _mapping: Arc::clone(mapping),
      registry: Rc::downgrade(&self.entries),
      id,
    }));
    (id, hint)
  }

  fn register(&self, js: Js, id: u64, value: Value) -> Result<()> {
    let mut reference = ptr::null_mut();
    // SAFETY: `value` is a live handle; refcount 0 makes the reference weak.
    let status = unsafe { sys::napi_create_reference(js.0, value, 0, &mut reference) };
    if status != sys::Status::napi_ok {
      return Err(Error::new(
        Status::from(status),
        "Could not track a view of the mapping",
      ));
    }
    self.entries.refs.borrow_mut().insert(id, reference);
    Ok(())
  }

  /// An external Buffer of its own for the view.
  fn own_view(&self, js: Js, mapping: &Arc<MappedFile>, view: RawView) -> Result<Value> {
    let (id, hint) = self.new_hint(mapping);
    let mut buffer = ptr::null_mut();
    // SAFETY: `view` lies inside the live mapping; the hint's Arc keeps the mapping mapped until
    // the finalizer runs, and `detach_all` cuts JS off from the memory before any explicit unmap.
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
        return self.copy_fallback(js, mapping, view);
      }
      return Err(Error::new(
        Status::from(status),
        "Could not create a view of the mapping",
      ));
    }
    self.register(js, id, buffer)?;
    Ok(buffer)
  }

  /// Runtimes that forbid external buffers (Electron's V8 sandbox): a copy is honest for readOnly
  /// and copyOnWrite mappings, whose view writes never reach the file anyway; for readWrite a copy
  /// would silently drop writes, so it is refused.
  fn copy_fallback(&self, js: Js, mapping: &Arc<MappedFile>, view: RawView) -> Result<Value> {
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

  /// Detaches every live view: afterwards JS cannot reach the mapping's memory through them.
  pub fn detach_all(&self, js: Js) {
    let entries: Vec<sys::napi_ref> = self
      .entries
      .refs
      .borrow_mut()
      .drain()
      .map(|(_, r)| r)
      .collect();
    for reference in entries {
      let mut value = ptr::null_mut();
      // SAFETY: `reference` was created by `create` in this env and not yet deleted (entries are
      // deleted exactly once: here or in the finalizer, whichever removes it from the map).
      unsafe {
        if sys::napi_get_reference_value(js.0, reference, &mut value) == sys::Status::napi_ok
          && !value.is_null()
        {
          detach_buffer(js, value);
        }
        sys::napi_delete_reference(js.0, reference);
      }
    }
  }

  /// Drops the bookkeeping without detaching (the owner is being garbage-collected; live views
  /// keep the mapping alive through their own `Arc`).
  pub fn forget_all(&self, js: Js) {
    for (_, reference) in self.entries.refs.borrow_mut().drain() {
      // SAFETY: each registered reference is live and deleted exactly once (here or in the finalizer).
      unsafe { sys::napi_delete_reference(js.0, reference) };
    }
  }
}

/// Detaches a registered value: the shared ArrayBuffer itself, or the ArrayBuffer behind a Buffer.
///
/// # Safety
/// `value` must be a live handle of `js`'s env.
unsafe fn detach_buffer(js: Js, value: Value) {
  let mut is_array_buffer = false;
  // SAFETY: `value` is live (the caller's contract).
  unsafe { sys::napi_is_arraybuffer(js.0, value, &mut is_array_buffer) };
  if is_array_buffer {
    // SAFETY: an external ArrayBuffer we created; detaching it is what we want.
    unsafe { sys::napi_detach_arraybuffer(js.0, value) };
    return;
  }
  let mut kind = 0;
  let mut len = 0usize;
  let mut data: *mut c_void = ptr::null_mut();
  let mut array_buffer = ptr::null_mut();
  let mut offset = 0usize;
  // SAFETY: out-pointers are valid; the caller guarantees `value` is live.
  let status = unsafe {
    sys::napi_get_typedarray_info(
      js.0,
      value,
      &mut kind,
      &mut len,
      &mut data,
      &mut array_buffer,
      &mut offset,
    )
  };
  if status == sys::Status::napi_ok && !array_buffer.is_null() {
    // SAFETY: the ArrayBuffer is external memory we created; detaching it is what we want.
    unsafe { sys::napi_detach_arraybuffer(js.0, array_buffer) };
  }
}

unsafe extern "C" fn finalize_view(env: sys::napi_env, _data: *mut c_void, hint: *mut c_void) {
  // SAFETY: `hint` is the Box leaked in `create`; Node-API calls this finalizer exactly once.
  let hint = unsafe { Box::from_raw(hint.cast::<ViewHint>()) };
  if let Some(entries) = hint.registry.upgrade() {
    if let Some(reference) = entries.refs.borrow_mut().remove(&hint.id) {
      // SAFETY: the reference belongs to this env and was still registered, so not yet deleted.
      unsafe { sys::napi_delete_reference(env, reference) };
    }
  }
  // Dropping the hint drops its Arc: the mapping is unmapped once nothing else holds it.
}
