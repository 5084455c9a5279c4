//! Push and pop: the records of the data area, claimed by compare-and-swap.
//!
//! Crash safety: a push writes the record, then publishes it by storing the new tail (release). A
//! producer killed mid-push never publishes a torn record. A pop copies the record, then claims it
//! by a compare-and-swap of the head; a consumer killed mid-pop leaves the message in the queue (it
//! is delivered again: at least once). In overwrite mode the producer drops the oldest records by
//! the same compare-and-swap, and a consumer whose copy raced with that drop discards it and retries.

use std::sync::atomic::Ordering;

use super::layout::{
  corrupt, record_size, OFF_HEAD, OFF_POPPED, OFF_PUSHED, OFF_SEQ, OFF_TAIL, OFF_WAITERS,
};
use super::wait::wake_all;
use super::RingBuffer;
use crate::error::Result;

/// What a pop found.
///
/// ```
/// use mmapkit_core::ring::Taken;
/// # let dir = tempfile::tempdir().unwrap();
/// # let path = dir.path().join("queue.ring");
/// let ring = mmapkit_core::RingBuffer::create(path.to_str().unwrap(), 1024, false)?;
/// let mut buffer = [0u8; 4];
/// assert_eq!(ring.pop_into(&mut buffer)?, Taken::Empty);
/// ring.push(b"too long")?;
/// assert_eq!(ring.pop_into(&mut buffer)?, Taken::TooLarge(8)); // left in the ring
/// let mut bigger = [0u8; 16];
/// assert_eq!(ring.pop_into(&mut bigger)?, Taken::Message(8));
/// # Ok::<(), mmapkit_core::MmapError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taken {
  /// No message was waiting.
  Empty,
  /// A message of this many bytes was copied out.
  Message(usize),
  /// The next message has this many bytes, more than the destination holds; it was left in place.
  TooLarge(usize),
}

impl RingBuffer {
  /// Messages waiting (pushed and not yet popped or dropped). The header is checked first, as
  /// for every operation ([`MmapError::Corrupt`] if damaged); the message counters, which a
  /// process killed mid-push or mid-pop leaves off by one, are trusted only as far as the data
  /// holds records.
  ///
  /// ```
  /// # let dir = tempfile::tempdir().unwrap();
  /// # let path = dir.path().join("queue.ring");
  /// let ring = mmapkit_core::RingBuffer::create(path.to_str().unwrap(), 1024, false)?;
  /// ring.push(b"a")?;
  /// ring.push(b"b")?;
  /// assert_eq!(ring.len()?, 2);
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
  pub fn len(&self) -> Result<u64> {
    // SAFETY: reads header words; owns nothing.
    unsafe { self.view(|v| v.state().map(|state| state.waiting())) }?
  }

  /// Whether no message is waiting.
  ///
  /// ```
  /// # let dir = tempfile::tempdir().unwrap();
  /// # let path = dir.path().join("queue.ring");
  /// let ring = mmapkit_core::RingBuffer::create(path.to_str().unwrap(), 1024, false)?;
  /// assert!(ring.is_empty()?);
  /// ring.push(b"a")?;
  /// assert!(!ring.is_empty()?);
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
  pub fn is_empty(&self) -> Result<bool> {
    Ok(self.len()? == 0)
  }

  /// Appends a message. `Ok(false)` when it does not fit (never in overwrite mode, which drops the
  /// oldest messages instead). Only one process may push at a time.
  ///
  /// ```
  /// use mmapkit_core::RingBuffer;
  /// # let dir = tempfile::tempdir().unwrap();
  /// # let path = dir.path().join("queue.ring");
  /// # let path = path.to_str().unwrap();
  /// let ring = RingBuffer::create(path, 16, false)?;
  /// assert!(ring.push(b"0123456789")?); // 4 + 10 bytes, padded to 16
  /// assert!(!ring.push(b"x")?); // full: refused
  /// let overwriting = RingBuffer::create(path, 16, true)?;
  /// overwriting.push(b"0123456789")?;
  /// overwriting.push(b"new")?; // drops the oldest message to make room
  /// assert_eq!(overwriting.pop()?.as_deref(), Some(&b"new"[..]));
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
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
  ///
  /// ```
  /// # let dir = tempfile::tempdir().unwrap();
  /// # let path = dir.path().join("queue.ring");
  /// let ring = mmapkit_core::RingBuffer::create(path.to_str().unwrap(), 1024, false)?;
  /// ring.push(b"first")?;
  /// ring.push(b"second")?;
  /// assert_eq!(ring.pop()?.as_deref(), Some(&b"first"[..]));
  /// assert_eq!(ring.pop()?.as_deref(), Some(&b"second"[..]));
  /// assert_eq!(ring.pop()?, None);
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
  pub fn pop(&self) -> Result<Option<Vec<u8>>> {
    self.take(true)
  }

  /// Returns a copy of the oldest message without removing it, or `None`.
  ///
  /// ```
  /// # let dir = tempfile::tempdir().unwrap();
  /// # let path = dir.path().join("queue.ring");
  /// let ring = mmapkit_core::RingBuffer::create(path.to_str().unwrap(), 1024, false)?;
  /// ring.push(b"next")?;
  /// assert_eq!(ring.peek()?.as_deref(), Some(&b"next"[..]));
  /// assert_eq!(ring.len()?, 1); // still there
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
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
  ///
  /// ```
  /// use mmapkit_core::ring::Taken;
  /// # let dir = tempfile::tempdir().unwrap();
  /// # let path = dir.path().join("queue.ring");
  /// let ring = mmapkit_core::RingBuffer::create(path.to_str().unwrap(), 1024, false)?;
  /// ring.push(b"hello")?;
  /// let mut pooled = [0u8; 64]; // reused for every message
  /// if let Taken::Message(len) = ring.pop_into(&mut pooled)? {
  ///   assert_eq!(&pooled[..len], b"hello");
  /// }
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
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
}
