//! Streaming substring search: the engine of `matches()` and `lastIndexOf()`.
//!
//! [`MatchCursor`] searches the range a window at a time and hands the matches out in order. Each
//! window is cut into 1 MiB blocks that up to `threads` threads claim one by one (so a thread the
//! OS runs late costs one block, not half the window), and memory stays bounded whatever the
//! number of matches and of threads: a block collects at most [`PART_CAP`] / `threads` offsets,
//! and a block that reaches its cap, or blocks holding [`PART_CAP`] in all, end the window there
//! (later blocks' results are dropped and searched again by the next window). Windows start small ([`FIRST_WINDOW`], so the
//! first match of a big file comes at once) and grow 4x up to [`MAX_WINDOW`]. The caller passes
//! the bytes to every call (the binding re-borrows the mapping each time). Matches are
//! non-overlapping and greedy from the left by default, like `count` and `findAll`
//! ([`crate::scan`]); with `overlapping` every starting position counts. Every access to the bytes
//! runs under [`guarded`].

use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use memchr::memmem::{Finder, FinderRev};

use crate::error::{MmapError, Result};
use crate::guard::guarded;
use crate::scan::{in_parallel, Control, MIN_BYTES_PER_THREAD};

/// Bytes of match starts the first window of a [`MatchCursor`] covers; each later window is 4x
/// the previous one, up to [`MAX_WINDOW`] (halved instead after a window that reached a cap).
pub const FIRST_WINDOW: usize = 64 << 10;

/// The largest window: long enough that starting a thread per window costs little against the
/// search, even on a busy machine where a new thread waits milliseconds for a core.
pub const MAX_WINDOW: usize = 256 << 20;

/// The most offsets the blocks of a window collect before it ends (8 bytes each: 512 KiB), split
/// between the threads.
pub const PART_CAP: usize = 1 << 16;

/// The matches of a pattern in a range, in order, found a window at a time on up to `threads`
/// threads.
///
/// ```
/// use mmapkit_core::matches::MatchCursor;
/// let data = b"aaaa-aa";
/// let mut greedy = MatchCursor::new(b"aa", 0..data.len(), false, 2).unwrap();
/// let mut found = Vec::new();
/// while let Some(at) = greedy.next(data).unwrap() {
///   found.push(at);
/// }
/// assert_eq!(found, [0, 2, 5]);
/// let mut overlapping = MatchCursor::new(b"aa", 0..data.len(), true, 2).unwrap();
/// found.clear();
/// while let Some(at) = overlapping.next(data).unwrap() {
///   found.push(at);
/// }
/// assert_eq!(found, [0, 1, 2, 5]);
/// ```
#[derive(Clone, Debug)]
pub struct MatchCursor {
  finder: Finder<'static>,
  /// Where the next window starts.
  pos: usize,
  end: usize,
  overlapping: bool,
  threads: usize,
  /// The next window's length.
  window: usize,
  /// Matches found and not handed out yet: `found[taken..]`.
  found: Vec<usize>,
  taken: usize,
  limits: Limits,
}

/// The sizes a cursor works with (constants, but small ones in the tests).
#[derive(Clone, Copy, Debug)]
struct Limits {
  first_window: usize,
  max_window: usize,
  part_cap: usize,
  min_part: usize,
}

const LIMITS: Limits = Limits {
  first_window: FIRST_WINDOW,
  max_window: MAX_WINDOW,
  part_cap: PART_CAP,
  min_part: MIN_BYTES_PER_THREAD,
};

/// The matches that start in one block of a window.
struct Part {
  offsets: Vec<usize>,
  /// The block stopped at [`Limits::part_cap`] offsets: the bytes after its last match are unsearched.
  capped: bool,
}

impl MatchCursor {
  /// The matches of `pattern` (not empty) in `range` of the data later passed to
  /// [`MatchCursor::fill`], searched on up to `threads` threads (at least one).
  pub fn new(
    pattern: &[u8],
    range: Range<usize>,
    overlapping: bool,
    threads: usize,
  ) -> Result<Self> {
    Self::with_limits(pattern, range, overlapping, threads, LIMITS)
  }

  fn with_limits(
    pattern: &[u8],
    range: Range<usize>,
    overlapping: bool,
    threads: usize,
    limits: Limits,
  ) -> Result<Self> {
    if pattern.is_empty() {
      return Err(MmapError::InvalidArgValue {
        message: "The argument 'pattern' must not be empty".into(),
      });
    }
    Ok(MatchCursor {
      finder: Finder::new(pattern).into_owned(),
      pos: range.start,
      end: range.end,
      overlapping,
      threads: threads.max(1),
      window: limits.first_window,
      found: Vec::new(),
      taken: 0,
      limits,
    })
  }

