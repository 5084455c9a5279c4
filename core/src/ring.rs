//! A message queue in a mapped file, shared between processes: one producer, any number of
//! consumers, length-prefixed messages in a circular data area, optionally overwriting the oldest
//! messages when full.
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
//!
//! Crash safety: a push writes the record, then publishes it by storing the new tail (release). A
//! producer killed mid-push never publishes a torn record. A pop copies the record, then claims it
//! by a compare-and-swap of the head; a consumer killed mid-pop leaves the message in the queue (it
//! is delivered again: at least once). In overwrite mode the producer drops the oldest records by
//! the same compare-and-swap, and a consumer whose copy raced with that drop discards it and retries.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::error::{MmapError, Result};
use crate::mapping::MappedFile;
use crate::mode::Mode;
use crate::options::OpenOptions;

const MAGIC: [u8; 8] = *b"MMKRING\0";
const VERSION: u32 = 1;
const FLAG_OVERWRITE: u32 = 1;
/// Where the data area starts: the header has a page to itself (4 KiB, whatever the OS page).
pub const HEADER_SIZE: u64 = 4096;
/// The smallest data area.
pub const MIN_CAPACITY: u64 = 16;

const OFF_VERSION: usize = 8;
const OFF_FLAGS: usize = 12;
const OFF_CAPACITY: usize = 16;
const OFF_DATA: usize = 24;
const OFF_HEAD: usize = 64;
const OFF_POPPED: usize = 72;
const OFF_TAIL: usize = 128;
const OFF_PUSHED: usize = 136;
const OFF_SEQ: usize = 192;
const OFF_WAITERS: usize = 196;

/// What a pop found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taken {
  /// No message was waiting.
  Empty,
  /// A message of this many bytes was copied out.
  Message(usize),
  /// The next message has this many bytes, more than the destination holds; it was left in place.
  TooLarge(usize),
}

/// An open ring buffer.
#[derive(Debug)]
pub struct RingBuffer {
  file: MappedFile,
  capacity: u64,
  overwrite: bool,
}

/// The record size of a `len`-byte message: prefix plus payload, rounded up to 8.
fn record_size(len: u64) -> u64 {
  (4 + len).div_ceil(8) * 8
}

fn corrupt(message: impl Into<String>) -> MmapError {
  MmapError::Corrupt {
    message: message.into(),
  }
}

/// Typed access to the header and data of a live mapping (valid inside `with_raw`).
struct View {
  base: *mut u8,
  capacity: u64,
}

impl View {
  fn u64(&self, offset: usize) -> &AtomicU64 {
    // SAFETY: header offsets are 8-aligned and inside the mapped header page; the reference lives
    // only inside the enclosing `with_raw` call, while the mapping is held.
    unsafe { AtomicU64::from_ptr(self.base.add(offset).cast()) }
  }

  fn u32(&self, offset: usize) -> &AtomicU32 {
    // SAFETY: as in `u64`, 4-aligned.
    unsafe { AtomicU32::from_ptr(self.base.add(offset).cast()) }
  }

  fn data(&self) -> *mut u8 {
    self.base.wrapping_add(HEADER_SIZE as usize)
  }

  /// Loads head, then tail, and checks them against the data area: both 8-aligned, head not past
  /// tail, at most `capacity` bytes apart. Every operation goes through this before it touches a
  /// record, since another process (or a damaged file) may have written anything there.
  ///
  /// Positions only grow, so a failed check whose head has not moved since it was loaded is real
  /// damage; if the head moved, another consumer or an overwriting producer raced us: load again.
  fn positions(&self) -> Result<(u64, u64)> {
    self.same_capacity()?;
    loop {
      let head = self.u64(OFF_HEAD).load(Ordering::Acquire);
      let tail = self.u64(OFF_TAIL).load(Ordering::Acquire);
      if head % 8 == 0 && tail % 8 == 0 && head <= tail && tail - head <= self.capacity {
        return Ok((head, tail));
      }
      if self.u64(OFF_HEAD).load(Ordering::Acquire) != head {
        continue;
      }
      return Err(corrupt(format!(
        "ring buffer positions are inconsistent (head {head}, tail {tail}, capacity {}): \
         the file was damaged or written by something other than mmapkit",
        self.capacity
      )));
    }
  }

