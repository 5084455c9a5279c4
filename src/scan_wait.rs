//! The async scans (`countLinesAsync`, `countAsync`, `findAllAsync`) on a thread of their own
//! (`waits.rs`), not on libuv's pool: a scan of a large file may run for minutes, and on the pool
//! it would hold one of its four threads and make `process.exit()` and `worker.terminate()` wait
//! for its end. A scan stops within milliseconds (its [`Control`] is checked once per block) when
//! - its `AbortSignal` fires (the Promise rejects with an `AbortError`),
//! - its environment is torn down (nothing settles),
//! - `close()` or `resize()` of its mapping begins (the Promise rejects with `ERR_MMAP_CLOSED`):
//!   both wait for readers of the mapping, so the scan must end for them to proceed.
//!
//! At most `max(cores, 4)` scans run at once (each may use every core already); the others wait
//! for a slot in the order they were started, idle, watching the same stop conditions.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use mmapkit_core::scan::Control;
use mmapkit_core::{MappedFile, MmapError};
use napi::bindgen_prelude::*;

use crate::scan_job::{ScanJob, ScanOutput};
use crate::settle::Settle;
use crate::waits::{self, Promise};

/// How often the scan's watcher looks at its stop flag and at its mapping.
const POLL: Duration = Duration::from_millis(2);

/// Starts `job` over `mapping`; `job` is `None` when `settle` only rejects.
pub fn start(
  env: &Env,
  mapping: Arc<MappedFile>,
  job: Option<ScanJob>,
  settle: Settle,
) -> Result<Promise> {
  // Read on the JS thread, at the call: a close() or resize() right after it stops the scan.
  let unmaps = mapping.unmap_count();
  let promise = waits::start(
    env,
    "scan",
    settle,
    move |stop| match job {
      Some(job) => watch(&mapping, &job, unmaps, stop),
      None => Err(MmapError::Closed),
    },
    Box::new(|env, settle, output| {
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

/// Runs `job` on a scoped thread while this one forwards `stop` and the mapping's unmapping to its
/// control; a scan stopped by `close()`/`resize()` ends with [`MmapError::Closed`].
fn watch(
  mapping: &MappedFile,
  job: &ScanJob,
  unmaps: u64,
  stop: &AtomicBool,
) -> std::result::Result<ScanOutput, MmapError> {
  // Wait for one of the running slots (at most `max_running()` scans at once, first come first
  // served), watching the same stop conditions as the scan itself.
  let _slot = Slot::take(|| {
    if mapping.unmap_count() != unmaps {
      Some(MmapError::Closed)
    } else if stop.load(Ordering::SeqCst) {
      Some(MmapError::Aborted)
    } else {
      None
    }
  })?;
  let control = Control::default();
  let mut unmapped = false;
  let output = std::thread::scope(|scope| {
    // A thread the OS refuses (RLIMIT_NPROC, a pid limit) rejects with its errno, never panics.
    let worker = std::thread::Builder::new()
      .name("mmapkit scan".into())
      .spawn_scoped(scope, || job.run(mapping, &control))
      .map_err(waits::thread_error)?;
    while !worker.is_finished() {
      std::thread::sleep(POLL);
      if mapping.unmap_count() != unmaps {
        unmapped = true;
        control.abort.store(true, Ordering::SeqCst);
      }
      if stop.load(Ordering::SeqCst) {
        control.abort.store(true, Ordering::SeqCst);
      }
    }
    worker
      .join()
      .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
  });
  match output {
    Err(MmapError::Aborted) if unmapped => Err(MmapError::Closed),
    other => other,
  }
}

/// How many async scans run at once; the others wait (idle, on their own threads) for a slot, in
/// the order they were started, as jobs queued on a pool would. Each scan already uses up to all
/// cores, so more at once only makes them compete.
fn max_running() -> usize {
  std::thread::available_parallelism().map_or(4, |n| n.get().max(4))
}

/// The running scans and the queue of those waiting for a slot.
struct Slots {
  running: usize,
  /// Tickets of the waiting scans, oldest first.
  waiting: VecDeque<u64>,
  next_ticket: u64,
}

static SLOTS: Mutex<Slots> = Mutex::new(Slots {
  running: 0,
  waiting: VecDeque::new(),
  next_ticket: 0,
});
static SLOTS_CHANGED: Condvar = Condvar::new();

/// How often a waiting scan looks at its stop conditions.
const QUEUE_POLL: Duration = Duration::from_millis(10);

fn slots() -> MutexGuard<'static, Slots> {
  SLOTS.lock().unwrap_or_else(|p| p.into_inner())
}

/// A running slot, given back when dropped (also when the scan panics).
struct Slot;

impl Slot {
  /// Waits for a slot, first come first served; ends early with the error `stopped` returns.
  fn take(stopped: impl Fn() -> Option<MmapError>) -> std::result::Result<Slot, MmapError> {
    let mut slots = slots();
    let ticket = slots.next_ticket;
    slots.next_ticket += 1;
    slots.waiting.push_back(ticket);
    loop {
      if slots.running < max_running() && slots.waiting.front() == Some(&ticket) {
        slots.waiting.pop_front();
        slots.running += 1;
        // The next in line may fit too.
        SLOTS_CHANGED.notify_all();
        return Ok(Slot);
      }
      if let Some(error) = stopped() {
        slots.waiting.retain(|&t| t != ticket);
        SLOTS_CHANGED.notify_all();
        return Err(error);
      }
      slots = SLOTS_CHANGED
        .wait_timeout(slots, QUEUE_POLL)
        .unwrap_or_else(|p| p.into_inner())
        .0;
    }
  }
}

impl Drop for Slot {
  fn drop(&mut self) {
    slots().running -= 1;
    SLOTS_CHANGED.notify_all();
  }
}
