//! [`Span`]: a window of a mapping (the whole mapping for `MemoryMappedFile`, a part of it for
//! `Segment`). Every method shared by the two classes is written once here; offsets are relative to
//! the span and bounds-checked against it before the core checks them against the mapping.

use std::sync::Arc;

use mmapkit_core::{mapping::Window, range::checked_range, MappedFile, MmapError};
use napi::bindgen_prelude::*;

use crate::coverage::{Coverage, Covered};
use crate::js::{Js, Value};
use crate::node_error::{throw, OrThrow};
use crate::raw_arguments as args;
use crate::views;

/// A window of a mapping.
#[derive(Clone)]
pub struct Span {
  pub mapping: Arc<MappedFile>,
  /// Offset of the span in the mapping.
  pub base: u64,
  /// `None`: the whole mapping, however long it currently is.
  pub fixed_len: Option<u64>,
  /// The segments of this mapping, told about every resize (shared by all its spans).
  coverage: Arc<Coverage>,
  /// This span's entry in `coverage` (`None` for the whole mapping, which is always covered).
  covered: Option<Arc<Covered>>,
}

impl Span {
  pub fn whole(mapping: Arc<MappedFile>) -> Self {
    Span {
      mapping,
      base: 0,
      fixed_len: None,
      coverage: Arc::default(),
      covered: None,
    }
  }

  /// A sub-span at `offset` (relative to this span) of `length` bytes.
  pub fn sub(&self, offset: u64, length: u64) -> std::result::Result<Span, MmapError> {
    let len = self.len()?;
    checked_range(offset, length, len as usize, "offset", "length")?;
    let base = self.base + offset;
    Ok(Span {
      base,
      fixed_len: Some(length),
      covered: Some(self.coverage.track(base + length)),
      ..self.clone()
    })
  }

  /// Tells the mapping's segments that it was resized (successfully or not): those it no longer
  /// covers are invalid from now on, whatever later resizes do.
  pub fn resized(&self) {
    self
      .coverage
      .resized(self.mapping.len().map_or(0, |len| len as u64));
  }

  /// The span's length; `ERR_MMAP_CLOSED` if the mapping is closed or no longer covers the span,
  /// or stopped covering it at some point (a segment once invalid stays invalid).
  pub fn len(&self) -> std::result::Result<u64, MmapError> {
    let mapped = self.mapping.len()? as u64;
    match (self.fixed_len, &self.covered) {
      (None, _) => Ok(mapped),
      (Some(len), Some(covered)) if covered.is_lost() || self.base + len > mapped => {
        covered.lose();
        Err(MmapError::Closed)
      }
      (Some(len), _) if self.base + len > mapped => Err(MmapError::Closed),
      (Some(len), _) => Ok(len),
    }
  }

  /// Whether every call can still succeed (mapping open and covering the span).
  pub fn is_valid(&self) -> bool {
    self.len().is_ok()
  }

  /// Why calls on the span fail, if they do: `ERR_MMAP_CLOSED` once the mapping is closed or no
  /// longer covers the span, the mapping's own error (`ERR_MMAP_TRUNCATED` after a fault through a
  /// view) otherwise. Every method that checks liveness up front uses this, so all agree.
  pub fn check(&self) -> std::result::Result<(), MmapError> {
    self.len().map(|_| ())
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
  /// live mapping under one lock, in the copy call itself. A lost segment has none: its error is
  /// what [`Span::len`] reports.
  fn window(&self) -> std::result::Result<Window, MmapError> {
    if let Some(covered) = &self.covered {
      if covered.is_lost() {
        return Err(self.len().err().unwrap_or(MmapError::Closed));
      }
    }
    Ok(Window {
      base: self.base,
      len: self.fixed_len,
    })
  }

  pub fn read_into(&self, env: &Env, offset: Value, target: Value) -> Result<f64> {
    let js = Js::from_env(env);
    let offset = args::index(js, offset, "offset")?;
    let target = args::uint8_array(js, target, "target")?;
    let window = self.window().or_throw(env)?;
    // SAFETY: Node-API reported `len` bytes at `data` for a typed array alive for this call, and no
    // JS runs during it; the target may alias the mapping, which `read_into_raw` allows.
    unsafe {
      self
        .mapping
        .read_into_raw(window, offset, target.data, target.len)
    }
    .or_throw(env)?;
    Ok(target.len as f64)
  }

  pub fn read<'a>(&self, env: &'a Env, offset: Value, length: Value) -> Result<Unknown<'a>> {
    let js = Js::from_env(env);
    let offset = args::index(js, offset, "offset")?;
    let length = args::index(js, length, "length")?;
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
  pub fn as_buffer<'a>(&self, env: &'a Env, offset: Value, length: Value) -> Result<Unknown<'a>> {
    let js = Js::from_env(env);
    let offset = args::optional_index(js, offset, "offset")?.unwrap_or(0);
    let length = args::optional_index(js, length, "length")?;
    let total = self.len().or_throw(env)?;
    let length = match length {
      Some(length) => length,
      None => {
        // The caller passed no length: an error names the length it got by default.
        let rest = total.saturating_sub(offset);
        let max = views::max_view_length();
        if offset <= total && rest > max {
          let error = MmapError::out_of_range("this.length - offset", max, rest);
          return Err(throw(env, error));
        }
        rest
      }
    };
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
    let offset = args::index(js, offset, "offset")?;
    let data = args::bytes(js, data, "data")?;
    let (bytes, len) = data.raw();
    let window = self.window().or_throw(env)?;
    // SAFETY: `bytes` is valid for `len` bytes for this call (`Bytes::raw`); it may alias a mapping,
    // which `write_raw` allows.
    unsafe { self.mapping.write_raw(window, offset, bytes, len) }.or_throw(env)
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
    offset: Option<f64>,
    length: Option<f64>,
  ) -> Result<(u64, u64)> {
    let offset = crate::arguments::optional_index(offset).unwrap_or(0);
    let length = crate::arguments::optional_index(length);
    self.range_or_rest(env, offset, length, ("offset", "length"))
  }

  /// `offset` and `length` (default: the rest) as a checked mapping range; an error names them as
  /// the caller passed them (`names`: `("offset", "length")`, `("options.offset", ...)`).
  pub fn range_or_rest(
    &self,
    env: &Env,
    offset: u64,
    length: Option<u64>,
    names: (&str, &str),
  ) -> Result<(u64, u64)> {
    let total = self.len().or_throw(env)?;
    if offset > total {
      return Err(throw(env, MmapError::out_of_range(names.0, total, offset)));
    }
    let length = length.unwrap_or(total - offset);
    if length > total - offset {
      return Err(throw(
        env,
        MmapError::out_of_range(names.1, total - offset, length),
      ));
    }
    Ok((self.base + offset, length))
  }
}

/// A Buffer longer than `buffer.constants.MAX_LENGTH` cannot exist: refuse rather than shorten.
fn check_view_length(env: &Env, length: u64) -> Result<()> {
  let max = crate::views::max_view_length().min(args::MAX_SAFE_INTEGER as u64);
  if length > max {
    return Err(throw(env, MmapError::out_of_range("length", max, length)));
  }
  Ok(())
}
