//! Vectorised, parallel scans of a byte range: byte counts (SIMD, `bytecount`), substring search
//! (`memchr::memmem`), split across threads with results identical to a single-threaded scan.
//!
//! Work is done in blocks of [`BLOCK`] bytes so that a long scan can be aborted promptly and can
//! report progress ([`Control`]). Substring matches are non-overlapping and greedy from the left,
//! like `String.prototype.split` or `str.count` in Python: `"aaa"` occurs once in `"aaaaa"`. Split
//! points are handled exactly: a thread counts the matches that *start* in its part (reading up to
//! `pattern.len() - 1` bytes past it), and where a match straddles a split point the next part is
//! re-scanned from the end of that match, so no match is lost or counted twice.

use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use memchr::memmem::Finder;

use crate::error::{MmapError, Result};
use crate::guard::guarded;

/// The most offsets [`find_all`] returns: 2**24 (16,777,216), 128 MiB as a JS array of numbers.
/// A scan that finds more, without a `limit` at or below this, is an `ERR_OUT_OF_RANGE` error
/// rather than an array the runtime cannot allocate.
pub const MAX_FIND_ALL_RESULTS: usize = 1 << 24;

/// Bytes scanned between two checks of the abort flag and two progress updates.
pub const BLOCK: usize = 4 << 20;

/// Below this many bytes per thread a scan stays on one thread (spawning costs more than it saves).
pub const MIN_BYTES_PER_THREAD: usize = 1 << 20;

/// Cancellation and progress for one scan, shared by its threads.
///
/// ```
/// use mmapkit_core::scan::{count, Control};
/// use mmapkit_core::MmapError;
/// use std::sync::atomic::{AtomicBool, Ordering};
/// let control = Control::default();
/// assert_eq!(count(b"a,b,c", b",", 1, &control)?, 2);
/// assert_eq!(control.done.load(Ordering::Relaxed), 5); // progress
/// control.abort.store(true, Ordering::Relaxed); // from any thread
/// assert!(matches!(count(b"a,b,c", b",", 1, &control), Err(MmapError::Aborted)));
///
/// // Or a condition the scan itself looks at once per block.
/// let cancelled = AtomicBool::new(true);
/// let stop = || cancelled.load(Ordering::Relaxed);
/// let control = Control::stopping_when(&stop);
/// assert!(matches!(count(b"a,b,c", b",", 1, &control), Err(MmapError::Aborted)));
/// # Ok::<(), mmapkit_core::MmapError>(())
/// ```
#[derive(Default)]
pub struct Control<'a> {
  /// Set it (from any thread) to stop the scan with [`MmapError::Aborted`].
  pub abort: AtomicBool,
  /// Bytes scanned so far, updated once per block.
  pub done: AtomicU64,
  /// Also stops the scan when it returns true (asked once per block, from the scan's threads).
  stop_when: Option<&'a (dyn Fn() -> bool + Sync)>,
}

impl std::fmt::Debug for Control<'_> {
  fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    f.debug_struct("Control")
      .field("abort", &self.abort)
      .field("done", &self.done)
      .field("stop_when", &self.stop_when.is_some())
      .finish()
  }
}

impl<'a> Control<'a> {
  /// A control that also stops the scan once `stop` returns true.
  pub fn stopping_when(stop: &'a (dyn Fn() -> bool + Sync)) -> Self {
    Control {
      stop_when: Some(stop),
      ..Control::default()
    }
  }

  pub(crate) fn check(&self) -> Result<()> {
    if self.abort.load(Ordering::Relaxed) || self.stop_when.is_some_and(|stop| stop()) {
      // The scan's other threads stop at their next block without asking `stop_when` again.
      self.abort.store(true, Ordering::Relaxed);
      Err(MmapError::Aborted)
    } else {
      Ok(())
    }
  }

  pub(crate) fn advance(&self, bytes: usize) {
    self.done.fetch_add(bytes as u64, Ordering::Relaxed);
  }
}

/// How many threads to use by default: every core the OS gives this process.
///
/// ```
/// assert!(mmapkit_core::scan::default_threads() >= 1);
/// ```
pub fn default_threads() -> usize {
  max_threads()
}

