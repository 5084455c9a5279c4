//! `class ChunkIterator`: zero-copy views of consecutive chunks of a mapping or segment.
//!
//! `next()` is native so that it can throw: closing the file mid-iteration makes the next call
//! throw `ERR_MMAP_CLOSED` (and, like every view, the chunks already handed out keep their length
//! and read zeros from then on).
//! `[Symbol.iterator]`, `[Symbol.asyncIterator]` and the `Iterator.prototype` helpers are attached
//! at load time (see `lib/iterate.js`).

use std::cell::Cell;

use mmapkit_core::MmapError;
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::iterator_values::iterator_result;
use crate::node_error::throw;
use crate::span::Span;

/// Iterates zero-copy `Buffer` views of consecutive chunks; the last one is shorter. Works with
/// `for...of`, `for await...of`, and iterator helpers where the runtime has them
/// (`file.chunks(1 << 20).map(...)`).
//
// `next()` takes `&self` (its state is in `Cell`s): a call made from inside another one (a setter
// on `Object.prototype` run while the result object is built, say) simply gets the next chunk,
// instead of napi-rs's "cannot be borrowed mutably" error with code `InvalidArg`.
#[napi]
pub struct ChunkIterator {
  span: Span,
  /// Next chunk's offset in the mapping.
  cursor: Cell<u64>,
  /// End of the iteration in the mapping.
  end: u64,
  size: u64,
  done: Cell<bool>,
}

impl ChunkIterator {
  pub fn new(span: Span, start: u64, length: u64, size: u64) -> Self {
    ChunkIterator {
      span,
      cursor: Cell::new(start),
      end: start + length,
      size,
      done: Cell::new(false),
    }
  }
}

#[napi]
impl ChunkIterator {
  /// The next chunk: `{ value: Buffer, done: false }`, then `{ value: undefined, done: true }`.
  /// @returns The next zero-copy view, or `done: true` at the end.
  /// @throws {Error} `ERR_MMAP_CLOSED` if the file was closed (or resized below the iteration's
  /// range) meanwhile.
  /// @example const first = file.chunks(4096).next().value
  #[napi(catch_unwind, ts_return_type = "IteratorResult<ViewBuffer, undefined>")]
  pub fn next<'a>(&self, env: &'a Env) -> Result<Object<'a>> {
    let cursor = self.cursor.get();
    if self.done.get() || cursor >= self.end {
      self.done.set(true);
      return iterator_result(env, None);
    }
    // A mapping resized below the iteration's range (or closed) ends it with ERR_MMAP_CLOSED, as
    // for lines() and matches(), not with a range error about offsets the caller never passed.
    let covered = self
      .span
      .len()
      .and_then(|_| self.span.mapping.covers(cursor, self.end - cursor))
      .and_then(|covered| covered.then_some(()).ok_or(MmapError::Closed));
    if let Err(error) = covered {
      self.done.set(true);
      return Err(throw(env, error));
    }
    let length = self.size.min(self.end - cursor);
    // Claimed before any JS can run, so that a re-entrant call takes the chunk after this one.
    self.cursor.set(cursor + length);
    let view = self
      .span
      .view(env, cursor, length)
      .inspect_err(|_| self.done.set(true))?;
    iterator_result(env, Some(view))
  }

  /// Ends the iteration early (`break` in a `for...of` calls it); later `next()` calls are done.
  /// @returns `{ value: undefined, done: true }`.
  /// @throws {TypeError} `ERR_INVALID_THIS` only when called on something that is not a
  /// ChunkIterator.
  /// @example const chunks = file.chunks(4096); chunks.next(); chunks.return()
  #[napi(
    js_name = "return",
    ts_return_type = "IteratorResult<ViewBuffer, undefined>"
  )]
  pub fn finish<'a>(&self, env: &'a Env) -> Result<Object<'a>> {
    self.done.set(true);
    iterator_result(env, None)
  }
}