  /// The next match's offset in `data`; `None` once there are no more.
  pub fn next(&mut self, data: &[u8]) -> Result<Option<usize>> {
    let mut one = [0u64];
    let filled = self.fill(data, &mut one, &Control::default())?;
    Ok((filled == 1).then_some(one[0] as usize))
  }

  /// Fills `out` with the next matches; returns how many (fewer only at the end). Checks `control`
  /// for an abort before each window and reports the bytes searched as progress.
  pub fn fill(&mut self, data: &[u8], out: &mut [u64], control: &Control) -> Result<usize> {
    let mut filled = 0;
    while filled < out.len() {
      if self.taken == self.found.len() {
        self.found.clear();
        self.taken = 0;
        if !self.search_window(data, control)? {
          break;
        }
        continue;
      }
      let n = (out.len() - filled).min(self.found.len() - self.taken);
      let found = &self.found[self.taken..self.taken + n];
      for (slot, &at) in out[filled..filled + n].iter_mut().zip(found) {
        *slot = at as u64;
      }
      filled += n;
      self.taken += n;
    }
    Ok(filled)
  }

  /// Searches the next window into `found`; false when nothing is left to search.
  ///
  /// The window is cut into blocks of [`Limits::min_part`] bytes, which up to `threads` threads
  /// (the calling one first) claim one at a time, so a thread the OS runs late (a busy machine)
  /// delays the window by one block at most, not by half of it. A block collects at most
  /// [`Limits::part_cap`] / `threads` offsets, and claiming stops once a block reached that or the
  /// blocks done hold `part_cap` in all, so about twice `part_cap` offsets are held at most,
  /// whatever the number of threads.
  fn search_window(&mut self, data: &[u8], control: &Control) -> Result<bool> {
    let needle = self.finder.needle().len();
    if self.pos + needle > self.end {
      self.pos = self.end;
      return Ok(false);
    }
    control.check()?;
    let step = if self.overlapping { 1 } else { needle };
    // Match starts in [pos, window_end); a match may read up to needle - 1 bytes past it.
    let window_end = self
      .pos
      .saturating_add(self.window)
      .min(self.end - needle + 1);
    let block = self.limits.min_part.max(1);
    let blocks: Vec<Range<usize>> = (self.pos..window_end)
      .step_by(block)
      .map(|at| at..(at + block).min(window_end))
      .collect();
    let threads = self.threads.min(blocks.len()).max(1);
    let (finder, end, budget) = (&self.finder, self.end, self.limits.part_cap);
    let cap = (budget / threads).max(1);
    let claimed = AtomicUsize::new(0);
    let held = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let workers: Vec<Range<usize>> = (0..threads).map(|i| i..i).collect();
    let done = in_parallel(&workers, |_| {
      let mut mine = Vec::new();
      while !stop.load(Ordering::Relaxed) {
        let i = claimed.fetch_add(1, Ordering::Relaxed);
        let Some(range) = blocks.get(i) else {
          break;
        };
        let part = find_in_part(data, finder, range.clone(), end, step, cap)?;
        let count = part.offsets.len();
        if part.capped || held.fetch_add(count, Ordering::Relaxed) + count >= budget {
          stop.store(true, Ordering::Relaxed);
        }
        mine.push((i, part));
      }
      Ok(mine)
    })?;
    let mut parts: Vec<Option<Part>> = blocks.iter().map(|_| None).collect();
    for (i, part) in done.into_iter().flatten() {
      parts[i] = Some(part);
    }
    // Join the blocks in order. A block's matches hold only if it began in step with the greedy
    // scan: its first match must not start inside the previous block's last match (a straddle,
    // only without `overlapping`; the block is then searched again from that match's end). Nothing
    // after a capped block's last match, nor from an unclaimed block on, was searched.
    let start = self.pos;
    let mut next_allowed = self.pos;
    let mut resume = window_end;
    let mut capped = false;
    for (range, part) in blocks.iter().zip(parts) {
      let Some(mut part) = part else {
        resume = range.start;
        break;
      };
      if part
        .offsets
        .first()
        .is_some_and(|&first| first < next_allowed)
      {
        let rest = next_allowed.min(range.end)..range.end;
        part = find_in_part(data, finder, rest, end, step, cap)?;
      }
      self.found.extend_from_slice(&part.offsets);
      if let Some(&last) = part.offsets.last() {
        next_allowed = last + step;
      }
      if part.capped {
        resume = next_allowed;
        capped = true;
        break;
      }
    }
    self.pos = resume.max(next_allowed).min(self.end);
    self.window = if capped {
      (self.window / 2).max(self.limits.first_window)
    } else {
      self.window.saturating_mul(4).min(self.limits.max_window)
    };
    control.advance(self.pos - start);
    Ok(true)
  }
}