/// The most threads a scan uses: the cores the OS gives this process (CPU affinity and cgroup
/// quota included), read once. More threads than cores never make a memory-bound scan faster;
/// they only cost stacks and scheduling, so larger requests are clamped to this.
pub fn max_threads() -> usize {
  static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
  *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// `requested` threads, clamped to `1..=max_threads()`.
pub fn threads_for(requested: u64) -> usize {
  usize::try_from(requested)
    .unwrap_or(usize::MAX)
    .clamp(1, max_threads())
}

/// Splits `0..len` into at most `threads` contiguous parts of at least `MIN_BYTES_PER_THREAD`.
pub(crate) fn split(len: usize, threads: usize) -> Vec<Range<usize>> {
  let parts = threads.clamp(1, (len / MIN_BYTES_PER_THREAD).max(1));
  let size = len.div_ceil(parts).max(1);
  (0..parts)
    .map(|i| (i * size).min(len)..((i + 1) * size).min(len))
    .filter(|r| !r.is_empty() || len == 0)
    .collect()
}

/// Runs `work` on each part, on scoped threads (the first part on the calling thread); returns
/// the results in the parts' order.
///
/// When the OS refuses a thread (`EAGAIN` under RLIMIT_NPROC or a container's pid limit), the
/// parts it would have run run on the calling thread instead: the answer is the same, only later.
pub(crate) fn in_parallel<T: Send>(
  parts: &[Range<usize>],
  work: impl Fn(Range<usize>) -> Result<T> + Sync,
) -> Result<Vec<T>> {
  if parts.len() <= 1 {
    return parts.iter().map(|p| work(p.clone())).collect();
  }
  std::thread::scope(|scope| {
    let mut handles = Vec::with_capacity(parts.len() - 1);
    // Parts from here on run on this thread (all of them spawned: none).
    let mut inline_from = parts.len();
    for (i, part) in parts.iter().enumerate().skip(1) {
      let work = &work;
      let part = part.clone();
      match std::thread::Builder::new().spawn_scoped(scope, move || work(part)) {
        Ok(handle) => handles.push(handle),
        Err(_refused) => {
          inline_from = i;
          break;
        }
      }
    }
    let mut results = Vec::with_capacity(parts.len());
    results.push(work(parts[0].clone()));
    let inline: Vec<Result<T>> = parts[inline_from..]
      .iter()
      .map(|part| work(part.clone()))
      .collect();
    for handle in handles {
      results.push(
        handle
          .join()
          .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
      );
    }
    results.extend(inline);
    results.into_iter().collect()
  })
}

/// Occurrences of `byte` in `data`.
///
/// ```
/// use mmapkit_core::scan::{count_byte, default_threads, Control};
/// let lines = count_byte(b"a\nb\nc\n", b'\n', default_threads(), &Control::default())?;
/// assert_eq!(lines, 3);
/// # Ok::<(), mmapkit_core::MmapError>(())
/// ```
pub fn count_byte(data: &[u8], byte: u8, threads: usize, control: &Control) -> Result<u64> {
  let counts = in_parallel(&split(data.len(), threads), |part| {
    let mut count = 0u64;
    for block in data[part].chunks(BLOCK) {
      control.check()?;
      // SAFETY: counting borrows the block and owns nothing (the `guarded` contract).
      count += unsafe { guarded(|| bytecount::count(block, byte)) }? as u64;
      control.advance(block.len());
    }
    Ok(count)
  })?;
  Ok(counts.into_iter().sum())
}

/// The greedy non-overlapping matches that start in one part of the data.
struct PartMatches {
  count: u64,
  first: Option<usize>,
  /// End of the last match (exclusive); the part's start if none.
  last_end: usize,
  positions: Vec<usize>,
  /// The shared budget of positions ran out: the result is incomplete.
  over_budget: bool,
}

/// What a scan collects: nothing (a count), or up to `limit` positions, optionally within a
/// `budget` shared by all parts (it stops every part once `budget.1` positions were collected in
/// all, and marks the result `over_budget`).
#[derive(Clone, Copy)]
struct Collect<'a> {
  positions: bool,
  limit: usize,
  budget: Option<(&'a AtomicUsize, usize)>,
}

impl Collect<'_> {
  const COUNT: Collect<'static> = Collect {
    positions: false,
    limit: 0,
    budget: None,
  };
}

