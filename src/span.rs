//! [`Span`]: a window of a mapping (the whole mapping for `MemoryMappedFile`, a part of it for
//! `Segment`). Every method shared by the two classes is written once here; offsets are relative to
//! the span and bounds-checked against it before the core checks them against the mapping.

use std::sync::Arc;

use mmapkit_core::{mapping::Window, range::checked_range, MappedFile, MmapError};
use napi::bindgen_prelude::*;

use crate::args::{self, check_view_length};
use crate::js::{Js, Value};
use crate::node_error::{throw, ArgName, OrThrow};
use crate::views;

/// A window of a mapping.
#[derive(Clone)]
pub struct Span {
  pub mapping: Arc<MappedFile>,
  /// Offset of the span in the mapping.
  pub base: u64,
  /// `None`: the whole mapping, however long it currently is.
  pub fixed_len: Option<u64>,
}

impl Span {
  pub fn whole(mapping: Arc<MappedFile>) -> Self {
    Span {
      mapping,
      base: 0,
      fixed_len: None,
    }
  }

  /// A sub-span at `offset` (relative to this span) of `length` bytes.
  pub fn sub(&self, offset: u64, length: u64) -> std::result::Result<Span, MmapError> {
    let len = self.len()?;
    checked_range(offset, length, len as usize, "offset", "length")?;
    Ok(Span {
      base: self.base + offset,
      fixed_len: Some(length),
      ..self.clone()
    })
  }

  /// The span's length; `ERR_MMAP_CLOSED` if the mapping is closed or no longer covers the span.
  pub fn len(&self) -> std::result::Result<u64, MmapError> {
    let mapped = self.mapping.len()? as u64;
    match self.fixed_len {
      None => Ok(mapped),
      Some(len) if self.base + len <= mapped => Ok(len),
      Some(_) => Err(MmapError::Closed),
    }
  }

  /// Whether every call can still succeed (mapping open and covering the span).
  pub fn is_valid(&self) -> bool {
    self.len().is_ok()
  }

  /// `offset..offset+length` of the span as a mapping range, checked against the span.
  fn absolute(
    &self,
    offset: u64,
    length: u64,
    names: (&str, &str),
  ) -> std::result::Result<u64, MmapError> {
    if self.fixed_len.is_some() {
      checked_range(offset, length, self.len()? as usize, names.0, names.1)?;
    }
    Ok(self.base + offset)
  }

  /// The span as the core's [`Window`]: the core checks offsets against it and it against the
  /// live mapping under one lock, in the copy call itself.
  fn window(&self) -> Window {
    Window {
      base: self.base,
      len: self.fixed_len,
    }
  }

  pub fn read_into(&self, env: &Env, offset: Value, target: Value) -> Result<f64> {
    let js = Js::from_env(env);
    let offset = args::index(js, offset, ArgName::Argument("offset"))?;
    let target = args::uint8_array(js, target, "target")?;
    // SAFETY: Node-API reported `len` bytes at `data` for a typed array alive for this call, and no
    // JS runs during it; the target may alias the mapping, which `read_into_raw` allows.
    unsafe {
      self
        .mapping
        .read_into_raw(self.window(), offset, target.data, target.len)
    }
    .or_throw(env)?;
    Ok(target.len as f64)
  }

  pub fn read<'a>(&self, env: &'a Env, offset: Value, length: Value) -> Result<Unknown<'a>> {
    let js = Js::from_env(env);
    let offset = args::index(js, offset, ArgName::Argument("offset"))?;
    let length = args::index(js, length, ArgName::Argument("length"))?;
    let at = self
      .absolute(offset, length, ("offset", "length"))
      .or_throw(env)?;
    self.mapping.view(at, length).or_throw(env)?;
    check_view_length(env, length)?;
    let (buffer, data) = js.new_buffer(length as usize)?;
    // SAFETY: `data` is the new Buffer's own memory of `length` bytes, alive for this call.
    let slice = unsafe { std::slice::from_raw_parts_mut(data, length as usize) };
    self.mapping.read_into(at, slice).or_throw(env)?;
    Ok(js.unknown(buffer))
  }

  /// A zero-copy view; `length` defaults to the rest of the span.
  pub fn as_buffer<'a>(
    &self,
    env: &'a Env,
    offset: Option<Value>,
    length: Option<Value>,
  ) -> Result<Unknown<'a>> {
    let js = Js::from_env(env);
    let offset = args::optional_index(js, offset, ArgName::Argument("offset"))?.unwrap_or(0);
    let length = args::optional_index(js, length, ArgName::Argument("length"))?;
    let total = self.len().or_throw(env)?;
    let length = length.unwrap_or_else(|| total.saturating_sub(offset));
    let at = self
      .absolute(offset, length, ("offset", "length"))
      .or_throw(env)?;
    self.view(env, at, length).map(|buffer| js.unknown(buffer))
  }

  /// A registered view of `length` bytes at mapping offset `at`.
  pub fn view(&self, env: &Env, at: u64, length: u64) -> Result<Value> {
    // The view and the range it lies in, under one lock.
    let (raw, reservation) = self.mapping.held_view(at, length).or_throw(env)?;
    check_view_length(env, length)?;
    views::create(Js::from_env(env), &self.mapping, raw, reservation)
  }

  pub fn update_region(&self, env: &Env, offset: Value, data: Value) -> Result<()> {
    let js = Js::from_env(env);
    let offset = args::index(js, offset, ArgName::Argument("offset"))?;
    let data = args::bytes(js, data, "data")?;
    let (bytes, len) = data.raw();
    // SAFETY: `bytes` is valid for `len` bytes for this call (`Bytes::raw`); it may alias a mapping,
    // which `write_raw` allows.
    unsafe { self.mapping.write_raw(self.window(), offset, bytes, len) }.or_throw(env)
  }

  /// Durable flush of the whole span.
  pub fn flush(&self, env: &Env) -> Result<()> {
    match self.fixed_len {
      None => self.mapping.flush().or_throw(env),
      Some(_) => {
        let len = self.len().or_throw(env)?;
        self.mapping.flush_range(self.base, len).or_throw(env)
      }
    }
  }

  /// Resolves optional `offset`/`length` arguments to a mapping range inside the span
  /// (`length` defaults to the rest of the span).
  pub fn optional_range(
    &self,
    env: &Env,
    offset: Option<Value>,
    length: Option<Value>,
  ) -> Result<(u64, u64)> {
    let js = Js::from_env(env);
    let offset = args::optional_index(js, offset, ArgName::Argument("offset"))?.unwrap_or(0);
    let length = args::optional_index(js, length, ArgName::Argument("length"))?;
    self.range_or_rest(env, offset, length)
  }

  /// `offset` and `length` (default: the rest) as a checked mapping range.
  pub fn range_or_rest(&self, env: &Env, offset: u64, length: Option<u64>) -> Result<(u64, u64)> {
    let total = self.len().or_throw(env)?;
    if offset > total {
      return Err(throw(env, MmapError::out_of_range("offset", total, offset)));
    }
    let length = length.unwrap_or(total - offset);
    if length > total - offset {
      return Err(throw(
        env,
        MmapError::out_of_range("length", total - offset, length),
      ));
    }
    Ok((self.base + offset, length))
  }
}
