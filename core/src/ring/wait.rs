//! Waiting for a message: a futex on Linux (shared between processes), polling elsewhere.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use super::layout::{OFF_SEQ, OFF_WAITERS};
use super::RingBuffer;
use crate::error::{MmapError, Result};

impl RingBuffer {
  /// Waits until a message is waiting, `timeout` passes (`Ok(false)`), or `abort` is set
  /// ([`MmapError::Aborted`]). Linux sleeps on a futex that the producer wakes; elsewhere it polls
  /// every millisecond.
  ///
  /// ```
  /// use mmapkit_core::RingBuffer;
  /// use std::sync::atomic::AtomicBool;
  /// use std::time::Duration;
  /// # let dir = tempfile::tempdir().unwrap();
  /// # let path = dir.path().join("queue.ring");
  /// # let path = path.to_str().unwrap();
  /// let ring = RingBuffer::create(path, 1024, false)?;
  /// let abort = AtomicBool::new(false);
  /// assert!(!ring.wait(Some(Duration::from_millis(5)), &abort)?); // timed out
  /// std::thread::scope(|scope| {
  ///   scope.spawn(|| RingBuffer::open(path)?.push(b"wake up"));
  ///   // Returns once the other thread (or process) pushed.
  ///   assert!(ring.wait(Some(Duration::from_secs(10)), &abort).unwrap());
  /// });
  /// assert_eq!(ring.pop()?.as_deref(), Some(&b"wake up"[..]));
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
  pub fn wait(&self, timeout: Option<Duration>, abort: &AtomicBool) -> Result<bool> {
    let deadline = timeout.map(|t| Instant::now() + t);
    loop {
      if abort.load(Ordering::SeqCst) {
        return Err(MmapError::Aborted);
      }
      let remaining = match deadline {
        Some(deadline) => match deadline.checked_duration_since(Instant::now()) {
          Some(left) => left,
          None => return Ok(!self.is_empty()?),
        },
        None => Duration::MAX,
      };
      // At most 50 ms per sleep, so that aborts and `close` are noticed promptly.
      let slice = remaining.min(Duration::from_millis(50));
      // SAFETY: futex words inside the header; the closure owns nothing.
      let ready = unsafe {
        self.view(|v| {
          let seq = v.u32(OFF_SEQ).load(Ordering::Acquire);
          v.u32(OFF_WAITERS).fetch_add(1, Ordering::AcqRel);
          let ready = v.positions().map(|(head, tail)| head != tail);
          if matches!(ready, Ok(false)) {
            wait_on(v.u32(OFF_SEQ), seq, slice);
          }
          v.u32(OFF_WAITERS).fetch_sub(1, Ordering::AcqRel);
          ready
        })
      }??;
      if ready || !self.is_empty()? {
        return Ok(true);
      }
    }
  }
}

/// Sleeps until `word` differs from `expected`, a wake, or `timeout` (whichever is first).
#[cfg(target_os = "linux")]
fn wait_on(word: &AtomicU32, expected: u32, timeout: Duration) {
  let spec = libc::timespec {
    tv_sec: timeout.as_secs() as libc::time_t,
    tv_nsec: timeout.subsec_nanos() as libc::c_long,
  };
  // SAFETY: a shared (not PRIVATE) futex wait on a word of a MAP_SHARED file mapping, so other
  // processes can wake it; `spec` outlives the call. Spurious returns are handled by the caller.
  unsafe {
    libc::syscall(
      libc::SYS_futex,
      word.as_ptr(),
      libc::FUTEX_WAIT,
      expected,
      &spec as *const libc::timespec,
      0usize,
      0u32,
    );
  }
}

#[cfg(not(target_os = "linux"))]
fn wait_on(word: &AtomicU32, expected: u32, timeout: Duration) {
  // Polling fallback: sleep a millisecond unless the word already changed.
  if word.load(Ordering::Acquire) == expected {
    std::thread::sleep(timeout.min(Duration::from_millis(1)));
  }
}

/// Wakes every process waiting in `wait_on` for `word`.
#[cfg(target_os = "linux")]
pub(super) fn wake_all(word: &AtomicU32) {
  // SAFETY: a shared futex wake on a word of the mapping; touches no memory.
  unsafe {
    libc::syscall(
      libc::SYS_futex,
      word.as_ptr(),
      libc::FUTEX_WAKE,
      i32::MAX,
      0usize,
      0usize,
      0u32,
    );
  }
}

#[cfg(not(target_os = "linux"))]
pub(super) fn wake_all(_word: &AtomicU32) {}
