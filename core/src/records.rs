//! Records of a byte range split at a delimiter: the engine of `lines()` and `splitRanges()`.
//!
//! A record ends at each occurrence of the delimiter (a byte or a short byte string), found left to
//! right without overlaps, the way `String.prototype.split` finds them. The delimiter is not part
//! of the record; the last record is yielded even without a delimiter after it, and an empty input
//! has no records at all (`"a\n"` is one record, `"a\n\n"` two, `""` none). With `crlf`, one `'\r'`
//! directly before a `'\n'` delimiter is dropped from the record as well.
//!
//! Every access to the bytes runs under [`guarded`], so a file truncated by another process is an
//! [`MmapError::Truncated`], not a crash.

use std::ops::Range;

use memchr::memmem::Finder;

use crate::byte_positions::each_position;
use crate::error::{MmapError, Result};
use crate::guard::guarded;

/// The longest delimiter accepted, in bytes.
pub const MAX_DELIMITER_LEN: usize = 256;

/// A record delimiter: one byte or a short byte string, with its searcher.
#[derive(Clone, Debug)]
pub struct Delimiter {
  finder: Finder<'static>,
  /// Whether a proper prefix of the delimiter is also a suffix (`"\n\n"`, `"abab"`): then where
  /// occurrences lie depends on where the left-to-right scan started.
  self_overlapping: bool,
}

impl Delimiter {
  /// A delimiter of these bytes: 1 to [`MAX_DELIMITER_LEN`] of them.
  ///
  /// ```
  /// use mmapkit_core::records::Delimiter;
  /// assert_eq!(Delimiter::new(b"\r\n").unwrap().bytes(), b"\r\n");
  /// assert!(Delimiter::new(b"").is_err());
  /// ```
  pub fn new(bytes: &[u8]) -> Result<Self> {
    if bytes.is_empty() || bytes.len() > MAX_DELIMITER_LEN {
      return Err(MmapError::InvalidArgValue {
        message: format!(
          "The property 'options.delimiter' must be 1 to {MAX_DELIMITER_LEN} bytes long. Received {} bytes",
          bytes.len()
        ),
      });
    }
    let self_overlapping = (1..bytes.len()).any(|k| bytes[..k] == bytes[bytes.len() - k..]);
    Ok(Delimiter {
      finder: Finder::new(bytes).into_owned(),
      self_overlapping,
    })
  }

  /// `'\n'`, the default.
  ///
  /// ```
  /// use mmapkit_core::records::Delimiter;
  /// assert_eq!(Delimiter::newline().bytes(), b"\n");
  /// ```
  pub fn newline() -> Self {
    Delimiter::new(b"\n").expect("one byte is a valid delimiter")
  }

  /// The delimiter's bytes.
  ///
  /// ```
  /// use mmapkit_core::records::Delimiter;
  /// assert_eq!(Delimiter::new(b"--")?.bytes(), b"--");
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
  pub fn bytes(&self) -> &[u8] {
    self.finder.needle()
  }

  /// Its length in bytes.
  ///
  /// ```
  /// use mmapkit_core::records::Delimiter;
  /// assert_eq!(Delimiter::new(b"\r\n")?.len(), 2);
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
  pub fn len(&self) -> usize {
    self.finder.needle().len()
  }

  /// Always false: a delimiter has at least one byte.
  ///
  /// ```
  /// use mmapkit_core::records::Delimiter;
  /// assert!(!Delimiter::newline().is_empty());
  /// ```
  pub fn is_empty(&self) -> bool {
    false
  }

  /// Whether occurrences can overlap (see [`Delimiter::new`]).
  ///
  /// ```
  /// use mmapkit_core::records::Delimiter;
  /// assert!(Delimiter::new(b"\n\n")?.is_self_overlapping());
  /// assert!(!Delimiter::new(b"\r\n")?.is_self_overlapping());
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
  pub fn is_self_overlapping(&self) -> bool {
    self.self_overlapping
  }

  /// The first occurrence in `haystack` (an unguarded search: callers guard it).
  pub(crate) fn find_in(&self, haystack: &[u8]) -> Option<usize> {
    match self.bytes() {
      [byte] => memchr::memchr(*byte, haystack),
      _ => self.finder.find(haystack),
    }
  }

  /// The first occurrence starting at or after `from` in `data`, guarded.
  pub(crate) fn find_from(&self, data: &[u8], from: usize) -> Result<Option<usize>> {
    if from >= data.len() {
      return Ok(None);
    }
    let haystack = &data[from..];
    // SAFETY: the search borrows the data and owns nothing (the `guarded` contract).
    let found = unsafe { guarded(|| self.find_in(haystack)) }?;
    Ok(found.map(|at| from + at))
  }
}

