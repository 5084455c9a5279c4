//! [`Settle`]: what every async call shares, the abort watch and an error to reject with before
//! doing any work (one found on the JS thread, such as `EBADF` for a closed descriptor), and the
//! JS-thread verdict that settles its Promise with a Node-style error.

use mmapkit_core::MmapError;
use napi::bindgen_prelude::*;

use crate::abort::AbortWatch;
use crate::js::Js;
use crate::node_error;

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
  pub fn skip(&self) -> bool {
    self.early.is_some() || self.abort.is_aborted()
  }

  /// The JS-thread verdict: the early error, an abort, or the core result.
  pub fn settle<T>(&mut self, env: &Env, output: std::result::Result<T, MmapError>) -> Result<T> {
    if let Some(early) = self.early.take() {
      return Err(early);
    }
    if self.abort.is_aborted() {
      return Err(self.abort.abort_error(Js::from_env(env)));
    }
    output.map_err(|e| node_error::throw(env, e))
  }
}
