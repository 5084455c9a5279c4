//! Checked range arithmetic: every offset and length from the caller passes through here.

use std::ops::Range;

use crate::error::{MmapError, Result};

/// The byte range `offset..offset + length` inside a region of `total` bytes, or
/// [`MmapError::OutOfRange`] naming the argument at fault. Never overflows.
///
/// ```
/// use mmapkit_core::range::checked_range;
/// assert_eq!(checked_range(4, 8, 16, "offset", "length")?, 4..12);
/// assert!(checked_range(20, 0, 16, "offset", "length").is_err());
/// assert!(checked_range(8, u64::MAX, 16, "offset", "length").is_err()); // never overflows
/// # Ok::<(), mmapkit_core::MmapError>(())
/// ```
pub fn checked_range(
  offset: u64,
  length: u64,
  total: usize,
  offset_name: &str,
  length_name: &str,
) -> Result<Range<usize>> {
  let total = total as u64;
  if offset > total {
    return Err(MmapError::out_of_range(offset_name, total, offset));
  }
  let available = total - offset;
  if length > available {
    return Err(MmapError::out_of_range(length_name, available, length));
  }
  // Both fit in `total`, which came from a usize.
  Ok(offset as usize..(offset + length) as usize)
}

/// `value` as a `usize` that is also a valid `isize` (the most a mapping can hold), else
/// [`MmapError::OutOfRange`] naming `name`.
pub(crate) fn to_usize(value: u64, name: &str) -> Result<usize> {
  usize::try_from(value)
    .ok()
    .filter(|&v| v <= isize::MAX as usize)
    .ok_or_else(|| MmapError::out_of_range(name, isize::MAX as u64, value))
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn ranges_inside_are_accepted() {
    assert_eq!(checked_range(0, 10, 10, "o", "l").unwrap(), 0..10);
    assert_eq!(checked_range(10, 0, 10, "o", "l").unwrap(), 10..10);
    assert_eq!(checked_range(0, 0, 0, "o", "l").unwrap(), 0..0);
  }

  #[test]
  fn ranges_outside_name_the_argument() {
    let err = checked_range(11, 0, 10, "offset", "length").unwrap_err();
    assert!(
      matches!(err, MmapError::OutOfRange { ref name, max: 10, received: 11 } if name == "offset")
    );
    let err = checked_range(4, 7, 10, "offset", "length").unwrap_err();
    assert_eq!(err.to_string(), "length is out of range: 7 > 6");
  }

  #[test]
  fn huge_values_do_not_overflow() {
    assert!(checked_range(u64::MAX, u64::MAX, 10, "o", "l").is_err());
    assert!(checked_range(1, u64::MAX, 10, "o", "l").is_err());
  }
}