/// Greedy scan of the matches starting in `starts` (reading past its end as a match needs),
/// collecting positions as `collect` says.
fn scan_part(
  data: &[u8],
  finder: &Finder<'_>,
  starts: Range<usize>,
  collect: Collect<'_>,
  control: &Control,
) -> Result<PartMatches> {
  let Collect {
    positions: collect,
    limit,
    budget,
  } = collect;
  let needle = finder.needle().len();
  let mut found = PartMatches {
    count: 0,
    first: None,
    last_end: starts.start,
    positions: Vec::new(),
    over_budget: false,
  };
  let mut pos = starts.start;
  let mut block_start = starts.start;
  while pos < starts.end && pos + needle <= data.len() {
    control.check()?;
    // Look for matches starting in [pos, block_end), reading up to needle - 1 bytes beyond it.
    let block_end = (block_start + BLOCK).min(starts.end);
    let window_end = (block_end + needle - 1).min(data.len());
    // One recovery point per block, not per match: a dense pattern (every byte of a file of
    // zeros) would otherwise pay a `sigsetjmp` for each of millions of matches.
    let (found_ref, pos_ref) = (&mut found, &mut pos);
    // SAFETY: the search borrows the window; `found` (whose Vec may grow) and `pos` are owned
    // outside the closure, which itself owns nothing (the `guarded` contract).
    let stop = unsafe {
      guarded(|| {
        let (found, pos) = (found_ref, pos_ref);
        while *pos < block_end {
          let Some(at) = finder.find(&data[*pos..window_end]) else {
            *pos = block_end;
            break;
          };
          let start = *pos + at;
          found.count += 1;
          found.first.get_or_insert(start);
          found.last_end = start + needle;
          *pos = start + needle;
          if collect {
            found.positions.push(start);
            if found.positions.len() >= limit {
              return true;
            }
            if let Some((used, cap)) = budget {
              if used.fetch_add(1, Ordering::Relaxed) >= cap {
                found.over_budget = true;
                return true;
              }
            }
          }
        }
        false
      })
    }?;
    if stop {
      return Ok(found);
    }
    control.advance(block_end - block_start);
    block_start = block_end;
    pos = pos.max(block_start);
  }
  Ok(found)
}

/// Matches of `pattern` in `data`, exactly as one greedy left-to-right scan finds them, computed on
/// up to `threads` threads. Stops after `limit` positions when collecting; `None` when the budget
/// ran out.
fn matches(
  data: &[u8],
  pattern: &[u8],
  threads: usize,
  collect: Collect<'_>,
  control: &Control,
) -> Result<Option<(u64, Vec<usize>)>> {
  if pattern.len() > data.len() || (collect.positions && collect.limit == 0) {
    return Ok(Some((0, Vec::new())));
  }
  let finder = Finder::new(pattern);
  let parts = split(data.len(), threads);
  let results = in_parallel(&parts, |part| {
    scan_part(data, &finder, part, collect, control)
  })?;
  let mut count = 0u64;
  let mut positions = Vec::new();
  let mut next_allowed = 0usize;
  for (part, mut result) in parts.into_iter().zip(results) {
    if result.first.is_some_and(|first| first < next_allowed) {
      // A match from the previous part straddles into this one: redo this part from its end.
      let rescan = next_allowed.min(part.end)..part.end;
      result = scan_part(data, &finder, rescan, collect, control)?;
    }
    if result.over_budget {
      return Ok(None);
    }
    count += result.count;
    if result.count > 0 {
      next_allowed = result.last_end;
    }
    if collect.positions {
      positions.extend(result.positions);
      if positions.len() >= collect.limit {
        positions.truncate(collect.limit);
        break;
      }
    }
  }
  Ok(Some((count, positions)))
}