/// The records of a range, one at a time: a cursor over the bytes, which the caller passes to
/// each [`Records::next`] call (the binding re-borrows the mapping for every call).
///
/// ```
/// use mmapkit_core::records::{Delimiter, Records};
/// let data = b"one\r\ntwo\n\nlast";
/// let mut records = Records::new(Delimiter::newline(), true, 0..data.len());
/// let mut out = Vec::new();
/// while let Some(range) = records.next(data).unwrap() {
///   out.push(&data[range]);
/// }
/// assert_eq!(out, [&b"one"[..], b"two", b"", b"last"]);
/// ```
#[derive(Clone, Debug)]
pub struct Records {
  delimiter: Delimiter,
  /// Strip one `'\r'` before a `'\n'` delimiter.
  crlf: bool,
  /// Start of the next record.
  pos: usize,
  end: usize,
}

impl Records {
  /// The records of `range` of the data later passed to [`Records::next`]. `crlf` only has an
  /// effect when the delimiter is `'\n'`.
  ///
  /// ```
  /// use mmapkit_core::records::{Delimiter, Records};
  /// let data = b"skip\nfirst\nsecond";
  /// // The records of 5..17; crlf has no effect here (no '\r').
  /// let mut records = Records::new(Delimiter::newline(), true, 5..data.len());
  /// assert_eq!(records.next(data)?, Some(5..10));
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
  pub fn new(delimiter: Delimiter, crlf: bool, range: Range<usize>) -> Self {
    let crlf = crlf && delimiter.bytes() == b"\n";
    Records {
      delimiter,
      crlf,
      pos: range.start,
      end: range.end,
    }
  }

  /// Where the next record starts (the end of the range once finished).
  ///
  /// ```
  /// use mmapkit_core::records::{Delimiter, Records};
  /// let data = b"ab\ncd";
  /// let mut records = Records::new(Delimiter::newline(), false, 0..data.len());
  /// records.next(data)?;
  /// assert_eq!(records.position(), 3); // past the delimiter
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
  pub fn position(&self) -> usize {
    self.pos
  }

  /// Whether every record has been returned.
  ///
  /// ```
  /// use mmapkit_core::records::{Delimiter, Records};
  /// let data = b"only";
  /// let mut records = Records::new(Delimiter::newline(), false, 0..data.len());
  /// assert!(!records.is_finished());
  /// records.next(data)?;
  /// assert!(records.is_finished());
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
  pub fn is_finished(&self) -> bool {
    self.pos >= self.end
  }

  /// The next record's range in `data`, without its delimiter; `None` at the end. `data` must be
  /// at least as long as the range given to [`Records::new`].
  ///
  /// ```
  /// use mmapkit_core::records::{Delimiter, Records};
  /// let data = b"a\r\nb";
  /// let mut records = Records::new(Delimiter::newline(), true, 0..data.len());
  /// assert_eq!(records.next(data)?, Some(0..1)); // without "\r\n"
  /// assert_eq!(records.next(data)?, Some(3..4));
  /// assert_eq!(records.next(data)?, None);
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
  pub fn next(&mut self, data: &[u8]) -> Result<Option<Range<usize>>> {
    if self.pos >= self.end {
      return Ok(None);
    }
    let window = &data[..self.end];
    let start = self.pos;
    let (mut stop, next) = match self.delimiter.find_from(window, start)? {
      Some(at) => (at, at + self.delimiter.len()),
      None => (self.end, self.end),
    };
    if self.crlf && next != stop && stop > start {
      let before = &window[stop - 1];
      // SAFETY: a one-byte read inside the range, owning nothing (the `guarded` contract).
      if unsafe { guarded(|| std::ptr::read_volatile(before)) }? == b'\r' {
        stop -= 1;
      }
    }
    self.pos = next;
    Ok(Some(start..stop))
  }

  /// Fills `out` with the next records, as `(start, end)` pairs; returns how many. Faster than
  /// calling [`Records::next`] per record.
  ///
  /// ```
  /// use mmapkit_core::records::{Delimiter, Records};
  /// let data = b"a\nbb\nccc";
  /// let mut records = Records::new(Delimiter::newline(), false, 0..data.len());
  /// let mut out = [(0, 0); 8];
  /// assert_eq!(records.fill(data, &mut out)?, 3);
  /// assert_eq!(out[..3], [(0, 1), (2, 4), (5, 8)]);
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
  pub fn fill(&mut self, data: &[u8], out: &mut [(usize, usize)]) -> Result<usize> {
    self.fill_within(data, out, usize::MAX)
  }

