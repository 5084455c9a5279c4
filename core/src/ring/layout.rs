//! The file format of a ring buffer, and typed access to a live mapping of it.
//!
//! File layout (all integers little-endian, as the hardware stores them; x86-64 and arm64 only):
//!
//! | offset | field                                                                    |
//! | ------ | ------------------------------------------------------------------------ |
//! | 0      | magic `MMKRING\0`                                                          |
//! | 8      | version `u32` (1), 12: flags `u32` (bit 0: overwrite)                      |
//! | 16     | capacity `u64` (bytes of the data area, a multiple of 8)                  |
//! | 24     | data offset `u64` (4096)                                                   |
//! | 64     | head `u64`: bytes consumed so far; 72: messages consumed (or dropped)      |
//! | 128    | tail `u64`: bytes produced so far; 136: messages produced                  |
//! | 192    | `u32` futex word bumped on every push; 196: `u32` count of waiting readers |
//! | 4096   | data: records `[u32 length][payload][padding to 8 bytes]`, wrapping        |
//!
//! Head and tail only grow; a position's place in the data area is `position % capacity`. Records
//! are 8-byte aligned, so a length prefix never wraps; a payload may (it is copied in two parts).

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use crate::error::{MmapError, Result};

pub(super) const MAGIC: [u8; 8] = *b"MMKRING\0";
pub(super) const VERSION: u32 = 1;
pub(super) const FLAG_OVERWRITE: u32 = 1;
/// Where the data area starts: the header has a page to itself (4 KiB, whatever the OS page).
///
/// ```
/// use mmapkit_core::ring::{HEADER_SIZE, MIN_CAPACITY};
/// # let dir = tempfile::tempdir().unwrap();
/// # let path = dir.path().join("queue.ring");
/// // A ring's file is its header and its data area.
/// mmapkit_core::RingBuffer::create(path.to_str().unwrap(), 0, false)?;
/// assert_eq!(std::fs::metadata(&path).unwrap().len(), HEADER_SIZE + MIN_CAPACITY);
/// # Ok::<(), mmapkit_core::MmapError>(())
/// ```
pub const HEADER_SIZE: u64 = 4096;
/// The smallest data area.
///
/// ```
/// # let dir = tempfile::tempdir().unwrap();
/// # let path = dir.path().join("queue.ring");
/// let ring = mmapkit_core::RingBuffer::create(path.to_str().unwrap(), 1, false)?;
/// assert_eq!(ring.capacity(), mmapkit_core::ring::MIN_CAPACITY);
/// # Ok::<(), mmapkit_core::MmapError>(())
/// ```
pub const MIN_CAPACITY: u64 = 16;

pub(super) const OFF_VERSION: usize = 8;
pub(super) const OFF_FLAGS: usize = 12;
pub(super) const OFF_CAPACITY: usize = 16;
pub(super) const OFF_DATA: usize = 24;
pub(super) const OFF_HEAD: usize = 64;
pub(super) const OFF_POPPED: usize = 72;
pub(super) const OFF_TAIL: usize = 128;
pub(super) const OFF_PUSHED: usize = 136;
pub(super) const OFF_SEQ: usize = 192;
pub(super) const OFF_WAITERS: usize = 196;

/// The record size of a `len`-byte message: prefix plus payload, rounded up to 8.
pub(super) fn record_size(len: u64) -> u64 {
  (4 + len).div_ceil(8) * 8
}

pub(super) fn corrupt(message: impl Into<String>) -> MmapError {
  MmapError::Corrupt {
    message: message.into(),
  }
}

/// How far the message counters may be off the records in the data area: a producer killed
/// between publishing a record and counting it leaves `pushed` one short, a consumer killed between
/// claiming one and counting it leaves `popped` one short. A header further off is damaged.
pub(super) const COUNTER_SLACK: u64 = 64;

/// A snapshot of the header's positions (bytes) and message counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct State {
  pub(super) head: u64,
  pub(super) tail: u64,
  pub(super) popped: u64,
  pub(super) pushed: u64,
}

impl State {
  /// What is wrong with this snapshot for a data area of `capacity` bytes, if anything.
  fn problem(&self, capacity: u64) -> Option<&'static str> {
    let State {
      head,
      tail,
      popped,
      pushed,
    } = *self;
    if head % 8 != 0 || tail % 8 != 0 {
      return Some("a position is not a multiple of 8");
    }
    if head > tail {
      return Some("the consumer position (head) is past the producer position (tail)");
    }
    if tail - head > capacity {
      return Some("more bytes are waiting than the data area holds");
    }
    // The counters never wrap (2^64 messages): compare them as plain numbers.
    if popped > pushed.saturating_add(COUNTER_SLACK) {
      return Some("more messages were popped than pushed");
    }
    if pushed > popped.saturating_add((tail - head) / 8 + COUNTER_SLACK) {
      return Some("the message counters claim more messages than the data holds");
    }
    None
  }

  /// The messages waiting: the counters' difference, bounded by the records the data can hold
  /// (each at least 8 bytes) and at least one when any byte is waiting.
  pub(super) fn waiting(&self) -> u64 {
    let records = (self.tail - self.head) / 8;
    let counted = self.pushed.saturating_sub(self.popped);
    counted.clamp(u64::from(records > 0), records)
  }
}

/// Typed access to the header and data of a live mapping (valid inside `with_raw`).
pub(super) struct View {
  pub(super) base: *mut u8,
  pub(super) capacity: u64,
}

