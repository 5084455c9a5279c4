//! The async twins: each Task runs the same core function as its sync method, on the libuv
//! threadpool, and settles the Promise on the JS thread with Node-style errors.
//!
//! Argument errors found before the work starts are kept in the task (`early`) so that the
//! Promise rejects with them, as `fs/promises` does, instead of the call throwing.

use std::sync::Arc;

use mmapkit_core::{MappedFile, MmapError, OpenOptions};
use napi::bindgen_prelude::*;

use crate::abort::AbortWatch;
use crate::errors;
use crate::file::MemoryMappedFile;
use crate::js::Js;

/// What every task shares: the abort watch and an error to reject with before doing any work.
pub struct Settle {
  pub abort: AbortWatch,
  pub early: Option<Error>,
}

impl Settle {
  pub fn ok(abort: AbortWatch) -> Self {
    Settle { abort, early: None }
  }

  /// A task that only rejects with `error`.
  pub fn rejecting(error: Error) -> Self {
    Settle {
      abort: AbortWatch::none(),
      early: Some(error),
    }
  }

  /// Whether `compute` should skip the work.
  fn skip(&self) -> bool {
    self.early.is_some() || self.abort.is_aborted()
  }

  /// The JS-thread verdict: the early error, an abort, or the core result.
  fn settle<T>(&mut self, env: &Env, output: std::result::Result<T, MmapError>) -> Result<T> {
    if let Some(early) = self.early.take() {
      return Err(early);
    }
    if self.abort.is_aborted() {
      return Err(self.abort.abort_error(Js::from_env(env)));
    }
    output.map_err(|e| errors::throw(env, e))
  }
}

/// `MemoryMappedFile.openAsync`.
pub struct OpenTask {
  pub path: String,
  pub options: OpenOptions,
  pub settle: Settle,
}

impl Task for OpenTask {
  type Output = std::result::Result<MappedFile, MmapError>;
  type JsValue = MemoryMappedFile;

  fn compute(&mut self) -> Result<Self::Output> {
    if self.settle.skip() {
      return Ok(Err(MmapError::Aborted));
    }
    Ok(MappedFile::open(&self.path, &self.options))
  }

  fn resolve(&mut self, env: Env, output: Self::Output) -> Result<MemoryMappedFile> {
    // An abort that arrives while the file is being mapped still wins: the mapping is dropped.
    let mapping = self.settle.settle(&env, output)?;
    Ok(MemoryMappedFile::wrap(Arc::new(mapping)))
  }

  fn finally(mut self, env: Env) -> Result<()> {
    self.settle.abort.release(Js::from_env(&env));
    Ok(())
  }
}

/// `flushAsync` and `flushRangeAsync`.
pub struct FlushTask {
  pub mapping: Arc<MappedFile>,
  /// `None` flushes the whole mapping.
  pub range: Option<(u64, u64)>,
  pub settle: Settle,
}

impl Task for FlushTask {
  type Output = std::result::Result<(), MmapError>;
  type JsValue = ();

  fn compute(&mut self) -> Result<Self::Output> {
    if self.settle.skip() {
      return Ok(Err(MmapError::Aborted));
    }
    Ok(match self.range {
      None => self.mapping.flush(),
      Some((offset, length)) => self.mapping.flush_range(offset, length),
    })
  }

  fn resolve(&mut self, env: Env, output: Self::Output) -> Result<()> {
    self.settle.settle(&env, output)
  }

  fn finally(mut self, env: Env) -> Result<()> {
    self.settle.abort.release(Js::from_env(&env));
    Ok(())
  }
}
