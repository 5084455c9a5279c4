//! Every position of one byte value in a slice, in order: the inner loop of `lines()` with a
//! one-byte delimiter.
//!
//! `memchr` per record restarts a search for each ~80-byte line, and its set-up costs as much as
//! the search. Here each 64-byte block is compared at once (SSE2, part of every x86_64 CPU) into a
//! 64-bit mask whose set bits are the positions, so a block with several delimiters costs one
//! compare. Other architectures use `memchr::memchr_iter`.

/// Calls `visit` with the offset of each occurrence of `byte` in `haystack`, in order, until it
/// returns false. Returns true if every occurrence was visited, false if `visit` stopped it.
///
/// ```
/// use mmapkit_core::byte_positions::each_position;
/// let mut found = Vec::new();
/// assert!(each_position(b"a\nbb\n\n", b'\n', |at| {
///   found.push(at);
///   true
/// }));
/// assert_eq!(found, [1, 4, 5]);
/// assert!(!each_position(b"a\nbb\n\n", b'\n', |at| at < 4));
/// ```
#[inline]
pub fn each_position(haystack: &[u8], byte: u8, visit: impl FnMut(usize) -> bool) -> bool {
  #[cfg(target_arch = "x86_64")]
  {
    each_position_sse2(haystack, byte, visit)
  }
  #[cfg(not(target_arch = "x86_64"))]
  {
    let mut visit = visit;
    memchr::memchr_iter(byte, haystack).all(|at| visit(at))
  }
}

#[cfg(target_arch = "x86_64")]
#[inline]
fn each_position_sse2(haystack: &[u8], byte: u8, mut visit: impl FnMut(usize) -> bool) -> bool {
  use std::arch::x86_64::{
    __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
  };

  /// The positions of `needle`'s byte in the 64 bytes at `block`, as the bits of a mask.
  ///
  /// # Safety
  /// `block` must be valid for reading 64 bytes.
  #[inline(always)]
  unsafe fn block_mask(block: *const u8, needle: __m128i) -> u64 {
    // SAFETY: SSE2 is in every x86_64 CPU; the four unaligned loads read the 64 bytes the caller
    // vouches for.
    unsafe {
      let lane = |k: usize| {
        let bytes = _mm_loadu_si128(block.add(16 * k).cast::<__m128i>());
        _mm_movemask_epi8(_mm_cmpeq_epi8(bytes, needle)) as u16 as u64
      };
      lane(0) | lane(1) << 16 | lane(2) << 32 | lane(3) << 48
    }
  }

  let len = haystack.len();
  let start = haystack.as_ptr();
  // SAFETY: SSE2 is in every x86_64 CPU; this only builds a register.
  let needle = unsafe { _mm_set1_epi8(byte as i8) };
  let mut base = 0;
  while base + 64 <= len {
    // SAFETY: `base + 64 <= len`: the 64 bytes at `start + base` are inside `haystack`.
    let mut mask = unsafe { block_mask(start.add(base), needle) };
    while mask != 0 {
      if !visit(base + mask.trailing_zeros() as usize) {
        return false;
      }
      mask &= mask - 1;
    }
    base += 64;
  }
  for (i, &b) in haystack[base..].iter().enumerate() {
    if b == byte && !visit(base + i) {
      return false;
    }
  }
  true
}

#[cfg(test)]
mod tests {
  use super::*;
  use crate::test_support::pseudo_random;

  fn positions(haystack: &[u8], byte: u8) -> Vec<usize> {
    let mut out = Vec::new();
    assert!(each_position(haystack, byte, |at| {
      out.push(at);
      true
    }));
    out
  }

  #[test]
  fn every_position_in_order_at_every_alignment_and_length() {
    for seed in 0..4 {
      let data = pseudo_random(700, b"ab\n\n\n", seed);
      for from in 0..70 {
        for len in [0, 1, 63, 64, 65, 127, 128, 129, 300, 630 - from] {
          let slice = &data[from..from + len];
          let expected: Vec<usize> = (0..len).filter(|&i| slice[i] == b'\n').collect();
          assert_eq!(positions(slice, b'\n'), expected, "from {from} len {len}");
        }
      }
    }
    assert_eq!(positions(&[0xff; 200], 0xff).len(), 200);
    assert!(positions(&[0u8; 200], 0xff).is_empty());
  }

  #[test]
  fn visiting_stops_when_asked() {
    let data = vec![b'\n'; 500];
    let mut seen = 0;
    assert!(!each_position(&data, b'\n', |at| {
      seen += 1;
      at < 99
    }));
    assert_eq!(seen, 100);
  }
}
