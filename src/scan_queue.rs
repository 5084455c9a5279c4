//! The queue of the async scans: at most `max(cores, 4)` run at once (each may use every core
//! already, so more at once only makes them compete); the others wait in the order they were
//! started, holding no thread. A waiting scan that is stopped (its signal aborted, its mapping
//! closed or resized, its environment torn down) leaves the queue within [`WATCH_INTERVAL`] and
//! settles at once: one watcher thread looks at every waiting scan, and ends when none is left.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use crate::waits::{self, Pending};

/// How often the watcher looks at the waiting scans' stop conditions.
const WATCH_INTERVAL: Duration = Duration::from_millis(10);

struct Queue {
  running: usize,
  waiting: VecDeque<Pending>,
  /// Whether the watcher thread is alive.
  watched: bool,
}

static QUEUE: Mutex<Queue> = Mutex::new(Queue {
  running: 0,
  waiting: VecDeque::new(),
  watched: false,
});

fn queue() -> MutexGuard<'static, Queue> {
  QUEUE.lock().unwrap_or_else(|p| p.into_inner())
}

/// How many scans run at once: max(cores, 4), read once.
fn max_running() -> usize {
  static MAX: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
  *MAX.get_or_init(|| mmapkit_core::scan::max_threads().max(4))
}

/// Queues a scan (on the JS thread, at the call: the queue's order is the order of the calls) and
/// starts what fits.
pub fn admit(pending: Pending) {
  queue().waiting.push_back(pending);
  dispatch();
  // Something waits: make sure the watcher is looking at it.
  let start_watcher = {
    let mut queue = queue();
    !queue.waiting.is_empty() && !std::mem::replace(&mut queue.watched, true)
  };
  if start_watcher {
    let started = std::thread::Builder::new()
      .name("mmapkit scan queue".into())
      .stack_size(128 * 1024)
      .spawn(watch);
    if started.is_err() {
      // No watcher (the OS refused a thread): waiting scans still run in turn, and a stopped one
      // settles when its turn comes; the next admit tries again.
      queue().watched = false;
    }
  }
}

/// Starts waiting scans while slots are free, oldest first. When the OS refuses a thread, the scan
/// stays first in line while others run (one of them ending frees a thread); with none running it
/// is rejected with the OS error (`EAGAIN`), since nothing would free one.
fn dispatch() {
  loop {
    let next = {
      let mut queue = queue();
      if queue.running >= max_running() {
        return;
      }
      let Some(next) = queue.waiting.pop_front() else {
        return;
      };
      queue.running += 1;
      next
    };
    if let Err((pending, error)) = waits::spawn("scan", next, finished) {
      let mut queue = queue();
      queue.running -= 1;
      if queue.running > 0 {
        queue.waiting.push_front(pending);
        return;
      }
      drop(queue);
      pending.refuse(error);
    }
  }
}

/// A running scan ended, on its thread: the next in line runs on that thread, in the same slot (so
/// a thread limit cannot refuse it); with nobody waiting, the slot is given back.
fn finished() -> Option<Pending> {
  let mut queue = queue();
  let next = queue.waiting.pop_front();
  if next.is_none() {
    queue.running -= 1;
  }
  next
}

/// The watcher: settles waiting scans that were stopped, until none is waiting.
fn watch() {
  loop {
    std::thread::sleep(WATCH_INTERVAL);
    let stopped = {
      let mut queue = queue();
      if queue.waiting.is_empty() {
        queue.watched = false;
        return;
      }
      let (stopped, waiting): (VecDeque<Pending>, VecDeque<Pending>) =
        std::mem::take(&mut queue.waiting)
          .into_iter()
          .partition(Pending::stopped);
      queue.waiting = waiting;
      stopped
    };
    // Each returns at once (its work sees what `stopped` saw) and settles its promise.
    for pending in stopped {
      pending.run();
    }
  }
}