/// `ERR_INVALID_ARG_VALUE` for an empty pattern: one rule for every scan.
fn check_pattern(pattern: &[u8]) -> Result<()> {
  if pattern.is_empty() {
    return Err(MmapError::InvalidArgValue {
      message: "The argument 'pattern' must not be empty".into(),
    });
  }
  Ok(())
}

/// Non-overlapping occurrences of `pattern` (not empty).
///
/// ```
/// use mmapkit_core::scan::{count, Control};
/// assert_eq!(count(b"aaaaa", b"aaa", 2, &Control::default())?, 1); // non-overlapping
/// assert!(count(b"abc", b"", 1, &Control::default()).is_err()); // an empty pattern
/// # Ok::<(), mmapkit_core::MmapError>(())
/// ```
pub fn count(data: &[u8], pattern: &[u8], threads: usize, control: &Control) -> Result<u64> {
  check_pattern(pattern)?;
  if let [byte] = pattern {
    // One byte never overlaps itself: a (vectorised) byte count, not a search per match.
    return count_byte(data, *byte, threads, control);
  }
  let counted = matches(data, pattern, threads, Collect::COUNT, control)?;
  Ok(counted.map_or(0, |(count, _)| count))
}

/// Offsets of the non-overlapping occurrences of `pattern` (not empty), ascending: the first
/// `limit` of them, or all of them when `limit` is `None`. At most [`MAX_FIND_ALL_RESULTS`]:
/// when more are asked for (no limit, or one above the maximum) and found, `ERR_OUT_OF_RANGE`
/// naming `options.limit`. Memory stays within about twice the maximum whatever the data.
///
/// ```
/// use mmapkit_core::scan::{find_all, Control};
/// let control = Control::default();
/// assert_eq!(find_all(b"abcabc", b"bc", None, 1, &control)?, [1, 4]);
/// assert_eq!(find_all(b"abcabc", b"bc", Some(1), 1, &control)?, [1]);
/// # Ok::<(), mmapkit_core::MmapError>(())
/// ```
pub fn find_all(
  data: &[u8],
  pattern: &[u8],
  limit: Option<usize>,
  threads: usize,
  control: &Control,
) -> Result<Vec<usize>> {
  find_all_within(data, pattern, limit, MAX_FIND_ALL_RESULTS, threads, control)
}

/// [`find_all`] with the maximum as a parameter (the tests use small ones).
fn find_all_within(
  data: &[u8],
  pattern: &[u8],
  limit: Option<usize>,
  max: usize,
  threads: usize,
  control: &Control,
) -> Result<Vec<usize>> {
  check_pattern(pattern)?;
  let positions = |limit, budget| {
    let collect = Collect {
      positions: true,
      limit,
      budget,
    };
    matches(data, pattern, threads, collect, control).map(|found| found.map(|(_, p)| p))
  };
  if let Some(limit) = limit.filter(|&limit| limit <= max) {
    return Ok(positions(limit, None)?.unwrap_or_default());
  }
  // Everything is asked for: collect within a budget shared by the threads, so that a flood of
  // matches stops early instead of filling memory.
  let used = AtomicUsize::new(0);
  if let Some(found) = positions(max + 1, Some((&used, max)))? {
    if found.len() <= max {
      return Ok(found);
    }
  }
  // The budget ran out, possibly only because parts re-scanned at a split point were counted
  // twice: count exactly (no memory), then collect without a budget if they fit after all.
  let total = count(data, pattern, threads, control)?;
  if total <= max as u64 {
    return Ok(positions(total as usize, None)?.unwrap_or_default());
  }
  Err(too_many_matches(total, limit, max))
}

/// [`MmapError::TooManyMatches`] for a `find_all` that would return more than `max` offsets.
fn too_many_matches(total: u64, limit: Option<usize>, max: usize) -> MmapError {
  MmapError::TooManyMatches {
    found: total,
    max: max as u64,
    limit: limit.map(|limit| limit as u64),
  }
}