impl View {
  pub(super) fn u64(&self, offset: usize) -> &AtomicU64 {
    // SAFETY: header offsets are 8-aligned and inside the mapped header page; the reference lives
    // only inside the enclosing `with_raw` call, while the mapping is held.
    unsafe { AtomicU64::from_ptr(self.base.add(offset).cast()) }
  }

  pub(super) fn u32(&self, offset: usize) -> &AtomicU32 {
    // SAFETY: as in `u64`, 4-aligned.
    unsafe { AtomicU32::from_ptr(self.base.add(offset).cast()) }
  }

  pub(super) fn data(&self) -> *mut u8 {
    self.base.wrapping_add(HEADER_SIZE as usize)
  }

  /// Loads head, then tail, and checks the header's invariants ([`View::state`]); the positions.
  /// Every operation goes through this before it touches a record, since another process (or a
  /// damaged file) may have written anything there.
  pub(super) fn positions(&self) -> Result<(u64, u64)> {
    self.state().map(|state| (state.head, state.tail))
  }

  /// A handle kept across `create` of the same path with another capacity would address the new
  /// ring with the old one's geometry: [`MmapError::Corrupt`] unless the header's capacity is
  /// still the one this handle opened.
  pub(super) fn same_capacity(&self) -> Result<()> {
    let capacity = self.u64(OFF_CAPACITY).load(Ordering::Acquire);
    if capacity != self.capacity {
      return Err(corrupt(format!(
        "the ring buffer's capacity is now {capacity} bytes, not the {} this handle opened: \
         the file was re-created or damaged; open it again",
        self.capacity
      )));
    }
    Ok(())
  }

  /// Loads the header's positions and message counters and checks them: the capacity is the one
  /// this handle opened; head and tail 8-aligned, head not past tail, at most `capacity` bytes
  /// apart; the counters no further apart than the records the data holds (each takes at least 8
  /// bytes), give or take [`COUNTER_SLACK`]. [`MmapError::Corrupt`] otherwise.
  ///
  /// Positions and counters only grow, so a failed check on a snapshot that a second load finds
  /// unchanged is real damage; if anything moved, another process raced us: check the new one.
  pub(super) fn state(&self) -> Result<State> {
    self.same_capacity()?;
    let mut state = self.load_state();
    let mut attempts = 0;
    loop {
      let Some(problem) = state.problem(self.capacity) else {
        return Ok(state);
      };
      let again = self.load_state();
      attempts += 1;
      if again == state || attempts >= 1000 {
        return Err(corrupt(format!(
          "ring buffer header is inconsistent ({problem}; head {}, tail {}, popped {}, pushed \
           {}, capacity {}): the file was damaged or written by something other than mmapkit",
          state.head, state.tail, state.popped, state.pushed, self.capacity
        )));
      }
      state = again;
    }
  }

  /// One load of the positions and counters; in an order that never makes a consistent header
  /// look damaged when nothing races (popped before head before tail before pushed: each older
  /// value is the smaller).
  fn load_state(&self) -> State {
    let popped = self.u64(OFF_POPPED).load(Ordering::Acquire);
    let head = self.u64(OFF_HEAD).load(Ordering::Acquire);
    let tail = self.u64(OFF_TAIL).load(Ordering::Acquire);
    let pushed = self.u64(OFF_PUSHED).load(Ordering::Acquire);
    State {
      head,
      tail,
      popped,
      pushed,
    }
  }

  /// The length prefix of the record at `position`, which must be 8-aligned (as `positions`
  /// checks): the prefix then lies whole inside the data area.
  pub(super) fn length_at(&self, position: u64) -> u32 {
    debug_assert_eq!(position % 8, 0, "checked by `positions`");
    // An unaligned position would put the prefix across the end of the data area: round down so
    // that even a caller that skipped the check never reads outside it.
    let at = (position % self.capacity) as usize & !7;
    // SAFETY: `at` is 8-aligned and `capacity` is a multiple of 8, so `at <= capacity - 8` and
    // the 4 bytes are inside the data area.
    unsafe { AtomicU32::from_ptr(self.data().add(at).cast()) }.load(Ordering::Acquire)
  }

  /// Copies `out.len()` bytes from data position `position` (wrapping) into `out`.
  pub(super) fn copy_out(&self, position: u64, out: &mut [u8]) {
    let at = (position % self.capacity) as usize;
    let first = out.len().min(self.capacity as usize - at);
    // SAFETY: both parts lie inside the data area (`at + first <= capacity`, the rest from 0);
    // `out` is separate memory.
    unsafe {
      std::ptr::copy_nonoverlapping(self.data().add(at), out.as_mut_ptr(), first);
      std::ptr::copy_nonoverlapping(self.data(), out.as_mut_ptr().add(first), out.len() - first);
    }
  }

  /// Copies `bytes` to data position `position` (wrapping).
  pub(super) fn copy_in(&self, position: u64, bytes: &[u8]) {
    let at = (position % self.capacity) as usize;
    let first = bytes.len().min(self.capacity as usize - at);
    // SAFETY: as in `copy_out`, in the other direction.
    unsafe {
      std::ptr::copy_nonoverlapping(bytes.as_ptr(), self.data().add(at), first);
      std::ptr::copy_nonoverlapping(bytes.as_ptr().add(first), self.data(), bytes.len() - first);
    }
  }
}
