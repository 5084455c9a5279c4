//! The address ranges of every live mmapkit mapping in the process, so that a write can tell
//! whether its source bytes lie in a mapping (whose file another process may truncate, turning a
//! read of them into a fault halfway through the copy).

use std::collections::BTreeMap;
use std::ops::Deref;
use std::sync::RwLock;

use memmap2::MmapRaw;

/// Start address -> end address (exclusive) of each live mapping. Mappings never overlap.
static LIVE: RwLock<BTreeMap<usize, usize>> = RwLock::new(BTreeMap::new());

/// A mapping registered in [`LIVE`] for as long as it exists.
pub(crate) struct TrackedMap(MmapRaw);

impl TrackedMap {
  pub(crate) fn new(map: MmapRaw) -> Self {
    let start = map.as_ptr() as usize;
    if map.len() > 0 {
      LIVE
        .write()
        .unwrap_or_else(|p| p.into_inner())
        .insert(start, start + map.len());
    }
    TrackedMap(map)
  }
}

impl Deref for TrackedMap {
  type Target = MmapRaw;
  fn deref(&self) -> &MmapRaw {
    &self.0
  }
}

impl Drop for TrackedMap {
  fn drop(&mut self) {
    // Unregistered before memmap2 unmaps (the field is dropped after this body).
    LIVE
      .write()
      .unwrap_or_else(|p| p.into_inner())
      .remove(&(self.0.as_ptr() as usize));
  }
}

/// Whether any byte of `ptr..ptr + len` lies in a live mmapkit mapping.
pub(crate) fn overlaps_a_mapping(ptr: *const u8, len: usize) -> bool {
  if len == 0 {
    return false;
  }
  let (start, end) = (ptr as usize, (ptr as usize).saturating_add(len));
  let live = LIVE.read().unwrap_or_else(|p| p.into_inner());
  // The mapping starting last before `end` is the only one that can overlap (no overlaps).
  live
    .range(..end)
    .next_back()
    .is_some_and(|(_, &map_end)| map_end > start)
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn ranges_inside_and_outside_mappings() {
    let map = TrackedMap::new(MmapRaw::from(
      memmap2::MmapOptions::new().len(8192).map_anon().unwrap(),
    ));
    let base = map.as_ptr();
    assert!(overlaps_a_mapping(base, 1));
    assert!(overlaps_a_mapping(base.wrapping_add(8191), 1));
    assert!(overlaps_a_mapping(base.wrapping_sub(10), 11));
    assert!(!overlaps_a_mapping(base.wrapping_sub(10), 10));
    assert!(!overlaps_a_mapping(base.wrapping_add(8192), 100));
    assert!(!overlaps_a_mapping(base, 0));
    let ordinary = [0u8; 100];
    assert!(!overlaps_a_mapping(ordinary.as_ptr(), ordinary.len()));
    drop(map);
    assert!(!overlaps_a_mapping(base, 1));
  }
}