/// The greedy matches (every `step` bytes at least) that start in `starts`, reading up to `end`;
/// at most `cap` of them.
fn find_in_part(
  data: &[u8],
  finder: &Finder<'_>,
  starts: Range<usize>,
  end: usize,
  step: usize,
  cap: usize,
) -> Result<Part> {
  let needle = finder.needle().len();
  let window_end = (starts.end + needle - 1).min(end);
  let mut offsets = Vec::new();
  let collected = &mut offsets;
  // SAFETY: the search borrows the window; `offsets` (whose Vec may grow) is owned outside the
  // closure, which itself owns nothing (the `guarded` contract).
  let capped = unsafe {
    guarded(|| {
      let mut pos = starts.start;
      while pos < starts.end {
        let Some(at) = finder.find(&data[pos..window_end]) else {
          break;
        };
        let start = pos + at;
        collected.push(start);
        if collected.len() >= cap {
          return true;
        }
        pos = start + step;
      }
      false
    })
  }?;
  Ok(Part { offsets, capped })
}

/// The last occurrence of `pattern` (not empty) in `data` that starts at or before `from`, as
/// `Buffer.prototype.lastIndexOf` finds it.
///
/// ```
/// use mmapkit_core::matches::last_index_of;
/// assert_eq!(last_index_of(b"abcabc", b"bc", 6).unwrap(), Some(4));
/// assert_eq!(last_index_of(b"abcabc", b"bc", 3).unwrap(), Some(1));
/// assert_eq!(last_index_of(b"abcabc", b"bc", 0).unwrap(), None);
/// ```
pub fn last_index_of(data: &[u8], pattern: &[u8], from: usize) -> Result<Option<usize>> {
  if pattern.is_empty() {
    return Err(MmapError::InvalidArgValue {
      message: "The argument 'pattern' must not be empty".into(),
    });
  }
  let end = from.saturating_add(pattern.len()).min(data.len());
  let haystack = &data[..end];
  let finder = FinderRev::new(pattern);
  // SAFETY: the search borrows the data and owns nothing (the `guarded` contract).
  unsafe { guarded(|| finder.rfind(haystack)) }
}

#[cfg(test)]
mod tests {
  use super::*;
  use crate::scan::BLOCK;
  use crate::test_support::pseudo_random;

  fn naive(data: &[u8], pattern: &[u8], overlapping: bool) -> Vec<usize> {
    let mut out = Vec::new();
    let mut i = 0;
    while i + pattern.len() <= data.len() {
      if &data[i..i + pattern.len()] == pattern {
        out.push(i);
        i += if overlapping { 1 } else { pattern.len() };
      } else {
        i += 1;
      }
    }
    out
  }

  fn all(data: &[u8], pattern: &[u8], range: Range<usize>, overlapping: bool) -> Vec<usize> {
    let mut cursor = MatchCursor::new(pattern, range, overlapping, 2).unwrap();
    let mut out = Vec::new();
    while let Some(at) = cursor.next(data).unwrap() {
      out.push(at);
    }
    out
  }

  /// Every match through `fill` calls of `batch` offsets, checking the memory bound on the way.
  fn filled(mut cursor: MatchCursor, data: &[u8], batch: usize) -> Vec<usize> {
    let part_cap = cursor.limits.part_cap;
    let bound = part_cap + cursor.threads * (part_cap / cursor.threads).max(1);
    let mut out = vec![0u64; batch];
    let mut found = Vec::new();
    loop {
      let n = cursor.fill(data, &mut out, &Control::default()).unwrap();
      assert!(
        cursor.found.len() <= bound,
        "{} offsets held",
        cursor.found.len()
      );
      found.extend(out[..n].iter().map(|&at| at as usize));
      if n < batch {
        return found;
      }
    }
  }

  #[test]
  fn matches_equal_a_naive_scan() {
    let data = pseudo_random(5000, b"aab", 7);
    for pattern in [&b"a"[..], b"aa", b"aba", b"aab", b"baab", b"aaaa"] {
      for overlapping in [false, true] {
        assert_eq!(
          all(&data, pattern, 0..data.len(), overlapping),
          naive(&data, pattern, overlapping)
        );
        let sub: Vec<usize> = naive(&data[100..4000], pattern, overlapping)
          .into_iter()
          .map(|at| at + 100)
          .collect();
        assert_eq!(all(&data, pattern, 100..4000, overlapping), sub);
      }
    }
  }

