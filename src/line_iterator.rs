//! `class LineIterator`: what `lines()` returns. `next()` is native so that it can throw (closing
//! the file mid-iteration makes the next call throw `ERR_MMAP_CLOSED`); the iteration protocol
//! (`[Symbol.iterator]`, `[Symbol.asyncIterator]`, iterator helpers) is attached by
//! `lib/toolkit.js`.

use mmapkit_core::records::Records;
use mmapkit_core::MmapError;
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::node_error::{throw, OrThrow};
use crate::span::Span;
use crate::toolkit::iterator_result;

/// Iterates zero-copy `Buffer` views of the records of a mapping or segment, delimiters excluded.
#[napi]
pub struct LineIterator {
  span: Span,
  /// The window's mapping range; record offsets are relative to `start`.
  start: u64,
  length: u64,
  records: Records,
  done: bool,
}

impl LineIterator {
  pub fn new(span: Span, start: u64, length: u64, records: Records) -> Self {
    LineIterator {
      span,
      start,
      length,
      records,
      done: false,
    }
  }
}

#[napi]
impl LineIterator {
  /// The next record: `{ value: Buffer, done: false }`, then `{ value: undefined, done: true }`.
  /// Throws `ERR_MMAP_CLOSED` if the file was closed (or resized below the range) meanwhile.
  #[napi(catch_unwind, ts_return_type = "IteratorResult<ViewBuffer, undefined>")]
  pub fn next<'a>(&mut self, env: &'a Env) -> Result<Object<'a>> {
    if self.done || self.records.is_finished() {
      self.done = true;
      return iterator_result(env, None);
    }
    if !self.span.is_valid() {
      self.done = true;
      return Err(throw(env, MmapError::Closed));
    }
    let records = &mut self.records;
    let found = self
      .span
      .mapping
      .with_bytes(self.start, self.length, |bytes| records.next(bytes))
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

  /// Ends the iteration early (`break` in a `for...of` calls it).
  #[napi(
    js_name = "return",
    ts_return_type = "IteratorResult<ViewBuffer, undefined>"
  )]
  pub fn finish<'a>(&mut self, env: &'a Env) -> Result<Object<'a>> {
    self.done = true;
    iterator_result(env, None)
  }
}