  /// A handle kept across `create` of the same path with another capacity would address the new
  /// ring with the old one's geometry: [`MmapError::Corrupt`] unless the header's capacity is
  /// still the one this handle opened.
  fn same_capacity(&self) -> Result<()> {
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

  /// The length prefix of the record at `position`, which must be 8-aligned (as `positions`
  /// checks): the prefix then lies whole inside the data area.
  fn length_at(&self, position: u64) -> u32 {
    debug_assert_eq!(position % 8, 0, "checked by `positions`");
    // An unaligned position would put the prefix across the end of the data area: round down so
    // that even a caller that skipped the check never reads outside it.
    let at = (position % self.capacity) as usize & !7;
    // SAFETY: `at` is 8-aligned and `capacity` is a multiple of 8, so `at <= capacity - 8` and
    // the 4 bytes are inside the data area.
    unsafe { AtomicU32::from_ptr(self.data().add(at).cast()) }.load(Ordering::Acquire)
  }

  /// Copies `out.len()` bytes from data position `position` (wrapping) into `out`.
  fn copy_out(&self, position: u64, out: &mut [u8]) {
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
  fn copy_in(&self, position: u64, bytes: &[u8]) {
    let at = (position % self.capacity) as usize;
    let first = bytes.len().min(self.capacity as usize - at);
    // SAFETY: as in `copy_out`, in the other direction.
    unsafe {
      std::ptr::copy_nonoverlapping(bytes.as_ptr(), self.data().add(at), first);
      std::ptr::copy_nonoverlapping(bytes.as_ptr().add(first), self.data(), bytes.len() - first);
    }
  }
}

impl RingBuffer {
  /// Creates (or replaces) the file with an empty ring of `capacity` bytes (rounded up to a
  /// multiple of 8), preallocated and durably initialised.
  pub fn create(path: &str, capacity: u64, overwrite: bool) -> Result<Self> {
    let capacity = capacity.max(MIN_CAPACITY).div_ceil(8) * 8;
    let options = OpenOptions {
      mode: Some(Mode::ReadWrite),
      create: true,
      truncate: true,
      size: Some(HEADER_SIZE + capacity),
      ..OpenOptions::default()
    };
    let file = MappedFile::open(path, &options)?;
    let mut header = [0u8; 32];
    header[..8].copy_from_slice(&MAGIC);
    header[OFF_VERSION..OFF_VERSION + 4].copy_from_slice(&VERSION.to_le_bytes());
    let flags = if overwrite { FLAG_OVERWRITE } else { 0 };
    header[OFF_FLAGS..OFF_FLAGS + 4].copy_from_slice(&flags.to_le_bytes());
    header[OFF_CAPACITY..OFF_CAPACITY + 8].copy_from_slice(&capacity.to_le_bytes());
    header[OFF_DATA..OFF_DATA + 8].copy_from_slice(&HEADER_SIZE.to_le_bytes());
    file.write(0, &header)?;
    file.flush()?;
    Ok(RingBuffer {
      file,
      capacity,
      overwrite,
    })
  }

  /// Opens an existing ring, validating its header: a damaged or foreign file is
  /// [`MmapError::Corrupt`], never an out-of-bounds access.
  pub fn open(path: &str) -> Result<Self> {
    let options = OpenOptions {
      mode: Some(Mode::ReadWrite),
      ..OpenOptions::default()
    };
    let file = MappedFile::open(path, &options)?;
    let len = file.len()? as u64;
    let what = |detail: &str| {
      corrupt(format!(
        "{path} is not a valid mmapkit ring buffer: {detail}"
      ))
    };
    if len < HEADER_SIZE + MIN_CAPACITY {
      return Err(what(&format!(
        "the file has {len} bytes, fewer than a ring's minimum"
      )));
    }
    let header = file.read(0, 32)?;
    let u32_at = |at: usize| u32::from_le_bytes(header[at..at + 4].try_into().expect("4 bytes"));
    let u64_at = |at: usize| u64::from_le_bytes(header[at..at + 8].try_into().expect("8 bytes"));
    if header[..8] != MAGIC {
      return Err(what("wrong magic number"));
    }
    if u32_at(OFF_VERSION) != VERSION {
      return Err(what(&format!(
        "unsupported version {}",
        u32_at(OFF_VERSION)
      )));
    }
    let flags = u32_at(OFF_FLAGS);
    if flags & !FLAG_OVERWRITE != 0 {
      return Err(what(&format!("unknown flags {flags:#x}")));
    }
    let capacity = u64_at(OFF_CAPACITY);
    if capacity < MIN_CAPACITY
      || capacity % 8 != 0
      || HEADER_SIZE.checked_add(capacity) != Some(len)
    {
      return Err(what(&format!(
        "capacity {capacity} does not match the file length {len}"
      )));
    }
    if u64_at(OFF_DATA) != HEADER_SIZE {
      return Err(what(&format!(
        "data offset {} is not {HEADER_SIZE}",
        u64_at(OFF_DATA)
      )));
    }
    let ring = RingBuffer {
      file,
      capacity,
      overwrite: flags & FLAG_OVERWRITE != 0,
    };
    // SAFETY: `view` reads header words inside the mapping and owns nothing.
    let positions = unsafe {
      ring.view(|v| {
        (
          v.u64(OFF_HEAD).load(Ordering::Acquire),
          v.u64(OFF_TAIL).load(Ordering::Acquire),
          v.u64(OFF_POPPED).load(Ordering::Acquire),
          v.u64(OFF_PUSHED).load(Ordering::Acquire),
        )
      })
    }?;
    let (head, tail, popped, pushed) = positions;
    if head > tail || tail - head > capacity || head % 8 != 0 || tail % 8 != 0 || popped > pushed {
      return Err(what(&format!(
        "inconsistent positions (head {head}, tail {tail}, popped {popped}, pushed {pushed})"
      )));
    }
    Ok(ring)
  }

  /// Runs `f` over the ring's live mapping.
  ///
  /// # Safety
  /// `f` must follow the `guarded` contract (see `MappedFile::with_raw`).
  unsafe fn view<T>(&self, f: impl FnOnce(&View) -> T) -> Result<T> {
    let capacity = self.capacity;
    // SAFETY: forwarded to the caller; `View` only addresses the header and the data area, both
    // inside the mapping (its length, `HEADER_SIZE + capacity`, was checked at open).
    let outcome = unsafe {
      self.file.with_raw(|base, len| -> Result<T> {
        let view = View { base, capacity };
        // A file re-created with another capacity is ERR_MMAP_CORRUPT (checked first: its new
        // length may end before this mapping does).
        view.same_capacity()?;
        // A file truncated by another process inside its header page would read as an empty ring
        // (the header's tail of the page reads as zeros): touch the first data byte and the last
        // byte, which fault (ERR_MMAP_TRUNCATED, through the guard) once their pages are gone.
        // SAFETY: both bytes lie inside the mapping; plain reads of shared memory.
        let _ = std::ptr::read_volatile(base.add(HEADER_SIZE as usize));
        // SAFETY: as above; `len >= HEADER_SIZE + MIN_CAPACITY > 0`.
        let _ = std::ptr::read_volatile(base.add(len - 1));
        Ok(f(&view))
      })
    };
    outcome.and_then(|result| result)
  }

  /// Bytes in the data area.
  pub fn capacity(&self) -> u64 {
    self.capacity
  }

  /// The largest message a push accepts: the data area minus the 4-byte length prefix, and no
  /// more than that `u32` prefix can describe (4 GiB - 1).
  pub fn max_message(&self) -> u64 {
    (self.capacity - 4).min(u64::from(u32::MAX))
  }

  /// `ERR_OUT_OF_RANGE` for a message of `len` bytes that no push accepts; checked before anything
  /// is copied or written.
  pub fn check_message_len(&self, len: u64) -> Result<()> {
    if len > self.max_message() {
      return Err(MmapError::out_of_range(
        "message.byteLength",
        self.max_message(),
        len,
      ));
    }
    Ok(())
  }

  /// Whether a full ring drops its oldest messages instead of refusing pushes.
  pub fn overwrites(&self) -> bool {
    self.overwrite
  }

  /// Messages waiting (pushed and not yet popped or dropped). The positions are validated as for
  /// every other operation ([`MmapError::Corrupt`]); the message counters, which a process killed
  /// between publishing a record and counting it can leave off by one, are only trusted as far as
  /// the data holds records (each takes at least 8 bytes), so damaged counters never report more
  /// messages than the ring can hold.
  pub fn len(&self) -> Result<u64> {
    // SAFETY: reads header words; owns nothing.
    unsafe {
      self.view(|v| -> Result<u64> {
        let (head, tail) = v.positions()?;
        let popped = v.u64(OFF_POPPED).load(Ordering::Acquire);
        let pushed = v.u64(OFF_PUSHED).load(Ordering::Acquire);
        Ok(pushed.saturating_sub(popped).min((tail - head) / 8))
      })
    }?
  }

  /// Whether no message is waiting.
  pub fn is_empty(&self) -> Result<bool> {
    Ok(self.len()? == 0)
  }

  /// Appends a message. `Ok(false)` when it does not fit (never in overwrite mode, which drops the
  /// oldest messages instead). Only one process may push at a time.
  pub fn push(&self, message: &[u8]) -> Result<bool> {
    let len = message.len() as u64;
    self.check_message_len(len)?;
    let size = record_size(len);
    let capacity = self.capacity;
    let overwrite = self.overwrite;
    // SAFETY: the closure addresses the ring through `View` and owns nothing.
    let outcome = unsafe {
      self.view(|v| -> Result<bool> {
        let tail = loop {
          let (head, tail) = v.positions()?;
          if capacity - (tail - head) >= size {
            break tail;
          }
          if !overwrite {
            return Ok(false);
          }
          // Drop the oldest record; a consumer may claim it first, then we simply look again.
          let length = u64::from(v.length_at(head));
          let oldest = record_size(length);
          if oldest > tail - head {
            if v.u64(OFF_HEAD).load(Ordering::Acquire) != head {
              continue;
            }
            return Err(corrupt(format!(
              "ring buffer record at position {head} claims {length} bytes, more than was written"
            )));
          }
          if v
            .u64(OFF_HEAD)
            .compare_exchange(head, head + oldest, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
          {
            v.u64(OFF_POPPED).fetch_add(1, Ordering::AcqRel);
          }
        };
        let prefix = (len as u32).to_le_bytes();
        v.copy_in(tail, &prefix);
        v.copy_in(tail + 4, message);
        // Publish: the record is complete before the tail covers it.
        v.u64(OFF_TAIL).store(tail + size, Ordering::Release);
        v.u64(OFF_PUSHED).fetch_add(1, Ordering::AcqRel);
        v.u32(OFF_SEQ).fetch_add(1, Ordering::AcqRel);
        if v.u32(OFF_WAITERS).load(Ordering::Acquire) > 0 {
          wake_all(v.u32(OFF_SEQ));
        }
        Ok(true)
      })
    }?;
    outcome
  }

  /// Removes and returns the oldest message, or `None` if the ring is empty.
  pub fn pop(&self) -> Result<Option<Vec<u8>>> {
    self.take(true)
  }

  /// Returns a copy of the oldest message without removing it, or `None`.
  pub fn peek(&self) -> Result<Option<Vec<u8>>> {
    self.take(false)
  }

  fn take(&self, remove: bool) -> Result<Option<Vec<u8>>> {
    let mut out = Vec::new();
    let taken = self.take_with(remove, |len| {
      out.resize(len, 0);
      Some(out.as_mut_ptr())
    })?;
    Ok(matches!(taken, Taken::Message(_)).then_some(out))
  }

  /// Pops the oldest message into the front of `target` (for callers that pool their buffers):
  /// [`Taken::Message`] with its length, [`Taken::Empty`], or [`Taken::TooLarge`] with the length
  /// `target` would need (the message then stays in the ring).
  pub fn pop_into(&self, target: &mut [u8]) -> Result<Taken> {
    let (ptr, room) = (target.as_mut_ptr(), target.len());
    self.take_with(true, |len| (len <= room).then_some(ptr))
  }

  /// The common body of `pop`, `peek` and `pop_into`: `destination(len)` gives where to copy a
  /// message of `len` bytes (valid for `len` bytes), or `None` to leave it in the ring.
  fn take_with(
    &self,
    remove: bool,
    mut destination: impl FnMut(usize) -> Option<*mut u8>,
  ) -> Result<Taken> {
    let max = self.max_message();
    // SAFETY: the closure addresses the ring through `View` and writes only where `destination`
    // says; what `destination` grows is owned outside the guarded closure.
    unsafe {
      self.view(|v| -> Result<Taken> {
        loop {
          let (head, tail) = v.positions()?;
          if head == tail {
            return Ok(Taken::Empty);
          }
          let len = u64::from(v.length_at(head));
          let size = record_size(len);
          if len > max || size > tail.wrapping_sub(head) {
            if v.u64(OFF_HEAD).load(Ordering::Acquire) != head {
              continue; // dropped under us by an overwriting producer
            }
            return Err(corrupt(format!(
              "ring buffer record at position {head} claims {len} bytes, more than was written"
            )));
          }
          let Some(out) = destination(len as usize) else {
            return Ok(Taken::TooLarge(len as usize));
          };
          v.copy_out(head + 4, std::slice::from_raw_parts_mut(out, len as usize));
          let claimed = if remove {
            v.u64(OFF_HEAD)
              .compare_exchange(head, head + size, Ordering::AcqRel, Ordering::Acquire)
              .is_ok()
          } else {
            v.u64(OFF_HEAD).load(Ordering::Acquire) == head
          };
          if claimed {
            if remove {
              v.u64(OFF_POPPED).fetch_add(1, Ordering::AcqRel);
            }
            return Ok(Taken::Message(len as usize));
          }
        }
      })
    }?
  }

  /// Waits until a message is waiting, `timeout` passes (`Ok(false)`), or `abort` is set
  /// ([`MmapError::Aborted`]). Linux sleeps on a futex that the producer wakes; elsewhere it polls
  /// every millisecond.
  pub fn wait(&self, timeout: Option<Duration>, abort: &AtomicBool) -> Result<bool> {
    let deadline = timeout.map(|t| Instant::now() + t);
    loop {
      if abort.load(Ordering::SeqCst) {
        return Err(MmapError::Aborted);
      }
      let remaining = match deadline {
        Some(deadline) => match deadline.checked_duration_since(Instant::now()) {
          Some(left) => left,
          None => return Ok(!self.is_empty()?),
        },
        None => Duration::MAX,
      };
      // At most 50 ms per sleep, so that aborts and `close` are noticed promptly.
      let slice = remaining.min(Duration::from_millis(50));
      // SAFETY: futex words inside the header; the closure owns nothing.
      let ready = unsafe {
        self.view(|v| {
          let seq = v.u32(OFF_SEQ).load(Ordering::Acquire);
          v.u32(OFF_WAITERS).fetch_add(1, Ordering::AcqRel);
          let ready = v.positions().map(|(head, tail)| head != tail);
          if matches!(ready, Ok(false)) {
            wait_on(v.u32(OFF_SEQ), seq, slice);
          }
          v.u32(OFF_WAITERS).fetch_sub(1, Ordering::AcqRel);
          ready
        })
      }??;
      if ready || !self.is_empty()? {
        return Ok(true);
      }
    }
  }

  /// Unmaps the ring and closes the file. Idempotent. A `wait` in progress on another thread ends
  /// at once with `ERR_MMAP_CLOSED` (its futex is woken; a waiter in another process just looks
  /// again).
  pub fn close(&self) {
    // SAFETY: a futex wake on a header word; touches no memory.
    let _ = unsafe { self.view(|v| wake_all(v.u32(OFF_SEQ))) };
    self.file.close();
  }

  /// Whether `close` has run.
  pub fn is_closed(&self) -> bool {
    self.file.is_closed()
  }
}

/// Sleeps until `word` differs from `expected`, a wake, or `timeout` (whichever is first).
#[cfg(target_os = "linux")]
fn wait_on(word: &AtomicU32, expected: u32, timeout: Duration) {
  let spec = libc::timespec {
    tv_sec: timeout.as_secs() as libc::time_t,
    tv_nsec: timeout.subsec_nanos() as libc::c_long,
  };
  // SAFETY: a shared (not PRIVATE) futex wait on a word of a MAP_SHARED file mapping, so other
  // processes can wake it; `spec` outlives the call. Spurious returns are handled by the caller.
  unsafe {
    libc::syscall(
      libc::SYS_futex,
      word.as_ptr(),
      libc::FUTEX_WAIT,
      expected,
      &spec as *const libc::timespec,
      0usize,
      0u32,
    );
  }
}

#[cfg(not(target_os = "linux"))]
fn wait_on(word: &AtomicU32, expected: u32, timeout: Duration) {
  // Polling fallback: sleep a millisecond unless the word already changed.
  if word.load(Ordering::Acquire) == expected {
    std::thread::sleep(timeout.min(Duration::from_millis(1)));
  }
}

/// Wakes every process waiting in `wait_on` for `word`.
#[cfg(target_os = "linux")]
fn wake_all(word: &AtomicU32) {
  // SAFETY: a shared futex wake on a word of the mapping; touches no memory.
  unsafe {
    libc::syscall(
      libc::SYS_futex,
      word.as_ptr(),
      libc::FUTEX_WAKE,
      i32::MAX,
      0usize,
      0usize,
      0u32,
    );
  }
}

#[cfg(not(target_os = "linux"))]
fn wake_all(_word: &AtomicU32) {}

#[cfg(test)]
mod tests {
  use super::*;

  fn ring(capacity: u64, overwrite: bool) -> (tempfile::TempDir, String, RingBuffer) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ring").to_str().unwrap().to_owned();
    let ring = RingBuffer::create(&path, capacity, overwrite).unwrap();
    (dir, path, ring)
  }

  #[test]
  fn fifo_with_wrap_around() {
    let (_dir, path, ring) = ring(64, false);
    assert_eq!(ring.pop().unwrap(), None);
    for round in 0..50u8 {
      let message = vec![round; (round as usize % 23) + 1];
      assert!(ring.push(&message).unwrap());
      assert_eq!(ring.len().unwrap(), 1);
      assert_eq!(ring.peek().unwrap().as_deref(), Some(&message[..]));
      assert_eq!(ring.pop().unwrap().as_deref(), Some(&message[..]));
    }
    assert!(ring.push(b"persisted").unwrap());
    drop(ring);
    let reopened = RingBuffer::open(&path).unwrap();
    assert_eq!(reopened.pop().unwrap().as_deref(), Some(&b"persisted"[..]));
  }

  #[test]
  fn full_and_empty_edges() {
    let (_dir, _path, ring) = ring(32, false);
    assert_eq!(ring.max_message(), 28);
    assert!(ring.push(&[1; 28]).unwrap());
    assert!(!ring.push(&[2]).unwrap(), "full");
    assert_eq!(ring.pop().unwrap().unwrap(), vec![1; 28]);
    assert!(ring.push(&[]).unwrap(), "empty messages are messages");
    assert_eq!(ring.pop().unwrap().unwrap(), Vec::<u8>::new());
    assert!(matches!(
      ring.push(&[0; 29]).unwrap_err(),
      MmapError::OutOfRange { .. }
    ));
  }

  #[test]
  fn pop_into_fills_a_caller_buffer_or_says_how_much_it_needs() {
    let (_dir, _path, ring) = ring(256, false);
    let mut small = [0u8; 4];
    assert_eq!(ring.pop_into(&mut small).unwrap(), Taken::Empty);
    ring.push(b"0123456789").unwrap();
    assert_eq!(ring.pop_into(&mut small).unwrap(), Taken::TooLarge(10));
    assert_eq!(ring.len().unwrap(), 1, "left in place");
    let mut big = [0u8; 64];
    assert_eq!(ring.pop_into(&mut big).unwrap(), Taken::Message(10));
    assert_eq!(&big[..10], b"0123456789");
    assert_eq!(ring.len().unwrap(), 0);
  }

  #[test]
  fn overwrite_drops_the_oldest() {
    let (_dir, _path, ring) = ring(32, true);
    for i in 0..10u8 {
      assert!(ring.push(&[i; 4]).unwrap());
    }
    // 32 bytes hold 4 records of 8 bytes: the last four survive.
    assert_eq!(ring.len().unwrap(), 4);
    for i in 6..10u8 {
      assert_eq!(ring.pop().unwrap().unwrap(), vec![i; 4]);
    }
    assert_eq!(ring.pop().unwrap(), None);
  }

  #[test]
  fn corrupt_headers_are_errors() {
    let (_dir, path, ring) = ring(64, false);
    drop(ring);
    let cases: [(usize, &[u8]); 5] = [
      (0, b"NOTARING"),
      (OFF_VERSION, &9u32.to_le_bytes()),
      (OFF_CAPACITY, &999u64.to_le_bytes()),
      (OFF_HEAD, &8u64.to_le_bytes()),
      (OFF_TAIL, &4096u64.to_le_bytes()),
    ];
    let original = std::fs::read(&path).unwrap();
    for (offset, bytes) in cases {
      let mut damaged = original.clone();
      damaged[offset..offset + bytes.len()].copy_from_slice(bytes);
      std::fs::write(&path, &damaged).unwrap();
      assert!(
        matches!(
          RingBuffer::open(&path).unwrap_err(),
          MmapError::Corrupt { .. }
        ),
        "offset {offset}"
      );
    }
    std::fs::write(&path, b"short").unwrap();
    assert!(matches!(
      RingBuffer::open(&path).unwrap_err(),
      MmapError::Corrupt { .. }
    ));
  }

  #[test]
  fn a_bad_record_length_is_corrupt_not_a_crash() {
    let (_dir, path, ring) = ring(64, false);
    ring.push(b"hello").unwrap();
    drop(ring);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[HEADER_SIZE as usize..HEADER_SIZE as usize + 4].copy_from_slice(&60u32.to_le_bytes());
    std::fs::write(&path, &bytes).unwrap();
    let ring = RingBuffer::open(&path).unwrap();
    assert!(matches!(ring.pop().unwrap_err(), MmapError::Corrupt { .. }));
  }

  /// Damage written by another process while the ring is open: every operation checks head, tail
  /// and record lengths before any access.
  #[test]
  #[cfg(unix)]
  fn damage_written_after_open_is_corrupt_for_every_operation() {
    use std::os::unix::fs::FileExt;
    let capacity = 64u64;
    let head_at = |position: u64| (OFF_HEAD, position.to_le_bytes().to_vec());
    let tail_at = |position: u64| (OFF_TAIL, position.to_le_bytes().to_vec());
    let length = |len: u32| (HEADER_SIZE as usize, len.to_le_bytes().to_vec());
    // After two 5-byte pushes (16-byte records): head 0, tail 32.
    type Writes = Vec<(usize, Vec<u8>)>;
    let cases: Vec<(&str, Writes)> = vec![
      ("head 3 bytes before the end", vec![head_at(capacity - 3)]),
      ("misaligned head", vec![head_at(4)]),
      ("misaligned tail", vec![tail_at(13)]),
      ("head past tail", vec![head_at(40)]),
      ("tail past capacity", vec![tail_at(capacity + 8)]),
      ("head near u64::MAX", vec![head_at(u64::MAX - 7)]),
      ("tail near u64::MAX", vec![tail_at(u64::MAX - 7)]),
      (
        "both huge, misaligned",
        vec![head_at(u64::MAX - 2), tail_at(u64::MAX)],
      ),
      ("record length past the data", vec![length(60)]),
      ("record length past the ring", vec![length(u32::MAX)]),
    ];
    for (label, writes) in cases {
      for overwrite in [false, true] {
        let (_dir, path, ring) = ring(capacity, overwrite);
        ring.push(b"hello").unwrap();
        ring.push(b"world").unwrap();
        let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        for (offset, bytes) in &writes {
          file.write_all_at(bytes, *offset as u64).unwrap();
        }
        let is_corrupt = |result: Result<()>, operation: &str| {
          assert!(
            matches!(result, Err(MmapError::Corrupt { .. })),
            "{label}, overwrite {overwrite}: {operation}: {result:?}"
          );
        };
        is_corrupt(ring.pop().map(drop), "pop");
        is_corrupt(ring.peek().map(drop), "peek");
        is_corrupt(ring.pop_into(&mut [0u8; 128]).map(drop), "pop_into");
        is_corrupt(ring.pop_into(&mut [0u8; 1]).map(drop), "pop_into (small)");
        let abort = AtomicBool::new(false);
        let record = label.starts_with("record");
        if record {
          // `wait` reads no record: it reports the message, and the pop that follows throws.
          assert!(ring.wait(None, &abort).unwrap(), "{label}: wait");
        } else {
          is_corrupt(
            ring
              .wait(Some(Duration::from_millis(100)), &abort)
              .map(drop),
            "wait",
          );
        }
        if overwrite || !record {
          // Filling the ring makes an overwriting push read the oldest record's length.
          let pushed = (|| -> Result<()> {
            for _ in 0..8 {
              ring.push(&[7; 20])?;
            }
            Ok(())
          })();
          is_corrupt(pushed, "push");
        }
      }
    }
  }

  #[test]
  fn wait_returns_on_push_from_another_thread() {
    let (_dir, path, ring) = ring(1024, false);
    let producer = std::thread::spawn(move || {
      let ring = RingBuffer::open(&path).unwrap();
      std::thread::sleep(Duration::from_millis(30));
      ring.push(b"wake up").unwrap();
    });
    let abort = AtomicBool::new(false);
    let started = Instant::now();
    assert!(ring.wait(Some(Duration::from_secs(5)), &abort).unwrap());
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(ring.pop().unwrap().as_deref(), Some(&b"wake up"[..]));
    producer.join().unwrap();
    assert!(
      !ring.wait(Some(Duration::from_millis(20)), &abort).unwrap(),
      "timeout"
    );
    abort.store(true, Ordering::SeqCst);
    assert!(matches!(
      ring.wait(None, &abort).unwrap_err(),
      MmapError::Aborted
    ));
  }
}
