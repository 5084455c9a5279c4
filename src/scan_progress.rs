//! `onProgress(bytesDone, bytesTotal)` of the async scans, driven by the scan itself: a reporter
//! thread forwards the bytes scanned every 50 ms while the scan runs, and once the scan succeeded
//! the last call is `(total, total)`, delivered to JavaScript before the Promise settles. So every
//! successful async scan calls `onProgress` at least once, last with `bytesDone === bytesTotal`,
//! however fast it was.

use std::sync::mpsc::sync_channel;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use mmapkit_core::scan::Control;
use napi::bindgen_prelude::{FnArgs, Unknown};
use napi::threadsafe_function::ThreadsafeFunctionCallMode;
use napi::Status;

/// `onProgress(bytesDone, bytesTotal)`, callable from the scan's coordinating thread.
pub type ProgressCallback = napi::threadsafe_function::ThreadsafeFunction<
  FnArgs<(f64, f64)>,
  Unknown<'static>,
  FnArgs<(f64, f64)>,
  Status,
  false,
  true,
>;

/// Time between two reports while a scan runs.
const INTERVAL: Duration = Duration::from_millis(50);

/// How long a finished scan waits for its last report to run in JavaScript. Only a JS thread busy
/// for longer than this, or one being torn down, makes it give up (the report then arrives after
/// the Promise settled, or not at all); the scan's result is never held back longer.
const DELIVERY_WAIT: Duration = Duration::from_secs(1);

/// A scan's `onProgress` callback.
#[derive(Clone)]
pub struct Progress(pub Arc<ProgressCallback>);

impl std::fmt::Debug for Progress {
  fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    f.write_str("Progress")
  }
}

/// The reporter's stop flag, set when the scan ends however it ends (a panic included).
struct Stop {
  stopped: Mutex<bool>,
  wake: Condvar,
}

impl Stop {
  fn set(&self) {
    *self.stopped.lock().unwrap_or_else(|p| p.into_inner()) = true;
    self.wake.notify_all();
  }
}

struct SetOnDrop<'a>(&'a Stop);

impl Drop for SetOnDrop<'_> {
  fn drop(&mut self) {
    self.0.set();
  }
}

impl Progress {
  /// Runs `scan` (which advances `control.done`) with reports along the way, and `(total, total)`
  /// once it succeeded.
  pub fn around<T, E>(
    &self,
    total: u64,
    control: &Control,
    scan: impl FnOnce() -> Result<T, E>,
  ) -> Result<T, E> {
    let stop = Stop {
      stopped: Mutex::new(false),
      wake: Condvar::new(),
    };
    let result = std::thread::scope(|scope| {
      // Without a reporter thread (the OS refused one) the scan still runs; only the reports
      // along the way are lost, not the last one.
      let _reporter = std::thread::Builder::new()
        .name("mmapkit-progress".into())
        .spawn_scoped(scope, || self.report_until(&stop, total, control));
      let _stop_on_exit = SetOnDrop(&stop);
      scan()
    });
    if result.is_ok() {
      self.deliver(total, total);
    }
    result
  }

  /// Reports `control.done` every [`INTERVAL`] (when it changed) until `stop` is set.
  fn report_until(&self, stop: &Stop, total: u64, control: &Control) {
    let mut reported = None;
    let mut stopped = stop.stopped.lock().unwrap_or_else(|p| p.into_inner());
    loop {
      stopped = stop
        .wake
        .wait_timeout_while(stopped, INTERVAL, |stopped| !*stopped)
        .unwrap_or_else(|p| p.into_inner())
        .0;
      if *stopped {
        return;
      }
      let done = control
        .done
        .load(std::sync::atomic::Ordering::Relaxed)
        .min(total);
      if reported != Some(done) {
        self.0.call(
          FnArgs::from((done as f64, total as f64)),
          ThreadsafeFunctionCallMode::NonBlocking,
        );
        reported = Some(done);
      }
    }
  }

  /// Calls `onProgress(done, total)` and waits (at most [`DELIVERY_WAIT`]) until it has run.
  fn deliver(&self, done: u64, total: u64) {
    let (ran, wait) = sync_channel(1);
    let status = self.0.call_with_return_value(
      FnArgs::from((done as f64, total as f64)),
      ThreadsafeFunctionCallMode::NonBlocking,
      move |returned, _| {
        let _ = ran.send(());
        // An exception thrown by onProgress surfaces as an uncaughtException, as it would from
        // any other callback Node calls; the scan's result is not affected.
        returned.map(drop)
      },
    );
    if status == Status::Ok {
      let _ = wait.recv_timeout(DELIVERY_WAIT);
    }
  }
}
