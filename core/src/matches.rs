//! Streaming substring search: the engine of `matches()` and `lastIndexOf()`.
//!
//! [`MatchCursor`] finds one match per call, so memory stays constant whatever the number of
//! matches; the caller passes the bytes to every call (the binding re-borrows the mapping each
//! time). Matches are non-overlapping and greedy from the left by default, like `count` and
//! `findAll` ([`crate::scan`]); with `overlapping` every starting position counts.
//! Every access to the bytes runs under [`guarded`].

use std::ops::Range;
use std::sync::atomic::Ordering;

use memchr::memmem::{Finder, FinderRev};

use crate::error::{MmapError, Result};
use crate::guard::guarded;
use crate::scan::{Control, BLOCK};

/// The matches of a pattern in a range, one at a time.
///
/// ```
/// use mmapkit_core::matches::MatchCursor;
/// let data = b"aaaa-aa";
/// let mut greedy = MatchCursor::new(b"aa", 0..data.len(), false).unwrap();
/// let mut found = Vec::new();
/// while let Some(at) = greedy.next(data).unwrap() {
///   found.push(at);
/// }
/// assert_eq!(found, [0, 2, 5]);
/// let mut overlapping = MatchCursor::new(b"aa", 0..data.len(), true).unwrap();
/// found.clear();
/// while let Some(at) = overlapping.next(data).unwrap() {
///   found.push(at);
/// }
/// assert_eq!(found, [0, 1, 2, 5]);
/// ```
#[derive(Clone, Debug)]
pub struct MatchCursor {
  finder: Finder<'static>,
  /// Where the next search starts.
  pos: usize,
  end: usize,
  overlapping: bool,
}