/// The first occurrence of `pattern` (not empty) at or after `from`.
///
/// ```
/// use mmapkit_core::scan::index_of;
/// assert_eq!(index_of(b"abcabc", b"c", 3)?, Some(5));
/// assert_eq!(index_of(b"abcabc", b"c", 7)?, None);
/// # Ok::<(), mmapkit_core::MmapError>(())
/// ```
pub fn index_of(data: &[u8], pattern: &[u8], from: usize) -> Result<Option<usize>> {
  check_pattern(pattern)?;
  if from > data.len() {
    return Ok(None);
  }
  // SAFETY: the search borrows the data and owns nothing (the `guarded` contract).
  let found = unsafe { guarded(|| memchr::memmem::find(&data[from..], pattern)) }?;
  Ok(found.map(|at| from + at))
}

#[cfg(test)]
mod tests {
  use super::*;
  use crate::test_support::pseudo_random;

  /// The obvious reference: greedy, left to right, one byte at a time.
  fn reference(data: &[u8], pattern: &[u8]) -> Vec<usize> {
    let mut out = Vec::new();
    let mut i = 0;
    while !pattern.is_empty() && i + pattern.len() <= data.len() {
      if &data[i..i + pattern.len()] == pattern {
        out.push(i);
        i += pattern.len();
      } else {
        i += 1;
      }
    }
    out
  }

  #[test]
  fn thread_requests_are_clamped_to_the_cores() {
    assert_eq!(threads_for(1), 1);
    assert_eq!(threads_for(u64::MAX), max_threads());
    assert_eq!(threads_for(1 << 40), default_threads());
    assert!(threads_for(2) <= 2);
  }

  #[test]
  fn split_covers_everything_once() {
    for len in [0, 1, 5, MIN_BYTES_PER_THREAD * 3 + 7] {
      for threads in 1..5 {
        let parts = split(len, threads);
        assert_eq!(parts.first().map_or(0, |p| p.start), 0);
        assert_eq!(parts.last().map_or(0, |p| p.end), len);
        assert!(parts.windows(2).all(|w| w[0].end == w[1].start));
      }
    }
  }

  #[test]
  fn counts_match_the_reference_on_every_thread_count() {
    let control = Control::default();
    let data = pseudo_random(3 * MIN_BYTES_PER_THREAD + 12345, b"ab\n", 7);
    let lines = data.iter().filter(|&&b| b == b'\n').count() as u64;
    for threads in 1..=4 {
      assert_eq!(count_byte(&data, b'\n', threads, &control).unwrap(), lines);
      for pattern in [&b"a"[..], b"ab", b"aaa", b"ab\na", b"\n\n"] {
        let expected = reference(&data, pattern);
        assert_eq!(
          count(&data, pattern, threads, &control).unwrap(),
          expected.len() as u64,
          "{pattern:?}"
        );
        assert_eq!(
          find_all(&data, pattern, None, threads, &control).unwrap(),
          expected
        );
        assert_eq!(
          find_all(&data, pattern, Some(3), threads, &control).unwrap(),
          expected[..3]
        );
      }
    }
  }

  #[test]
  fn matches_straddling_every_split_point_are_found_once() {
    let control = Control::default();
    // All 'a': every split point falls inside a run of overlapping candidates.
    for len in [2 * MIN_BYTES_PER_THREAD + 1, 3 * MIN_BYTES_PER_THREAD + 2] {
      let data = vec![b'a'; len];
      for pattern in [&b"aa"[..], b"aaa", b"aaaaaaa"] {
        let expected = reference(&data, pattern);
        for threads in 1..=4 {
          assert_eq!(
            find_all(&data, pattern, None, threads, &control).unwrap(),
            expected
          );
        }
      }
    }
    // A rare pattern placed exactly across a split point.
    let mut data = vec![b'.'; 2 * MIN_BYTES_PER_THREAD];
    let at = MIN_BYTES_PER_THREAD - 4;
    data[at..at + 9].copy_from_slice(b"NEEDLE123");
    assert_eq!(
      find_all(&data, b"NEEDLE123", Some(10), 2, &control).unwrap(),
      vec![at]
    );
  }

