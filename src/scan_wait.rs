//! The async scans (`countLinesAsync`, `countAsync`, `findAllAsync`) on a thread of their own
//! (`waits.rs`), not on libuv's pool: a scan of a large file may run for minutes, and on the pool
//! it would hold one of its four threads and make `process.exit()` and `worker.terminate()` wait
//! for its end. A scan stops within milliseconds (it checks its [`Control`] once per block) when
//! - its `AbortSignal` fires (the Promise rejects with an `AbortError`),
//! - its environment is torn down (nothing settles),
//! - `close()` or `resize()` of its mapping begins (the Promise rejects with `ERR_MMAP_CLOSED`):
//!   both wait for readers of the mapping, so the scan must end for them to proceed.
//!
//! At most `max(cores, 4)` scans run at once; the others wait in the order they were started,
//! holding no thread (`scan_queue.rs`), and settle at once when stopped while they wait.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use mmapkit_core::scan::Control;
use mmapkit_core::{MappedFile, MmapError};
use napi::bindgen_prelude::*;

use crate::scan_job::{ScanJob, ScanOutput};
use crate::scan_queue;
use crate::settle::Settle;
use crate::waits::{self, Launch, Promise};

/// Starts `job` over `mapping`; `job` is `None` when `settle` only rejects.
pub fn start(
  env: &Env,
  mapping: Arc<MappedFile>,
  job: Option<ScanJob>,
  settle: Settle,
) -> Result<Promise> {
  // Read on the JS thread, at the call: a close() or resize() right after it stops the scan.
  let unmaps = mapping.unmap_count();
  let watched = Arc::clone(&mapping);
  let settled = Arc::clone(&mapping);
  let promise = waits::start(
    env,
    Launch::Queued(
      scan_queue::admit,
      Box::new(move || watched.unmap_count() != unmaps),
    ),
    settle,
    move |stop| match job {
      Some(job) => watch(&mapping, &job, unmaps, stop),
      None => Err(MmapError::Closed),
    },
    Box::new(move |env, settle, output| {
      // A close() or resize() before the Promise settles wins, also over a scan that ended just
      // before it: the answer is about a mapping the caller has given up.
      let output = match output {
        Ok(_) if settled.unmap_count() != unmaps => Err(MmapError::Closed),
        other => other,
      };
      Ok(match settle.settle(env, output)? {
        ScanOutput::Count(n) => Either::A(n as f64),
        ScanOutput::Offsets(offsets) => {
          Either::B(offsets.into_iter().map(|o| o as f64).collect::<Vec<f64>>())
        }
      })
    }),
  )?;
  Ok(Promise::of(promise))
}

/// Runs `job` on this thread; the scan itself looks at `stop` and at the mapping's unmapping once
/// per block. A scan stopped by `close()`/`resize()` ends with [`MmapError::Closed`].
fn watch(
  mapping: &MappedFile,
  job: &ScanJob,
  unmaps: u64,
  stop: &AtomicBool,
) -> std::result::Result<ScanOutput, MmapError> {
  let unmapped = || mapping.unmap_count() != unmaps;
  let stopped = || unmapped() || stop.load(Ordering::SeqCst);
  let control = Control::stopping_when(&stopped);
  // Stopped while it waited in the queue: nothing to scan.
  let output = if stopped() {
    Err(MmapError::Aborted)
  } else {
    job.run(mapping, &control)
  };
  match output {
    Err(MmapError::Aborted) if unmapped() => Err(MmapError::Closed),
    other => other,
  }
}
