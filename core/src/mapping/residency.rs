//! How much of a mapping is in RAM right now (`mincore`): the engine of `residency()` and of the
//! CLI's `stat`.
//!
//! Linux reports page-cache residency of a file mapping only to a process that owns the file or
//! could open it for writing (since 5.0; others see only the pages mapped into their own page
//! tables), so for someone else's read-only file the figure can be lower than the page cache's.

use super::MappedFile;
use crate::error::Result;
use crate::os;
use crate::range::checked_range;

/// What [`MappedFile::residency`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Residency {
  /// Bytes of the range whose pages are resident.
  pub resident_bytes: u64,
  /// The range's length.
  pub total_bytes: u64,
}

/// Pages asked about per `mincore` call, so that memory use does not grow with the range.
const PAGES_PER_CALL: usize = 64 * 1024;

impl MappedFile {
  /// How many bytes of `length` bytes at `offset` are resident in RAM: whole pages that are
  /// resident count for the part of them inside the range.
  ///
  /// ```
  /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
  /// use mmapkit_core::{MappedFile, OpenOptions};
  /// let dir = std::env::temp_dir().join(format!("mmapkit-residency-doc-{}", std::process::id()));
  /// std::fs::write(&dir, vec![1u8; 10_000])?;
  /// let file = MappedFile::open(dir.to_str().unwrap(), &OpenOptions::default())?;
  /// file.touch_pages(0, 10_000)?;
  /// let residency = file.residency(0, 10_000)?;
  /// assert_eq!(residency.total_bytes, 10_000);
  /// assert!(residency.resident_bytes <= 10_000);
  /// # std::fs::remove_file(&dir)?;
  /// # Ok(()) }
  /// ```
  pub fn residency(&self, offset: u64, length: u64) -> Result<Residency> {
    let region = self.live()?;
    let range = checked_range(offset, length, region.len, "offset", "length")?;
    let mut residency = Residency {
      resident_bytes: 0,
      total_bytes: range.len() as u64,
    };
    if range.is_empty() || region.map.is_none() {
      return Ok(residency);
    }
    let page = os::page_size();
    let base = region.ptr() as usize;
    let start = base + range.start;
    let end = base + range.end;
    let mut page_start = start - start % page;
    let mut flags = Vec::new();
    while page_start < end {
      let pages = ((end - page_start).div_ceil(page)).min(PAGES_PER_CALL);
      flags.resize(pages, 0u8);
      resident_pages(page_start, pages * page, &mut flags)
        .map_err(|e| self.io_error(e, "mincore"))?;
      for (i, &flag) in flags.iter().enumerate() {
        if flag & 1 == 1 {
          let first = (page_start + i * page).max(start);
          let last = (page_start + (i + 1) * page).min(end);
          residency.resident_bytes += (last - first) as u64;
        }
      }
      page_start += pages * page;
    }
    Ok(residency)
  }
}

/// `mincore` of `len` bytes at the page-aligned `addr`: one flag byte per page, bit 0 = resident.
#[cfg(unix)]
fn resident_pages(addr: usize, len: usize, flags: &mut [u8]) -> std::io::Result<()> {
  // SAFETY: `addr..addr + len` lies in a live mapping (the caller holds its read guard; pages are
  // whole pages of the mapping's VMA); `flags` has one byte per page. mincore reads no memory.
  let status = unsafe { libc::mincore(addr as *mut libc::c_void, len, flags.as_mut_ptr().cast()) };
  if status == 0 {
    Ok(())
  } else {
    Err(std::io::Error::last_os_error())
  }
}

/// Windows has no `mincore`: report nothing resident rather than guess.
#[cfg(not(unix))]
fn resident_pages(_addr: usize, _len: usize, flags: &mut [u8]) -> std::io::Result<()> {
  flags.fill(0);
  Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
}

#[cfg(all(test, unix))]
mod tests {
  use crate::{MappedFile, OpenOptions};
  use std::io::Write;

  #[test]
  fn touched_pages_are_resident_and_ranges_are_clipped() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(&vec![1u8; 5 * 4096 + 100]).unwrap();
    let path = file.path().to_str().unwrap().to_owned();
    let mapped = MappedFile::open(&path, &OpenOptions::default()).unwrap();
    mapped.touch_pages(0, 5 * 4096 + 100).unwrap();
    let all = mapped.residency(0, 5 * 4096 + 100).unwrap();
    assert_eq!(all.total_bytes, 5 * 4096 + 100);
    assert_eq!(all.resident_bytes, all.total_bytes);
    let part = mapped.residency(10, 5000).unwrap();
    assert_eq!(part.resident_bytes, 5000);
    assert_eq!(mapped.residency(7, 0).unwrap().resident_bytes, 0);
    assert!(mapped.residency(0, 5 * 4096 + 101).is_err());
    mapped.close();
    assert!(mapped.residency(0, 0).is_err());
  }
}
