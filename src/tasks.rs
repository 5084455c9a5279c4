//! The async twins: each Task runs the same core function as its sync method, on the libuv
//! threadpool, and settles the Promise on the JS thread with Node-style errors. Waits that may
//! last forever (`popAsync`, `lockAsync`) do not belong on that pool: see `waits.rs`.
//!
//! Argument errors found before the work starts are kept in the task (`early`) so that the
//! Promise rejects with them, as `fs/promises` does, instead of the call throwing.

use std::sync::Arc;

use std::sync::atomic::Ordering;
use std::time::Duration;

use mmapkit_core::scan::Control;
use mmapkit_core::{MappedFile, MmapError, OpenOptions};
use napi::bindgen_prelude::*;

use crate::abort::AbortWatch;
use crate::file::MemoryMappedFile;
use crate::js::Js;
use crate::node_error;
use crate::scan_methods::{ScanJob, ScanOutput};

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

/// `MemoryMappedFile.openAsync`.
pub struct OpenTask {
  /// Taken by `compute`.
  pub source: Option<crate::arguments::Source>,
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

/// `countLinesAsync`, `countAsync` and `findAllAsync`: the sync methods' [`ScanJob`] on a worker
/// thread, while the libuv thread forwards aborts to it (the job reports `onProgress` itself).
pub struct ScanTask {
  pub mapping: Arc<MappedFile>,
  /// `None` when the task only rejects (`settle.early`).
  pub job: Option<ScanJob>,
  pub settle: Settle,
}

impl Task for ScanTask {
  type Output = std::result::Result<ScanOutput, MmapError>;
  type JsValue = Either<f64, Vec<f64>>;

  fn compute(&mut self) -> Result<Self::Output> {
    let Some(job) = self.job.as_ref().filter(|_| !self.settle.skip()) else {
      return Ok(Err(MmapError::Aborted));
    };
    let control = Control::default();
    let abort = self.settle.abort.flag();
    let mapping = &self.mapping;
    Ok(std::thread::scope(|scope| {
      // A thread the OS refuses (RLIMIT_NPROC, a pid limit) rejects with its errno, never panics.
      let worker =
        match std::thread::Builder::new().spawn_scoped(scope, || job.run(mapping, &control)) {
          Ok(worker) => worker,
          Err(error) => return Err(crate::waits::thread_error(error)),
        };
      while !worker.is_finished() {
        std::thread::sleep(Duration::from_millis(2));
        if abort.load(Ordering::SeqCst) {
          control.abort.store(true, Ordering::SeqCst);
        }
      }
      worker
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    }))
  }

  fn resolve(&mut self, env: Env, output: Self::Output) -> Result<Self::JsValue> {
    Ok(match self.settle.settle(&env, output)? {
      ScanOutput::Count(n) => Either::A(n as f64),
      ScanOutput::Offsets(offsets) => Either::B(offsets.into_iter().map(|o| o as f64).collect()),
    })
  }

  fn finally(mut self, env: Env) -> Result<()> {
    self.settle.abort.release(Js::from_env(&env));
    Ok(())
  }
}
