//! `class MatchIterator`: what `matches()` returns. It searches on a window at a time, each window
//! split between `options.threads` threads (all cores by default), with a bounded number of
//! offsets held (`mmapkit_core::matches::MatchCursor`), so memory does not grow with the number of
//! matches. `next()` and the iteration protocol are JavaScript (`lib/batches.js`, `lib/iterate.js`)
//! over `nextBatch`.

use mmapkit_core::matches::MatchCursor;
use mmapkit_core::scan::Control;
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::iterator_values::iterator_result;
use crate::js::Js;
use crate::node_error::{throw, OrThrow};
use crate::span::Span;

/// Iterates the offsets of the matches of a pattern, ascending, relative to the receiver of
/// `matches()`.
#[napi]
pub struct MatchIterator {
  span: Span,
  /// The searched mapping range; cursor offsets are relative to `start`.
  start: u64,
  length: u64,
  /// `start` relative to the receiver.
  relative: u64,
  cursor: MatchCursor,
  done: bool,
  /// Reused by `nextBatch`.
  found: Vec<u64>,
}

impl MatchIterator {
  pub fn new(span: Span, start: u64, length: u64, relative: u64, cursor: MatchCursor) -> Self {
    MatchIterator {
      span,
      start,
      length,
      relative,
      cursor,
      done: false,
      found: Vec::new(),
    }
  }
}

#[napi]
impl MatchIterator {
  /// The next match: `{ value: offset, done: false }`, then `{ value: undefined, done: true }`.
  /// @returns The next offset (relative to the receiver of `matches()`), or `done: true` at the end.
  /// @throws {Error} `ERR_MMAP_CLOSED` if the file was closed (or resized below the iteration's
  /// range) meanwhile; `ERR_MMAP_TRUNCATED` after a fault through a view of it.
  /// @example const first = file.matches('ERROR').next().value ?? -1
  #[napi(catch_unwind, ts_return_type = "IteratorResult<number, undefined>")]
  pub fn next<'a>(&mut self, env: &'a Env) -> Result<Object<'a>> {
    if self.done {
      return iterator_result(env, None);
    }
    if let Err(error) = self.span.check() {
      self.done = true;
      return Err(throw(env, error));
    }
    let cursor = &mut self.cursor;
    let found = self
      .span
      .mapping
      .with_bytes_fixed(self.start, self.length, |bytes| cursor.next(bytes))
      .or_throw(env)
      .inspect_err(|_| self.done = true)?;
    match found {
      Some(at) => {
        let offset = Js::from_env(env).number((self.relative + at as u64) as f64)?;
        iterator_result(env, Some(offset))
      }
      None => {
        self.done = true;
        iterator_result(env, None)
      }
    }
  }

  /// The next matches in one go, for `lib/batches.js`'s `next()` (and the CLI's `find`): writes
  /// up to `offsets.length` of them into `offsets` and returns how many: fewer only at the end.
  #[napi(catch_unwind, skip_typescript)]
  pub fn next_batch(&mut self, env: Env, offsets: Unknown) -> Result<f64> {
    let out = crate::iterator_values::float64_array(Js::from_env(&env), offsets.raw(), 1)?;
    if self.done {
      return Ok(0.0);
    }
    if let Err(error) = self.span.check() {
      self.done = true;
      return Err(throw(&env, error));
    }
    let (cursor, found) = (&mut self.cursor, &mut self.found);
    found.resize(out.len(), 0);
    let filled = self
      .span
      .mapping
      .with_bytes_fixed(self.start, self.length, |bytes| {
        cursor.fill(bytes, found, &Control::default())
      })
      .or_throw(&env)
      .inspect_err(|_| self.done = true)?;
    for (slot, &at) in out.iter_mut().zip(&self.found[..filled]) {
      *slot = (self.relative + at) as f64;
    }
    if filled < out.len() {
      self.done = true;
    }
    Ok(filled as f64)
  }

  /// Ends the iteration early (`break` in a `for...of` calls it); later `next()` calls are done.
  /// @returns `{ value: undefined, done: true }`.
  /// @throws {TypeError} `ERR_INVALID_THIS` only when called on something that is not a
  /// MatchIterator.
  /// @example const found = file.matches('x'); found.next(); found.return()
  #[napi(
    js_name = "return",
    ts_return_type = "IteratorResult<number, undefined>"
  )]
  pub fn finish<'a>(&mut self, env: &'a Env) -> Result<Object<'a>> {
    self.done = true;
    iterator_result(env, None)
  }
}
