//! [`Reservation`]: the address range of one mapping, kept reserved until nothing can reach it.
//!
//! `close()` and `resize()` cannot know whether some native code (a zlib job, a pending
//! `fs.read`, a socket's `onread` buffer) or a moved ArrayBuffer still holds an address inside
//! the mapping. So they never unmap: they [`retire`](Reservation::retire) the range instead, which
//! replaces the file's pages with private anonymous zero pages in one `mmap(MAP_FIXED)` call (this
//! also drops the mapping's reference to the file). A late read then sees zeros, a late write
//! lands in private memory that nobody else can see, and the address cannot be handed to another
//! mapping, because the range stays mapped. The range is unmapped when the last holder (the
//! `MappedFile` and every zero-copy view made over it) drops its `Arc<Reservation>`.

use std::sync::Arc;

use memmap2::MmapRaw;

use crate::guard;
use crate::live_maps::TrackedMap;
use crate::os;

/// One mapping's address range; unmapped on drop (by memmap2).
///
/// ```
/// use mmapkit_core::MappedFile;
/// let memory = MappedFile::anonymous(4096)?;
/// let (view, held) = memory.held_view(0, 16)?;
/// let range = held.expect("a non-empty mapping has a reservation");
/// assert_eq!((range.ptr(), range.len()), (view.ptr, 4096));
/// assert_eq!(range.fault(), None);
/// # Ok::<(), mmapkit_core::MmapError>(())
/// ```
pub struct Reservation {
  /// Registered as a live mapping (`live_maps`) for as long as the range is mapped.
  map: TrackedMap,
  /// The slot of this range in the process-wide table the SIGBUS handler reads, if registered.
  fault_slot: Option<guard::FaultSlot>,
}

// SAFETY: the range is plain memory shared by design; every mutation of the mapping itself
// (retire, the fault handler) is a single system call on the range, and `MmapRaw` is Send + Sync.
unsafe impl Send for Reservation {}
// SAFETY: as above.
unsafe impl Sync for Reservation {}

impl std::fmt::Debug for Reservation {
  fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    f.debug_struct("Reservation")
      .field("ptr", &self.map.as_ptr())
      .field("len", &self.map.len())
      .finish()
  }
}

impl Reservation {
  /// Takes ownership of a fresh mapping. `file_backed` ranges are registered with the fault
  /// handler, which turns a fault through a view (a truncated file) into zero pages.
  pub(crate) fn new(map: MmapRaw, file_backed: bool) -> Arc<Self> {
    let fault_slot = if file_backed {
      guard::FaultSlot::register(map.as_mut_ptr(), map.len())
    } else {
      None
    };
    Arc::new(Reservation {
      map: TrackedMap::new(map),
      fault_slot,
    })
  }

  /// The first mapped byte.
  ///
  /// ```
  /// # let memory = mmapkit_core::MappedFile::anonymous(4096)?;
  /// let (view, held) = memory.held_view(8, 8)?;
  /// assert_eq!(held.unwrap().ptr().wrapping_add(8), view.ptr);
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
  pub fn ptr(&self) -> *mut u8 {
    self.map.as_mut_ptr()
  }

  /// The mapped length in bytes.
  ///
  /// ```
  /// # let memory = mmapkit_core::MappedFile::anonymous(4096)?;
  /// let (_, held) = memory.held_view(0, 1)?;
  /// assert_eq!(held.unwrap().len(), 4096); // the whole mapping
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
  pub fn len(&self) -> usize {
    self.map.len()
  }

  /// Whether the range is empty (never: zero-length mappings have no reservation).
  ///
  /// ```
  /// # let memory = mmapkit_core::MappedFile::anonymous(4096)?;
  /// assert!(!memory.held_view(0, 0)?.1.unwrap().is_empty());
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
  pub fn is_empty(&self) -> bool {
    self.map.len() == 0
  }

  /// What the fault handler recorded: the offset (from [`Reservation::ptr`]) of the first page
  /// that faulted through a view, if any.
  ///
  /// ```
  /// # let memory = mmapkit_core::MappedFile::anonymous(4096)?;
  /// let (_, held) = memory.held_view(0, 16)?;
  /// assert_eq!(held.unwrap().fault(), None); // nothing faulted
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
  pub fn fault(&self) -> Option<usize> {
    self.fault_slot.as_ref().and_then(guard::FaultSlot::fault)
  }