  #[test]
  fn windows_split_between_threads_with_caps_equal_a_naive_scan() {
    // Tiny windows, parts and caps: every window is split, parts straddle, caps are hit.
    let limits = Limits {
      first_window: 7,
      max_window: 96,
      part_cap: 3,
      min_part: 5,
    };
    for (seed, alphabet) in [(1, &b"ab"[..]), (2, b"aab"), (3, b"abc\n"), (4, b"a")] {
      let data = pseudo_random(3000, alphabet, seed);
      for pattern in [
        &b"a"[..],
        b"aa",
        b"ab",
        b"aba",
        b"aaa",
        b"baab",
        b"aaaaaaaaaaaa",
      ] {
        for overlapping in [false, true] {
          let expected = naive(&data, pattern, overlapping);
          for threads in 1..=4 {
            for batch in [1, 2, 5, 64] {
              let cursor =
                MatchCursor::with_limits(pattern, 0..data.len(), overlapping, threads, limits)
                  .unwrap();
              assert_eq!(
                filled(cursor, &data, batch),
                expected,
                "{pattern:?} overlapping {overlapping} threads {threads} batch {batch}"
              );
            }
          }
          let sub: Vec<usize> = naive(&data[10..2900], pattern, overlapping)
            .into_iter()
            .map(|at| at + 10)
            .collect();
          let cursor = MatchCursor::with_limits(pattern, 10..2900, overlapping, 3, limits).unwrap();
          assert_eq!(filled(cursor, &data, 7), sub);
        }
      }
    }
  }

  #[test]
  fn a_flood_of_matches_keeps_memory_bounded_and_windows_small() {
    let data = vec![b'a'; 3 * MIN_BYTES_PER_THREAD + 5];
    let cursor = MatchCursor::new(b"a", 0..data.len(), false, 2).unwrap();
    let found = filled(cursor.clone(), &data, 1000);
    assert_eq!(found.len(), data.len());
    assert!(found.iter().enumerate().all(|(i, &at)| i == at));
    let mut cursor = cursor;
    let mut out = [0u64; 1];
    cursor.fill(&data, &mut out, &Control::default()).unwrap();
    assert_eq!(
      cursor.found.len(),
      FIRST_WINDOW,
      "the first window holds its matches only"
    );
  }

  #[test]
  fn matches_across_block_and_window_boundaries_are_found() {
    let mut data = vec![b'.'; 2 * BLOCK + 10];
    let mut spots = vec![BLOCK - 2, BLOCK - 1, 2 * BLOCK - 3, 2 * BLOCK + 7];
    // The first windows end at 64 KiB, 320 KiB, 1344 KiB, ...: plant matches across them, and
    // across the 1 MiB blocks the threads claim.
    let mut end = 0;
    let mut window = FIRST_WINDOW;
    while end + window < BLOCK - 16 {
      end += window;
      window *= 4;
      spots.push(end - 1);
    }
    spots.extend((1..7).map(|k| end + k * MIN_BYTES_PER_THREAD - 1));
    for at in spots {
      data[at..at + 3].copy_from_slice(b"XYZ");
    }
    for threads in [1, 2, 3] {
      let cursor = MatchCursor::new(b"XYZ", 0..data.len(), false, threads).unwrap();
      assert_eq!(filled(cursor, &data, 3), naive(&data, b"XYZ", false));
    }
  }

  #[test]
  fn an_abort_stops_the_search() {
    let data = vec![b'.'; 1000];
    let mut cursor = MatchCursor::new(b"x", 0..data.len(), false, 2).unwrap();
    let control = Control::default();
    control
      .abort
      .store(true, std::sync::atomic::Ordering::Relaxed);
    let mut out = [0u64; 4];
    assert!(matches!(
      cursor.fill(&data, &mut out, &control),
      Err(MmapError::Aborted)
    ));
  }

  #[test]
  fn fill_is_bounded_by_its_buffer() {
    let data = vec![b'a'; 100];
    let mut cursor = MatchCursor::new(b"a", 0..100, false, 2).unwrap();
    let mut out = [0u64; 16];
    let control = Control::default();
    let mut total = 0;
    loop {
      let n = cursor.fill(&data, &mut out, &control).unwrap();
      assert!(out[..n]
        .iter()
        .enumerate()
        .all(|(i, &at)| at == (total + i) as u64));
      total += n;
      if n < out.len() {
        break;
      }
    }
    assert_eq!(total, 100);
  }

  #[test]
  fn last_index_of_matches_buffer_semantics() {
    let data = b"abcabcab";
    for from in 0..12 {
      let expected = (0..=from.min(data.len()))
        .rev()
        .find(|&i| data[i..].starts_with(b"ab"));
      assert_eq!(
        last_index_of(data, b"ab", from).unwrap(),
        expected,
        "{from}"
      );
    }
    assert!(last_index_of(data, b"", 3).is_err());
    assert_eq!(last_index_of(b"", b"a", 0).unwrap(), None);
  }

  #[test]
  fn an_empty_pattern_is_refused() {
    assert!(MatchCursor::new(b"", 0..0, false, 1).is_err());
  }
}