  /// [`Records::fill`] that stops before the records would span more than `max_bytes` from the
  /// first one's start (the first record is always taken, however long). One guarded call for
  /// the whole batch.
  ///
  /// ```
  /// use mmapkit_core::records::{Delimiter, Records};
  /// let data = b"a\nbb\nccc";
  /// let mut records = Records::new(Delimiter::newline(), false, 0..data.len());
  /// let mut out = [(0, 0); 8];
  /// // Records ending within 4 bytes of the first one's start.
  /// assert_eq!(records.fill_within(data, &mut out, 4)?, 2);
  /// assert_eq!(out[..2], [(0, 1), (2, 4)]);
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
  pub fn fill_within(
    &mut self,
    data: &[u8],
    out: &mut [(usize, usize)],
    max_bytes: usize,
  ) -> Result<usize> {
    let window = &data[..self.end];
    // SAFETY: the loop only reads the window (memchr/memmem and byte reads) and writes `out` and
    // `self`'s plain integers, owning nothing with a destructor (the `guarded` contract).
    unsafe { guarded(|| self.fill_unguarded(window, out, max_bytes)) }
  }

  fn fill_unguarded(
    &mut self,
    window: &[u8],
    out: &mut [(usize, usize)],
    max_bytes: usize,
  ) -> usize {
    if let [byte] = self.delimiter.bytes() {
      return self.fill_at_byte(window, *byte, out, max_bytes);
    }
    let first = self.pos;
    let mut filled = 0;
    while filled < out.len() && self.pos < self.end {
      let start = self.pos;
      let (mut stop, next) = match self.delimiter.find_in(&window[start..]) {
        Some(at) => (start + at, start + at + self.delimiter.len()),
        None => (self.end, self.end),
      };
      if filled > 0 && stop - first > max_bytes {
        break;
      }
      if self.crlf && next != stop && stop > start && window[stop - 1] == b'\r' {
        stop -= 1;
      }
      self.pos = next;
      out[filled] = (start, stop);
      filled += 1;
    }
    filled
  }

