//! `MemoryMappedFile.openAsync`: the open on the libuv threadpool, resolving to the class.

use std::sync::Arc;

use mmapkit_core::{MappedFile, MmapError, OpenOptions};
use napi::bindgen_prelude::*;

use super::MemoryMappedFile;
use crate::js::Js;
use crate::settle::Settle;

/// `MemoryMappedFile.openAsync`.
pub struct OpenTask {
  /// Taken by `compute`.
  pub source: Option<crate::args::Source>,
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
    let abort = self.settle.abort.flag();
    Ok(match self.source.take() {
      Some(source) => source.open(&self.options, Some(&abort)),
      None => Err(MmapError::Closed),
    })
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
