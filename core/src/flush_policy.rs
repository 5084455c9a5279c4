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
use std::time::{Duration, Instant};

/// A flush policy (the contract's `FlushPolicy`).
///
/// ```
/// use mmapkit_core::{FlushPolicy, MappedFile, Mode, OpenOptions};
/// # let dir = tempfile::tempdir().unwrap();
/// # let path = dir.path().join("data.bin");
/// let options = OpenOptions {
///   mode: Some(Mode::ReadWrite),
///   create: true,
///   size: Some(4096),
///   flush_policy: FlushPolicy::Always,
///   ..OpenOptions::default()
/// };
/// let file = MappedFile::open(&path, &options)?;
/// file.write(0, b"synced")?; // durable when it returns
/// assert_eq!(file.pending_bytes(), 0);
/// # Ok::<(), mmapkit_core::MmapError>(())
/// ```
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

/// Waits `interval` (or forever if that is beyond the clock's range) unless `stopped` is or
/// becomes true; returns whether it is time to tick (false: stopped). The flag is checked under
/// its lock before every wait, so a stop that came before the thread started waiting, or between
/// two waits, is never missed, and spurious wakeups do not shorten the interval.
fn wait_for_tick(stopped: &Mutex<bool>, wake: &Condvar, interval: Duration) -> bool {
  let deadline = Instant::now().checked_add(interval);
  let mut guard = stopped.lock().unwrap_or_else(|p| p.into_inner());
  while !*guard {
    match deadline {
      None => guard = wake.wait(guard).unwrap_or_else(|p| p.into_inner()),
      Some(deadline) => {
        let Some(left) = deadline
          .checked_duration_since(Instant::now())
          .filter(|d| !d.is_zero())
        else {
          return true;
        };
        guard = wake
          .wait_timeout(guard, left)
          .unwrap_or_else(|p| p.into_inner())
          .0;
      }
    }
  }
  false
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
        while wait_for_tick(stopped, wake, interval) {
          if !tick() {
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

#[cfg(test)]
mod tests {
  use super::*;
  use std::sync::atomic::{AtomicU32, Ordering};

  #[test]
  fn stop_ends_any_interval_at_once() {
    // Stopped before the thread first waits, and while it waits: neither may wait the interval.
    for interval in [
      Duration::from_secs(3600),
      Duration::from_millis(9_007_199_254_740_991),
    ] {
      for pause in [Duration::ZERO, Duration::from_millis(20)] {
        let mut flusher = Flusher::start(interval, || true);
        std::thread::sleep(pause);
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
          flusher.stop();
          let _ = tx.send(());
        });
        rx.recv_timeout(Duration::from_secs(60))
          .expect("stop() waited for the interval");
      }
    }
  }

  #[test]
  fn ticks_come_every_interval_until_stopped() {
    let ticks = Arc::new(AtomicU32::new(0));
    let counted = Arc::clone(&ticks);
    let mut flusher = Flusher::start(Duration::from_millis(1), move || {
      counted.fetch_add(1, Ordering::SeqCst) < 2
    });
    while ticks.load(Ordering::SeqCst) < 3 {
      std::thread::yield_now();
    }
    flusher.stop();
    assert_eq!(
      ticks.load(Ordering::SeqCst),
      3,
      "tick returning false stops the thread"
    );
  }
}