  /// [`Records::fill_unguarded`] for a one-byte delimiter: every delimiter of a 64-byte block
  /// found by one compare ([`each_position`]) instead of one `memchr` call per record.
  fn fill_at_byte(
    &mut self,
    window: &[u8],
    byte: u8,
    out: &mut [(usize, usize)],
    max_bytes: usize,
  ) -> usize {
    let (first, end, crlf) = (self.pos, self.end, self.crlf);
    if out.is_empty() || first >= end {
      return 0;
    }
    let mut filled = 0;
    let mut start = first;
    let searched_all = each_position(&window[first..end], byte, |at| {
      let at = first + at;
      if filled > 0 && at - first > max_bytes {
        return false;
      }
      let stop = if crlf && at > start && window[at - 1] == b'\r' {
        at - 1
      } else {
        at
      };
      out[filled] = (start, stop);
      filled += 1;
      start = at + 1;
      filled < out.len()
    });
    // The last record, without a delimiter after it.
    if searched_all && start < end && filled < out.len() && !(filled > 0 && end - first > max_bytes)
    {
      out[filled] = (start, end);
      filled += 1;
      start = end;
    }
    self.pos = start;
    filled
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  fn split(data: &[u8], delimiter: &[u8], crlf: bool) -> Vec<Vec<u8>> {
    let mut records = Records::new(Delimiter::new(delimiter).unwrap(), crlf, 0..data.len());
    let mut out = Vec::new();
    while let Some(range) = records.next(data).unwrap() {
      out.push(data[range].to_vec());
    }
    out
  }

  /// The reference: `String.prototype.split`, minus a last empty piece, nothing for empty input.
  fn reference(data: &[u8], delimiter: &[u8]) -> Vec<Vec<u8>> {
    if data.is_empty() {
      return Vec::new();
    }
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i + delimiter.len() <= data.len() {
      if &data[i..i + delimiter.len()] == delimiter {
        out.push(data[start..i].to_vec());
        i += delimiter.len();
        start = i;
      } else {
        i += 1;
      }
    }
    if start < data.len() {
      out.push(data[start..].to_vec());
    }
    out
  }

  #[test]
  fn records_match_the_reference_at_every_delimiter_position() {
    let alphabet = b"ab\n";
    // Every string of length <= 6 over the alphabet.
    for len in 0..=6 {
      for mut code in 0..3usize.pow(len) {
        let data: Vec<u8> = (0..len)
          .map(|_| {
            let b = alphabet[code % 3];
            code /= 3;
            b
          })
          .collect();
        for delimiter in [&b"\n"[..], b"a", b"ab", b"aa", b"\n\n", b"aba"] {
          assert_eq!(
            split(&data, delimiter, false),
            reference(&data, delimiter),
            "{data:?} {delimiter:?}"
          );
        }
      }
    }
  }

  #[test]
  fn crlf_strips_one_carriage_return_before_a_newline_only() {
    assert_eq!(split(b"a\r\r\nb\r", b"\n", true), [&b"a\r"[..], b"b\r"]);
    assert_eq!(split(b"\r\n\r\n", b"\n", true), [&b""[..], b""]);
    assert_eq!(split(b"a\r\nb", b"\n", false), [&b"a\r"[..], b"b"]);
    // Another delimiter: crlf has nothing to strip.
    assert_eq!(split(b"a\r;b", b";", true), [&b"a\r"[..], b"b"]);
  }

  #[test]
  fn empty_input_has_no_records_and_a_lone_delimiter_one_empty_record() {
    assert!(split(b"", b"\n", false).is_empty());
    assert_eq!(split(b"\n", b"\n", false), [&b""[..]]);
    assert_eq!(split(b"abc", b"\n", false), [&b"abc"[..]]);
  }

  #[test]
  fn a_sub_range_is_the_whole_input() {
    let data = b"xx\nab\ncd";
    let mut records = Records::new(Delimiter::newline(), false, 1..7);
    let mut out = Vec::new();
    while let Some(range) = records.next(data).unwrap() {
      out.push(&data[range]);
    }
    assert_eq!(out, [&b"x"[..], b"ab", b"c"]);
  }

  #[test]
  fn fill_returns_the_same_records() {
    let data = b"a\nbb\n\nccc";
    let mut records = Records::new(Delimiter::newline(), false, 0..data.len());
    let mut out = [(0, 0); 3];
    assert_eq!(records.fill(data, &mut out).unwrap(), 3);
    assert_eq!(out, [(0, 1), (2, 4), (5, 5)]);
    assert_eq!(records.fill(data, &mut out).unwrap(), 1);
    assert_eq!(out[0], (6, 9));
    assert_eq!(records.fill(data, &mut out).unwrap(), 0);
  }

  #[test]
  fn fill_within_equals_next_for_long_inputs_batches_and_limits() {
    use crate::test_support::pseudo_random;
    for (seed, alphabet) in [
      (1, &b"abcdefgh\n"[..]),
      (2, b"a\r\n\n"),
      (3, b"abcdefghijklmnopqrstuvwxyz\n"),
    ] {
      let data = pseudo_random(5000, alphabet, seed);
      for delimiter in [&b"\n"[..], b"a", b"\r\n"] {
        for crlf in [false, true] {
          let range = 3..data.len() - 2;
          let mut one = Records::new(Delimiter::new(delimiter).unwrap(), crlf, range.clone());
          let mut expected = Vec::new();
          while let Some(record) = one.next(&data).unwrap() {
            expected.push((record.start, record.end));
          }
          for (batch, max_bytes) in [(1, usize::MAX), (7, 50), (64, 200), (1000, 0), (5000, 4096)] {
            let mut records = Records::new(Delimiter::new(delimiter).unwrap(), crlf, range.clone());
            let mut out = vec![(0, 0); batch];
            let mut found = Vec::new();
            loop {
              let n = records.fill_within(&data, &mut out, max_bytes).unwrap();
              if n == 0 {
                break;
              }
              let span = out[n - 1].1 - out[0].0;
              assert!(n == 1 || span <= max_bytes, "{n} records span {span}");
              found.extend_from_slice(&out[..n]);
            }
            assert!(records.is_finished());
            assert_eq!(
              found, expected,
              "{delimiter:?} crlf {crlf} batch {batch} max {max_bytes}"
            );
          }
        }
      }
    }
  }

  #[test]
  fn delimiters_are_validated() {
    assert!(Delimiter::new(&[b'x'; MAX_DELIMITER_LEN + 1]).is_err());
    assert!(Delimiter::new(b"\n\n").unwrap().is_self_overlapping());
    assert!(!Delimiter::new(b"\r\n").unwrap().is_self_overlapping());
    assert!(Delimiter::new(b"aba").unwrap().is_self_overlapping());
  }
}
