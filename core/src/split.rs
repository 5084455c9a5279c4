//! Dividing a byte range between workers at record boundaries: the engine of `splitRanges()`.
//!
//! The range is cut into `parts` near-equal pieces; each cut then moves forward to just after the
//! next delimiter, so that no record straddles two pieces. A cut that lands inside a record
//! reaching past the next cut disappears (its pieces merge): fewer ranges, never a split record.
//! Each range but the last ends just after a delimiter occurrence of the same left-to-right scan
//! that [`crate::records::Records`] makes, so splitting the ranges' records separately gives
//! exactly the records of the whole range.

use std::ops::Range;

use crate::error::Result;
use crate::records::Delimiter;

/// At most `parts` contiguous, non-empty ranges covering `data` exactly, each but the last ending
/// just after an occurrence of `delimiter`. Empty data gives no ranges. `parts` must be >= 1.
///
/// ```
/// use mmapkit_core::records::Delimiter;
/// use mmapkit_core::split::split_ranges;
/// let data = b"aaaa\nbb\ncccccc\nd\n";
/// let ranges = split_ranges(data, 2, &Delimiter::newline()).unwrap();
/// assert_eq!(ranges, [0..8, 8..17]);
/// assert_eq!(split_ranges(b"no delimiter", 4, &Delimiter::newline()).unwrap().len(), 1);
/// ```
pub fn split_ranges(data: &[u8], parts: u64, delimiter: &Delimiter) -> Result<Vec<Range<usize>>> {
  let len = data.len();
  if len == 0 {
    return Ok(Vec::new());
  }
  let parts = u128::from(parts.max(1));
  let total = len as u128;
  let cut = |i: u128| (i * total / parts) as usize;
  let mut ranges = Vec::new();
  let mut start = 0usize;
  let mut i = 1u128;
  // For self-overlapping delimiters: where the left-to-right scan stands (a record start).
  let mut scan = 0usize;
  while i < parts {
    let c = cut(i);
    if c <= start {
      // The next cut inside the current range: skip to the first cut past it.
      i = ((start as u128 + 1) * parts).div_ceil(total);
      continue;
    }
    let boundary = if delimiter.is_self_overlapping() {
      // Follow the scan from a record start, so only its occurrences count.
      let mut found = None;
      while let Some(at) = delimiter.find_from(data, scan)? {
        scan = at + delimiter.len();
        if scan >= c {
          found = Some(scan);
          break;
        }
      }
      found
    } else {
      // Occurrences cannot overlap, so every occurrence is one the scan finds: search from the
      // first position whose occurrence would end at or after the cut.
      let from = start.max(c.saturating_sub(delimiter.len()));
      delimiter
        .find_from(data, from)?
        .map(|at| at + delimiter.len())
    };
    match boundary {
      Some(boundary) if boundary < len => {
        ranges.push(start..boundary);
        start = boundary;
        i += 1;
      }
      _ => break,
    }
  }
  ranges.push(start..len);
  Ok(ranges)
}

#[cfg(test)]
mod tests {
  use super::*;
  use crate::records::Records;
  use crate::test_support::pseudo_random;

  fn records(data: &[u8], range: Range<usize>, delimiter: &Delimiter) -> Vec<Range<usize>> {
    let mut records = Records::new(delimiter.clone(), false, range);
    let mut out = Vec::new();
    while let Some(r) = records.next(data).unwrap() {
      out.push(r);
    }
    out
  }

  #[test]
  fn ranges_cover_exactly_and_never_split_a_record() {
    for seed in 0..40u64 {
      let len = (seed as usize * 37) % 300;
      let data = pseudo_random(len, b"ab\n", seed);
      for delimiter in [&b"\n"[..], b"a", b"ab", b"aa", b"aba"] {
        let delimiter = Delimiter::new(delimiter).unwrap();
        let whole = records(&data, 0..data.len(), &delimiter);
        for parts in [1u64, 2, 3, 7, 50, 1000, u64::MAX] {
          let ranges = split_ranges(&data, parts, &delimiter).unwrap();
          assert!(ranges.len() as u64 <= parts);
          if data.is_empty() {
            assert!(ranges.is_empty());
            continue;
          }
          assert_eq!(ranges.first().unwrap().start, 0);
          assert_eq!(ranges.last().unwrap().end, data.len());
          assert!(ranges.iter().all(|r| !r.is_empty()));
          assert!(ranges.windows(2).all(|w| w[0].end == w[1].start));
          let pieces: Vec<_> = ranges
            .iter()
            .flat_map(|r| records(&data, r.clone(), &delimiter))
            .collect();
          assert_eq!(pieces, whole, "{data:?} {:?} {parts}", delimiter.bytes());
        }
      }
    }
  }

  #[test]
  fn ranges_are_near_equal_on_regular_records() {
    let data: Vec<u8> = b"0123456789\n".repeat(1000);
    let ranges = split_ranges(&data, 4, &Delimiter::newline()).unwrap();
    assert_eq!(ranges.len(), 4);
    for r in &ranges {
      assert!(
        (r.len() as i64 - data.len() as i64 / 4).abs() <= 11,
        "{r:?}"
      );
    }
  }

  #[test]
  fn a_long_record_merges_ranges() {
    let mut data = vec![b'x'; 1000];
    data[10] = b'\n';
    let ranges = split_ranges(&data, 4, &Delimiter::newline()).unwrap();
    assert_eq!(
      ranges,
      vec![Range {
        start: 0,
        end: 1000
      }]
    );
    data[600] = b'\n';
    let ranges = split_ranges(&data, 4, &Delimiter::newline()).unwrap();
    assert_eq!(ranges, [0..601, 601..1000]);
  }
}
