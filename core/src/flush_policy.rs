//! When writes are flushed without an explicit `flush()`.
//!
//! Writes through `MappedFile::write` (`updateRegion`) are counted; writes through views and
//! atomics cannot be, so no policy replaces an explicit `flush()` for them. What each policy
//! guarantees:
//! - `Manual`: nothing is synced until `flush`/`flush_range` is called.
//! - `Always`: each `write` returns only after the pages it touched are synced (`msync(MS_SYNC)`).
//! - `EveryBytes(n)`: a `write` that brings the unflushed byte count to `n` or more syncs the whole
//!   mapping before it returns: at most `n - 1` counted bytes are ever unsynced after a `write`.
//! - `EveryWrites(n)`: likewise after every `n`th counted write.
//! - `EveryMillis(ms)`: a background thread syncs the whole mapping every `ms` milliseconds when
//!   counted writes are pending; it stops (and is joined) at `close`. Counted data is at most about
//!   `ms` old when it reaches the disk. A failure is kept and reported by the next `flush`.

use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// A flush policy (the contract's `FlushPolicy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FlushPolicy {
  /// Only explicit flushes.
  #[default]
  Manual,
  /// Sync the touched pages on every counted write.
  Always,
  /// Sync everything once this many counted bytes are pending.
  EveryBytes(u64),
  /// Sync everything after this many counted writes.
  EveryWrites(u64),
  /// Sync everything pending every this many milliseconds, off the calling thread.
  EveryMillis(u64),
}

/// The background thread of `EveryMillis`.
pub(crate) struct Flusher {
  stop: Arc<(Mutex<bool>, Condvar)>,
  handle: Option<JoinHandle<()>>,
}

impl Flusher {
  /// Calls `tick` every `interval` until stopped; `tick` returns false to stop by itself.
  pub(crate) fn start(
    interval: Duration,
    mut tick: impl FnMut() -> bool + Send + 'static,
  ) -> Flusher {
    let stop = Arc::new((Mutex::new(false), Condvar::new()));
    let signal = Arc::clone(&stop);
    let handle = std::thread::Builder::new()
      .name("mmapkit-flusher".into())
      .spawn(move || {
        let (stopped, wake) = &*signal;
        let mut guard = stopped.lock().unwrap_or_else(|p| p.into_inner());
        loop {
          let (next, _) = wake
            .wait_timeout(guard, interval)
            .unwrap_or_else(|p| p.into_inner());
          guard = next;
          if *guard {
            return;
          }
          drop(guard);
          let keep_going = tick();
          guard = stopped.lock().unwrap_or_else(|p| p.into_inner());
          if !keep_going || *guard {
            return;
          }
        }
      })
      .ok();
    Flusher { stop, handle }
  }

  /// Stops the thread and waits for it (a tick in progress finishes first).
  pub(crate) fn stop(&mut self) {
    let (stopped, wake) = &*self.stop;
    *stopped.lock().unwrap_or_else(|p| p.into_inner()) = true;
    wake.notify_all();
    if let Some(handle) = self.handle.take() {
      let _ = handle.join();
    }
  }
}

impl Drop for Flusher {
  fn drop(&mut self) {
    self.stop();
  }
}
