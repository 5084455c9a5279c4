//! `class LineIterator`: what `lines()` returns. `next()` is native so that it can throw (closing
//! the file mid-iteration makes the next call throw `ERR_MMAP_CLOSED`); the iteration protocol
//! (`[Symbol.iterator]`, `[Symbol.asyncIterator]`, iterator helpers) is attached by
//! `lib/toolkit.js`.

use mmapkit_core::records::Records;
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::iterator_values::{float64_array, iterator_result};
use crate::js::Js;
use crate::node_error::{throw, OrThrow};
use crate::span::Span;

/// Iterates zero-copy `Buffer` views of the records of a mapping or segment, delimiters excluded.
#[napi]
pub struct LineIterator {
  span: Span,
  /// The window's mapping range; record offsets are relative to `start`.
  start: u64,
  length: u64,
  records: Records,
  done: bool,
  /// Reused by `nextBatch`.
  pairs: Vec<(usize, usize)>,
}

/// The most bytes `nextBatch` puts in one region view (unless one record is longer): a line's
/// `.buffer` is at most this large.
const BATCH_BYTES: usize = 64 * 1024;

impl LineIterator {
  pub fn new(span: Span, start: u64, length: u64, records: Records) -> Self {
    LineIterator {
      span,
      start,
      length,
      records,
      done: false,
      pairs: Vec::new(),
    }
  }
}

#[napi]
impl LineIterator {
  /// The next record: `{ value: Buffer, done: false }`, then `{ value: undefined, done: true }`.
  /// @returns The next zero-copy record, or `done: true` at the end.
  /// @throws {Error} `ERR_MMAP_CLOSED` if the file was closed (or resized) meanwhile;
  /// `ERR_MMAP_TRUNCATED` after a fault through a view of it.
  /// @example const header = file.lines().next().value?.toString()
  #[napi(catch_unwind, ts_return_type = "IteratorResult<ViewBuffer, undefined>")]
  pub fn next<'a>(&mut self, env: &'a Env) -> Result<Object<'a>> {
    if self.done {
      return iterator_result(env, None);
    }
    // Checked before the end is reported too: the last step of an iteration is a call on the file.
    if let Err(error) = self.span.check() {
      self.done = true;
      return Err(throw(env, error));
    }
    if self.records.is_finished() {
      self.done = true;
      return iterator_result(env, None);
    }
    let records = &mut self.records;
    let found = self
      .span
      .mapping
      .with_bytes_fixed(self.start, self.length, |bytes| records.next(bytes))
      .or_throw(env)
      .inspect_err(|_| self.done = true)?;
    let Some(range) = found else {
      self.done = true;
      return iterator_result(env, None);
    };
    let view = self
      .span
      .view(env, self.start + range.start as u64, range.len() as u64)
      .inspect_err(|_| self.done = true)?;
    iterator_result(env, Some(view))
  }

  /// The next records in one go, for `lib/batches.js`'s `next()`: returns one zero-copy view
  /// spanning them (a region of at most 64 KiB unless a record is longer), or `undefined` at the
  /// end, and writes into `bounds` their count (`bounds[0]`) and each record's start and end in
  /// that view (`bounds[1 + 2i]`, `bounds[2 + 2i]`). Up to `(bounds.length - 1) / 2` records.
  #[napi(catch_unwind, skip_typescript)]
  pub fn next_batch<'a>(&mut self, env: &'a Env, bounds: Unknown) -> Result<Unknown<'a>> {
    let js = Js::from_env(env);
    let bounds = float64_array(js, bounds.raw(), 3)?;
    if self.done {
      return Ok(js.unknown(js.undefined()?));
    }
    // Checked before the end is reported too: the last step of an iteration is a call on the file.
    if let Err(error) = self.span.check() {
      self.done = true;
      return Err(throw(env, error));
    }
    if self.records.is_finished() {
      self.done = true;
      return Ok(js.unknown(js.undefined()?));
    }
    let capacity = (bounds.len().saturating_sub(1) / 2).max(1);
    self.pairs.resize(capacity, (0, 0));
    let (records, pairs) = (&mut self.records, &mut self.pairs);
    let filled = self
      .span
      .mapping
      .with_bytes_fixed(self.start, self.length, |bytes| {
        records.fill_within(bytes, pairs, BATCH_BYTES)
      })
      .or_throw(env)
      .inspect_err(|_| self.done = true)?;
    if filled == 0 {
      self.done = true;
      return Ok(js.unknown(js.undefined()?));
    }
    let region = self.pairs[0].0..self.pairs[filled - 1].1;
    bounds[0] = filled as f64;
    for (i, &(start, end)) in self.pairs[..filled].iter().enumerate() {
      bounds[1 + 2 * i] = (start - region.start) as f64;
      bounds[2 + 2 * i] = (end - region.start) as f64;
    }
    let view = self
      .span
      .view(env, self.start + region.start as u64, region.len() as u64)
      .inspect_err(|_| self.done = true)?;
    Ok(js.unknown(view))
  }

  /// Ends the iteration early (`break` in a `for...of` calls it); later `next()` calls are done.
  /// @returns `{ value: undefined, done: true }`.
  /// @throws {TypeError} `ERR_INVALID_THIS` only when called on something that is not a LineIterator.
  /// @example const lines = file.lines(); lines.next(); lines.return()
  #[napi(
    js_name = "return",
    ts_return_type = "IteratorResult<ViewBuffer, undefined>"
  )]
  pub fn finish<'a>(&mut self, env: &'a Env) -> Result<Object<'a>> {
    self.done = true;
    iterator_result(env, None)
  }
}