  /// Replaces the whole range with private zero pages (and so drops the file), keeping it
  /// reserved. Called with no mmapkit access running (under the region's write lock); concurrent
  /// accesses by others (native code, views in other threads) see the old bytes or zeros, never a
  /// fault.
  pub(crate) fn retire(&self) {
    if let Some(slot) = &self.fault_slot {
      slot.unregister();
    }
    os::replace_with_zero_pages(self.map.as_mut_ptr(), self.map.len());
  }

  /// Retires the range if anyone else holds it, else lets it be unmapped now.
  pub(crate) fn release(this: Arc<Self>) {
    if let Err(shared) = Arc::try_unwrap(this) {
      // We still hold `shared`, so nobody can unmap the range while it is replaced.
      shared.retire();
    }
  }
}

impl std::ops::Deref for Reservation {
  type Target = MmapRaw;
  fn deref(&self) -> &MmapRaw {
    &self.map
  }
}

impl Drop for Reservation {
  fn drop(&mut self) {
    if let Some(slot) = &self.fault_slot {
      slot.unregister();
    }
    // `map` is dropped next: memmap2 unmaps the range.
  }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
  use std::io::Write;

  use crate::{MappedFile, MmapError, OpenOptions};

  /// Whether `path` is mapped at `ptr` (`/proc/self/maps`). Not "whether anything is mapped
  /// there": the tests run in parallel, and another test's mapping or thread stack may take the
  /// address as soon as it is free.
  fn maps_file_at(ptr: *const u8, path: &std::path::Path) -> bool {
    let path = std::fs::canonicalize(path).unwrap();
    let path = path.to_str().unwrap();
    let at = ptr as usize;
    std::fs::read_to_string("/proc/self/maps")
      .unwrap()
      .lines()
      .any(|line| {
        let range = line.split_whitespace().next().unwrap_or("");
        let (start, end) = range.split_once('-').unwrap_or(("0", "0"));
        let start = usize::from_str_radix(start, 16).unwrap_or(0);
        let end = usize::from_str_radix(end, 16).unwrap_or(0);
        (start..end).contains(&at) && line.contains(path)
      })
  }

  fn file_of(len: usize, byte: u8) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(&vec![byte; len]).unwrap();
    file
  }

  #[test]
  fn close_retires_a_held_range_and_the_last_holder_unmaps_it() {
    let file = file_of(3 * 4096, 7);
    let path = file.path().to_str().unwrap();
    let mapped = MappedFile::open(path, &OpenOptions::default()).unwrap();
    let (view, held) = mapped.held_view(4096, 16).unwrap();
    let held = held.unwrap();
    // SAFETY: the held reservation keeps the range mapped.
    assert_eq!(unsafe { view.ptr.read_volatile() }, 7);
    mapped.close();
    assert!(
      !maps_file_at(view.ptr, file.path()),
      "retired: the file is no longer mapped there"
    );
    // Still mapped, now private zeros; writes land nowhere that matters.
    // SAFETY: as above.
    unsafe {
      assert_eq!(view.ptr.read_volatile(), 0);
      view.ptr.write_volatile(9);
      assert_eq!(view.ptr.read_volatile(), 9);
    }
    assert_eq!(std::fs::read(path).unwrap()[4096], 7);
    drop(held);
    assert!(!maps_file_at(view.ptr, file.path()));
  }

  #[test]
  fn close_unmaps_at_once_when_nothing_holds_the_range() {
    let file = file_of(4096, 1);
    let mapped = MappedFile::open(file.path().to_str().unwrap(), &OpenOptions::default()).unwrap();
    let (view, held) = mapped.held_view(0, 1).unwrap();
    assert!(maps_file_at(view.ptr, file.path()));
    drop(held);
    mapped.close();
    assert!(!maps_file_at(view.ptr, file.path()));
  }

  #[test]
  fn a_fault_through_a_view_reads_zeros_and_is_reported() {
    let file = file_of(4 * 4096, 5);
    let mapped = MappedFile::open(file.path().to_str().unwrap(), &OpenOptions::default()).unwrap();
    let (view, _held) = mapped.held_view(0, 4 * 4096).unwrap();
    file.as_file().set_len(4096).unwrap();
    // SAFETY: an unguarded access, as JavaScript makes through a view: the page past the new end
    // faults, and the handler puts a zero page there.
    unsafe {
      assert_eq!(view.ptr.add(2 * 4096 + 3).read_volatile(), 0);
      view.ptr.add(2 * 4096).write_volatile(1);
    }
    assert!(matches!(mapped.len(), Err(MmapError::Truncated)));
    assert!(matches!(mapped.read(0, 1), Err(MmapError::Truncated)));
  }
}
