//! Which segments a `resize()` stopped covering. A segment that the parent once failed to cover is
//! invalid for good (`valid` false, every call `ERR_MMAP_CLOSED`), even if a later resize makes
//! the mapping long enough again: its bytes may have been dropped and re-created meanwhile, and
//! code holding it must not silently carry on over them.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};

/// The segments of one mapping, shared by its whole-file span and every span made from it.
#[derive(Default)]
pub struct Coverage {
  /// Every segment made so far that is still alive (dead entries are pruned now and then).
  segments: Mutex<Vec<Weak<Covered>>>,
}

/// One segment's part of [`Coverage`]: its end in the mapping, and whether it was ever uncovered.
pub struct Covered {
  end: u64,
  lost: AtomicBool,
}

impl Covered {
  /// Whether the mapping stopped covering this segment at some point.
  pub fn is_lost(&self) -> bool {
    self.lost.load(Ordering::Relaxed)
  }

  /// Marks the segment as no longer covered, for good.
  pub fn lose(&self) {
    self.lost.store(true, Ordering::Relaxed);
  }
}

impl Coverage {
  /// Registers a segment ending at mapping offset `end`.
  pub fn track(&self, end: u64) -> Arc<Covered> {
    let covered = Arc::new(Covered {
      end,
      lost: AtomicBool::new(false),
    });
    let mut segments = self.segments.lock().unwrap_or_else(|p| p.into_inner());
    // Prune collected segments whenever the list doubles, so it stays proportional to the live ones.
    if segments.len() >= 64 && segments.len() == segments.capacity() {
      segments.retain(|weak| weak.strong_count() > 0);
    }
    segments.push(Arc::downgrade(&covered));
    covered
  }

  /// The mapping is now `mapped` bytes long (after a resize, successful or not): every segment
  /// ending past that is lost.
  pub fn resized(&self, mapped: u64) {
    let mut segments = self.segments.lock().unwrap_or_else(|p| p.into_inner());
    segments.retain(|weak| match weak.upgrade() {
      Some(covered) => {
        if covered.end > mapped {
          covered.lose();
        }
        !covered.is_lost()
      }
      None => false,
    });
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn a_segment_lost_by_a_shrink_stays_lost_after_growth() {
    let coverage = Coverage::default();
    let (early, late) = (coverage.track(100), coverage.track(10));
    coverage.resized(50);
    assert!(early.is_lost() && !late.is_lost());
    coverage.resized(1000);
    assert!(early.is_lost(), "growing back does not revive a segment");
    assert!(!late.is_lost());
  }

  #[test]
  fn collected_segments_are_pruned() {
    let coverage = Coverage::default();
    for _ in 0..1000 {
      drop(coverage.track(1));
    }
    assert!(coverage.segments.lock().unwrap().len() <= 128);
  }
}
