//! The async twins that name no class and end on their own: each Task runs the same core function
//! as its sync method, on the libuv threadpool, and settles the Promise on the JS thread through
//! its [`Settle`]. Waits that may last forever (`popAsync`, `lockAsync`, `openAsync` with a lock)
//! and scans that may last minutes do not belong on that pool: see `waits.rs` and
//! `scan_wait.rs`; `openAsync` is beside its class (`file/open_task.rs`).

use std::sync::Arc;

use mmapkit_core::{MappedFile, MmapError};
use napi::bindgen_prelude::*;

use crate::js::Js;
use crate::settle::Settle;

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
