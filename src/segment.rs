//! `class Segment`: a bounds-checked window of a `MemoryMappedFile`. Offsets are relative to the
//! segment and every call is checked against the segment, never against the whole mapping: a
//! 16-byte write into a 4-byte segment throws and writes nothing. A segment keeps its parent alive
//! while JavaScript holds it.

use std::cell::Cell;
use std::ptr;

use napi::bindgen_prelude::*;
use napi::sys;
use napi_derive::napi;

use crate::arguments::index;
use crate::chunks::ChunkIterator;
use crate::js::{Js, Value};
use crate::node_error::{throw, OrThrow};
use crate::scan_methods::ScanTarget;
use crate::span::Span;

/// A window of a mapping, from `file.segment(offset, length)`. Methods take offsets relative to the
/// segment. Once the parent is closed, or resized so that it no longer covers the segment, `valid`
/// is false and every method throws `ERR_MMAP_CLOSED`, for good: growing the parent back does not
/// revive it.
#[napi(custom_finalize)]
pub struct Segment {
  span: Span,
  /// A strong reference to the parent `MemoryMappedFile` object: it lives as long as the segment.
  parent: sys::napi_ref,
  /// This object's entry in the hot calls' table, once registered (`hot/`).
  pub(crate) handle: Cell<Option<f64>>,
}

impl Segment {
  /// A segment of `span` at `offset` (relative to the span) holding `parent` alive.
  pub fn create(
    env: &Env,
    span: &Span,
    parent: Value,
    offset: f64,
    length: f64,
  ) -> Result<Segment> {
    let span = span.sub(index(offset), index(length)).or_throw(env)?;
    let mut reference = ptr::null_mut();
    // SAFETY: `parent` is the live `this` of the calling method; refcount 1 keeps it alive until
    // this segment is finalized.
    let status = unsafe { sys::napi_create_reference(env.raw(), parent, 1, &mut reference) };
    if status != sys::Status::napi_ok {
      return Err(Error::new(
        Status::from(status),
        "Could not reference the parent mapping",
      ));
    }
    Ok(Segment {
      span,
      parent: reference,
      handle: Cell::new(None),
    })
  }

  /// What the hot calls keep for this segment.
  pub(crate) fn span_clone(&self) -> Span {
    self.span.clone()
  }

  /// `ERR_MMAP_CLOSED` once the parent is closed or no longer covers the segment; the parent's
  /// own error (`ERR_MMAP_TRUNCATED` after a fault through a view) otherwise.
  fn live(&self, env: &Env) -> Result<()> {
    self
      .span
      .len()
      .map(|_| ())
      .map_err(|error| throw(env, error))
  }
}

impl ObjectFinalize for Segment {
  fn finalize(self, env: Env) -> Result<()> {
    if let Some(handle) = self.handle.get() {
      crate::hot_handles::remove(handle);
    }
    // SAFETY: created in `create` in this env and deleted only here.
    unsafe { sys::napi_delete_reference(env.raw(), self.parent) };
    Ok(())
  }
}

impl ScanTarget for Segment {
  fn span(&self) -> &Span {
    &self.span
  }
}

#[napi]
impl Segment {
  /// The `MemoryMappedFile` this segment belongs to.
  #[napi(getter, ts_return_type = "MemoryMappedFile")]
  pub fn parent<'a>(&self, env: &'a Env) -> Result<Unknown<'a>> {
    let mut value = ptr::null_mut();
    // SAFETY: the strong reference is alive as long as `self`.
    let status = unsafe { sys::napi_get_reference_value(env.raw(), self.parent, &mut value) };
    if status != sys::Status::napi_ok {
      return Err(Error::new(
        Status::from(status),
        "The parent mapping is gone",
      ));
    }
    Ok(Js::from_env(env).unknown(value))
  }

  /// The segment's offset in the mapping (not in the file: add `parent.offset` for that).
  #[napi(getter)]
  pub fn offset(&self) -> f64 {
    self.span.base as f64
  }

  /// The segment's length in bytes.
  #[napi(getter)]
  pub fn length(&self) -> f64 {
    self.span.fixed_len.unwrap_or(0) as f64
  }

  /// False once the parent is closed or has stopped covering the segment (a resize below its end,
  /// even if a later resize grows it back), or after a fault through a view of the file.
  #[napi(getter)]
  pub fn valid(&self) -> bool {
    self.span.is_valid()
  }

  /// Durably flushes the pages covering this segment (`msync(MS_SYNC)`); a no-op unless readWrite.
  /// @throws {Error} `ERR_MMAP_CLOSED` once the segment is invalid; the OS error (`EIO`, `ENOSPC`).
  /// @example record.updateRegion(0, 'done'); record.flush()
  #[napi(catch_unwind)]
  pub fn flush(&self, env: Env) -> Result<()> {
    self.live(&env)?;
    self.span.flush(&env)
  }

  /// Zero-copy views of consecutive `size`-byte chunks of the segment; the last one is shorter.
  /// @param size Chunk length in bytes (at least 1).
  /// @returns An iterator (sync and async) of `Buffer` views.
  /// @throws {RangeError} `ERR_OUT_OF_RANGE` if `size` is 0, negative or fractional.
  /// @throws {Error} `ERR_MMAP_CLOSED` once the segment is invalid.
  /// @example for (const block of segment.chunks(512)) blocks.push(block)
  #[napi(catch_unwind)]
  pub fn chunks(&self, env: Env, size: f64) -> Result<ChunkIterator> {
    self.live(&env)?;
    let size = index(size);
    let length = self.span.len().or_throw(&env)?;
    Ok(ChunkIterator::new(
      self.span.clone(),
      self.span.base,
      length,
      size,
    ))
  }

  /// A sub-segment at `offset` (relative to this segment); its `offset` is relative to the mapping.
  /// @param offset Byte offset in this segment.
  /// @param length The sub-segment's length in bytes.
  /// @returns A `Segment` checked against its own bounds.
  /// @throws {RangeError} `ERR_OUT_OF_RANGE` if it would pass the end of this segment.
  /// @throws {Error} `ERR_MMAP_CLOSED` once the segment is invalid.
  /// @example const field = header.segment(4, 4)
  #[napi(catch_unwind)]
  pub fn segment(&self, env: Env, offset: f64, length: f64) -> Result<Segment> {
    self.live(&env)?;
    let mut parent = ptr::null_mut();
    // SAFETY: the strong reference is alive as long as `self`.
    unsafe { sys::napi_get_reference_value(env.raw(), self.parent, &mut parent) };
    Segment::create(&env, &self.span, parent, offset, length)
  }
}

crate::scan_methods::impl_scan_methods!(Segment);