  #[test]
  fn edge_cases() {
    let control = Control::default();
    assert_eq!(count(b"", b"a", 2, &control).unwrap(), 0);
    assert_eq!(count(b"abc", b"abcd", 2, &control).unwrap(), 0);
    assert_eq!(count(b"aaaaa", b"aaa", 2, &control).unwrap(), 1);
    assert_eq!(
      find_all(b"xxab", b"ab", Some(5), 1, &control).unwrap(),
      vec![2]
    );
    assert_eq!(index_of(b"hello", b"l", 0).unwrap(), Some(2));
    assert_eq!(index_of(b"hello", b"l", 3).unwrap(), Some(3));
    assert_eq!(index_of(b"hello", b"lo", 4).unwrap(), None);
    assert_eq!(index_of(b"hello", b"o", 6).unwrap(), None);
  }

  #[test]
  fn an_empty_pattern_is_an_error_for_every_scan() {
    let control = Control::default();
    let invalid = |r: Result<()>| matches!(r, Err(MmapError::InvalidArgValue { .. }));
    assert!(invalid(index_of(b"hello", b"", 0).map(drop)));
    assert!(invalid(index_of(b"", b"", 9).map(drop)));
    assert!(invalid(count(b"hello", b"", 1, &control).map(drop)));
    assert!(invalid(
      find_all(b"hello", b"", None, 1, &control).map(drop)
    ));
  }

  #[test]
  fn find_all_past_the_maximum_is_a_range_error_with_bounded_memory() {
    let control = Control::default();
    let max = 1000;
    let data = vec![0u8; 3 << 20];
    for threads in [1, 4] {
      let err = find_all_within(&data, b"\0", None, max, threads, &control).unwrap_err();
      assert!(
        matches!(err, MmapError::TooManyMatches { found, max: 1000, limit: None } if found == 3 << 20),
        "{err}"
      );
      let err = find_all_within(&data, b"\0", Some(max + 1), max, threads, &control).unwrap_err();
      assert!(
        matches!(
          err,
          MmapError::TooManyMatches {
            limit: Some(1001),
            ..
          }
        ),
        "{err}"
      );
      let found = find_all_within(&data, b"\0", Some(max), max, threads, &control).unwrap();
      assert_eq!(found.len(), max);
      let found = find_all_within(&data, b"\0", Some(3), max, threads, &control).unwrap();
      assert_eq!(found, [0, 1, 2]);
    }
    // Exactly the maximum, asked for without a limit: all of them.
    let mut data = vec![b'.'; 3 << 20];
    for at in (0..max).map(|i| i * 3000) {
      data[at] = b'x';
    }
    let found = find_all_within(&data, b"x", None, max, 4, &control).unwrap();
    assert_eq!(found.len(), max);
    // A run of 'a' across the split point of two threads: part 2 is scanned twice, which counts
    // its matches twice against the budget; that must not turn a result that fits into an error.
    let mut data = vec![b'.'; 2 << 20];
    let split = 1 << 20;
    data[split - 1..split + 12].fill(b'a');
    let expected = reference(&data, b"aa");
    assert_eq!(expected.len(), 6);
    let found = find_all_within(&data, b"aa", None, 8, 2, &control).unwrap();
    assert_eq!(found, expected);
    // The real maximum is what find_all uses.
    let err = find_all(
      &[0u8; 8],
      b"\0",
      Some(MAX_FIND_ALL_RESULTS + 1),
      1,
      &control,
    );
    assert_eq!(err.unwrap().len(), 8);
  }

  #[test]
  fn an_abort_stops_the_scan() {
    let control = Control::default();
    control.abort.store(true, Ordering::Relaxed);
    let data = vec![0u8; 10];
    assert!(matches!(
      count_byte(&data, 0, 2, &control),
      Err(MmapError::Aborted)
    ));
    assert!(matches!(
      count(&data, b"0", 2, &control),
      Err(MmapError::Aborted)
    ));
  }

  #[test]
  fn progress_reaches_the_total() {
    let control = Control::default();
    let data = vec![b'\n'; 3 * MIN_BYTES_PER_THREAD];
    count_byte(&data, b'\n', 3, &control).unwrap();
    assert_eq!(control.done.load(Ordering::Relaxed), data.len() as u64);
  }
}
