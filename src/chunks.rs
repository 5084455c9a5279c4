//! `class ChunkIterator`: zero-copy views of consecutive chunks of a mapping or segment.
//!
//! `next()` is native so that it can throw: closing the file mid-iteration makes the next call
//! throw `ERR_MMAP_CLOSED` (and, like every view, the chunks already handed out are detached).
//! `[Symbol.iterator]`, `[Symbol.asyncIterator]` and the `Iterator.prototype` helpers are attached
//! at load time (see `shims.js`).

use mmapkit_core::MmapError;
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::errors::throw;
use crate::js::{Js, Value};
use crate::span::Span;

/// Iterates zero-copy `Buffer` views of consecutive chunks; the last one is shorter. Works with
/// `for...of`, `for await...of`, and iterator helpers where the runtime has them
/// (`file.chunks(1 << 20).map(...)`).
#[napi]
pub struct ChunkIterator {
  span: Span,
  /// Next chunk's offset in the mapping.
  cursor: u64,
  /// End of the iteration in the mapping.
  end: u64,
  size: u64,
  done: bool,
}

impl ChunkIterator {
  pub fn new(span: Span, start: u64, length: u64, size: u64) -> Self {
    ChunkIterator {
      span,
      cursor: start,
      end: start + length,
      size,
      done: false,
    }
  }
}

#[napi]
impl ChunkIterator {
  /// The next chunk: `{ value: Buffer, done: false }`, then `{ value: undefined, done: true }`.
  /// Throws `ERR_MMAP_CLOSED` if the file was closed (or resized below this chunk) meanwhile.
  #[napi(catch_unwind, ts_return_type = "IteratorResult<Buffer, undefined>")]
  pub fn next<'a>(&mut self, env: &'a Env) -> Result<Object<'a>> {
    if self.done || self.cursor >= self.end {
      self.done = true;
      return iterator_result(env, None);
    }
    if let Err(error) = self.span.len() {
      self.done = true;
      return Err(throw(env, error));
    }
    let length = self.size.min(self.end - self.cursor);
    let view = self
      .span
      .view(env, self.cursor, length)
      .inspect_err(|_| self.done = true)?;
    self.cursor += length;
    iterator_result(env, Some(view))
  }

  /// Ends the iteration early (`break` in a `for...of` calls it).
  #[napi(
    js_name = "return",
    ts_return_type = "IteratorResult<Buffer, undefined>"
  )]
  pub fn finish<'a>(&mut self, env: &'a Env) -> Result<Object<'a>> {
    self.done = true;
    iterator_result(env, None)
  }
}

/// `{ value, done: false }` for a chunk, `{ value: undefined, done: true }` at the end.
fn iterator_result<'a>(env: &'a Env, chunk: Option<Value>) -> Result<Object<'a>> {
  let js = Js::from_env(env);
  let mut result = Object::new(env)?;
  result.set_named_property("done", chunk.is_none())?;
  let value = match chunk {
    Some(view) => view,
    None => js.undefined()?,
  };
  js.set(result.raw(), "value", value)?;
  Ok(result)
}

/// Validates a chunk size: a positive safe integer.
pub fn chunk_size(env: &Env, value: crate::js::Value) -> Result<u64> {
  let js = Js::from_env(env);
  let size = crate::args::index(js, value, crate::errors::ArgName::Argument("size"))?;
  if size == 0 {
    return Err(throw(
      env,
      MmapError::OutOfRange {
        name: "size".into(),
        range: format!(">= 1 && <= {}", crate::args::MAX_SAFE_INTEGER as u64),
        received: "0".into(),
      },
    ));
  }
  Ok(size)
}