impl MatchCursor {
  /// The matches of `pattern` (not empty) in `range` of the data later passed to
  /// [`MatchCursor::next`].
  ///
  /// ```
  /// use mmapkit_core::matches::MatchCursor;
  /// let data = b"x-ab-ab-ab";
  /// // Only matches starting in 4..10 count.
  /// let mut cursor = MatchCursor::new(b"ab", 4..10, false)?;
  /// assert_eq!(cursor.next(data)?, Some(5));
  /// assert!(MatchCursor::new(b"", 0..10, false).is_err()); // an empty pattern
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
  pub fn new(pattern: &[u8], range: Range<usize>, overlapping: bool) -> Result<Self> {
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
    })
  }

  /// Where the next search starts.
  ///
  /// ```
  /// use mmapkit_core::matches::MatchCursor;
  /// let mut cursor = MatchCursor::new(b"ab", 0..6, false)?;
  /// assert_eq!(cursor.position(), 0);
  /// cursor.next(b"xxabxx")?;
  /// assert_eq!(cursor.position(), 4); // just past the match
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
  pub fn position(&self) -> usize {
    self.pos
  }

  /// The end of the searched range.
  ///
  /// ```
  /// use mmapkit_core::matches::MatchCursor;
  /// assert_eq!(MatchCursor::new(b"ab", 2..6, false)?.end(), 6);
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
  pub fn end(&self) -> usize {
    self.end
  }

  /// The next match's offset in `data`; `None` once there are no more.
  ///
  /// ```
  /// use mmapkit_core::matches::MatchCursor;
  /// let data = b"one two one";
  /// let mut cursor = MatchCursor::new(b"one", 0..data.len(), false)?;
  /// assert_eq!(cursor.next(data)?, Some(0));
  /// assert_eq!(cursor.next(data)?, Some(8));
  /// assert_eq!(cursor.next(data)?, None);
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
  pub fn next(&mut self, data: &[u8]) -> Result<Option<usize>> {
    self.next_controlled(data, &Control::default())
  }

  /// [`MatchCursor::next`] that checks `control` for an abort between blocks and reports the
  /// bytes it passes over as progress.
  ///
  /// ```
  /// use mmapkit_core::matches::MatchCursor;
  /// use mmapkit_core::scan::Control;
  /// use mmapkit_core::MmapError;
  /// use std::sync::atomic::Ordering;
  /// let data = b"....ab";
  /// let control = Control::default();
  /// let mut cursor = MatchCursor::new(b"ab", 0..data.len(), false)?;
  /// assert_eq!(cursor.next_controlled(data, &control)?, Some(4));
  /// assert_eq!(control.done.load(Ordering::Relaxed), 4); // bytes passed over
  /// control.abort.store(true, Ordering::Relaxed);
  /// let mut again = MatchCursor::new(b"ab", 0..data.len(), false)?;
  /// assert!(matches!(again.next_controlled(data, &control), Err(MmapError::Aborted)));
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
  pub fn next_controlled(&mut self, data: &[u8], control: &Control) -> Result<Option<usize>> {
    let needle = self.finder.needle().len();
    while self.pos + needle <= self.end {
      if control.abort.load(Ordering::Relaxed) {
        return Err(MmapError::Aborted);
      }
      // Search matches starting in [pos, block_end), reading needle - 1 bytes past it.
      let block_end = (self.pos + BLOCK).min(self.end - needle + 1);
      let window = &data[self.pos..block_end + needle - 1];
      let finder = &self.finder;
      // SAFETY: the search borrows the window and owns nothing (the `guarded` contract).
      let found = unsafe { guarded(|| finder.find(window)) }?;
      match found {
        Some(at) => {
          let start = self.pos + at;
          control.done.fetch_add(at as u64, Ordering::Relaxed);
          self.pos = start + if self.overlapping { 1 } else { needle };
          return Ok(Some(start));
        }
        None => {
          control
            .done
            .fetch_add((block_end - self.pos) as u64, Ordering::Relaxed);
          self.pos = block_end;
        }
      }
    }
    self.pos = self.pos.max(self.end);
    Ok(None)
  }

  /// Fills `out` with the next matches; returns how many (fewer only at the end).
  ///
  /// ```
  /// use mmapkit_core::matches::MatchCursor;
  /// use mmapkit_core::scan::Control;
  /// let data = b"a.a.a.a";
  /// let mut cursor = MatchCursor::new(b"a", 0..data.len(), false)?;
  /// let mut out = [0u64; 3];
  /// assert_eq!(cursor.fill(data, &mut out, &Control::default())?, 3);
  /// assert_eq!(out, [0, 2, 4]);
  /// assert_eq!(cursor.fill(data, &mut out, &Control::default())?, 1); // the last one
  /// assert_eq!(out[0], 6);
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
  pub fn fill(&mut self, data: &[u8], out: &mut [u64], control: &Control) -> Result<usize> {
    let mut filled = 0;
    while filled < out.len() {
      match self.next_controlled(data, control)? {
        Some(at) => {
          out[filled] = at as u64;
          filled += 1;
        }
        None => break,
      }
    }
    Ok(filled)
  }
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
    let mut cursor = MatchCursor::new(pattern, range, overlapping).unwrap();
    let mut out = Vec::new();
    while let Some(at) = cursor.next(data).unwrap() {
      out.push(at);
    }
    out
  }

  #[test]
  fn matches_equal_a_naive_scan() {
    let mut data = Vec::new();
    let mut state = 7u64;
    for _ in 0..5000 {
      state = state
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
      data.push(b"aab"[(state >> 33) as usize % 3]);
    }
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
  fn matches_across_block_boundaries_are_found() {
    let mut data = vec![b'.'; 2 * BLOCK + 10];
    for at in [BLOCK - 2, BLOCK - 1, 2 * BLOCK - 3, 2 * BLOCK + 7] {
      data[at..at + 3].copy_from_slice(b"XYZ");
    }
    assert_eq!(
      all(&data, b"XYZ", 0..data.len(), false),
      naive(&data, b"XYZ", false)
    );
  }

  #[test]
  fn fill_is_bounded_by_its_buffer() {
    let data = vec![b'a'; 100];
    let mut cursor = MatchCursor::new(b"a", 0..100, false).unwrap();
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
    assert!(MatchCursor::new(b"", 0..0, false).is_err());
  }
}
