//! A message queue in a mapped file, shared between processes: one producer, any number of
//! consumers, length-prefixed messages in a circular data area, optionally overwriting the oldest
//! messages when full.
//!
//! This file holds the handle: creating, opening (and validating) and closing a ring. Its file
//! format is `layout`; push, pop and their crash safety are `queue`; waiting for a message is
//! `wait`.

mod layout;
mod queue;
mod wait;

pub use layout::{HEADER_SIZE, MIN_CAPACITY};
pub use queue::Taken;

use crate::error::{MmapError, Result};
use crate::mapping::MappedFile;
use crate::mode::Mode;
use crate::options::OpenOptions;
use layout::{
  corrupt, View, FLAG_OVERWRITE, MAGIC, OFF_CAPACITY, OFF_DATA, OFF_FLAGS, OFF_SEQ, OFF_VERSION,
  VERSION,
};
use wait::wake_all;

/// An open ring buffer.
///
/// ```
/// use mmapkit_core::RingBuffer;
/// # let dir = tempfile::tempdir().unwrap();
/// # let path = dir.path().join("queue.ring");
/// # let path = path.to_str().unwrap();
/// let producer = RingBuffer::create(path, 64 << 10, false)?;
/// let consumer = RingBuffer::open(path)?; // in another process, typically
/// producer.push(b"job 1")?;
/// assert_eq!(consumer.pop()?.as_deref(), Some(&b"job 1"[..]));
/// # Ok::<(), mmapkit_core::MmapError>(())
/// ```
#[derive(Debug)]
pub struct RingBuffer {
  file: MappedFile,
  capacity: u64,
  overwrite: bool,
}

impl RingBuffer {
  /// Creates (or replaces) the file with an empty ring of `capacity` bytes (rounded up to a
  /// multiple of 8), preallocated and durably initialised.
  ///
  /// ```
  /// use mmapkit_core::RingBuffer;
  /// # let dir = tempfile::tempdir().unwrap();
  /// # let path = dir.path().join("queue.ring");
  /// # let path = path.to_str().unwrap();
  /// let ring = RingBuffer::create(path, 1000, false)?;
  /// assert_eq!(ring.capacity(), 1000); // already a multiple of 8
  /// assert_eq!(std::fs::metadata(path).unwrap().len(), 4096 + 1000); // a header page, then data
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
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
  /// [`MmapError::Corrupt`](crate::MmapError::Corrupt), never an out-of-bounds access.
  ///
  /// ```
  /// use mmapkit_core::{MmapError, RingBuffer};
  /// # let dir = tempfile::tempdir().unwrap();
  /// # let path = dir.path().join("queue.ring");
  /// # let path = path.to_str().unwrap();
  /// RingBuffer::create(path, 4096, true)?.push(b"kept")?;
  /// let ring = RingBuffer::open(path)?;
  /// assert!(ring.overwrites());
  /// assert_eq!(ring.pop()?.as_deref(), Some(&b"kept"[..]));
  /// // Any other file is refused, never read out of bounds.
  /// std::fs::write(path, vec![0u8; 8192]).unwrap();
  /// assert!(matches!(RingBuffer::open(path), Err(MmapError::Corrupt { .. })));
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
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
    unsafe { ring.view(|v| v.state()) }?.map_err(|damage| what(&damage.to_string()))?;
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
  ///
  /// ```
  /// # let dir = tempfile::tempdir().unwrap();
  /// # let path = dir.path().join("queue.ring");
  /// let ring = mmapkit_core::RingBuffer::create(path.to_str().unwrap(), 100, false)?;
  /// assert_eq!(ring.capacity(), 104); // rounded up to a multiple of 8
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
  pub fn capacity(&self) -> u64 {
    self.capacity
  }

  /// The largest message a push accepts: the data area minus the 4-byte length prefix, and no
  /// more than that `u32` prefix can describe (4 GiB - 1).
  ///
  /// ```
  /// use mmapkit_core::{MmapError, RingBuffer};
  /// # let dir = tempfile::tempdir().unwrap();
  /// # let path = dir.path().join("queue.ring");
  /// let ring = RingBuffer::create(path.to_str().unwrap(), 64, false)?;
  /// assert_eq!(ring.max_message(), 60);
  /// assert!(matches!(ring.push(&[0; 61]), Err(MmapError::OutOfRange { .. })));
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
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
  ///
  /// ```
  /// # let dir = tempfile::tempdir().unwrap();
  /// # let path = dir.path().join("queue.ring");
  /// let ring = mmapkit_core::RingBuffer::create(path.to_str().unwrap(), 64, false)?;
  /// assert!(!ring.overwrites()); // a full ring refuses pushes
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
  pub fn overwrites(&self) -> bool {
    self.overwrite
  }

  /// Unmaps the ring and closes the file. Idempotent. A `wait` in progress on another thread ends
  /// at once with `ERR_MMAP_CLOSED` (its futex is woken; a waiter in another process just looks
  /// again).
  ///
  /// ```
  /// use mmapkit_core::{MmapError, RingBuffer};
  /// # let dir = tempfile::tempdir().unwrap();
  /// # let path = dir.path().join("queue.ring");
  /// let ring = RingBuffer::create(path.to_str().unwrap(), 64, false)?;
  /// ring.close();
  /// ring.close(); // idempotent
  /// assert!(matches!(ring.push(b"late"), Err(MmapError::Closed)));
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
  pub fn close(&self) {
    // SAFETY: a futex wake on a header word; touches no memory.
    let _ = unsafe { self.view(|v| wake_all(v.u32(OFF_SEQ))) };
    self.file.close();
  }

  /// Whether `close` has run.
  ///
  /// ```
  /// # let dir = tempfile::tempdir().unwrap();
  /// # let path = dir.path().join("queue.ring");
  /// let ring = mmapkit_core::RingBuffer::create(path.to_str().unwrap(), 64, false)?;
  /// assert!(!ring.is_closed());
  /// ring.close();
  /// assert!(ring.is_closed());
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
  pub fn is_closed(&self) -> bool {
    self.file.is_closed()
  }
}

#[cfg(test)]
mod tests {
  use super::layout::{OFF_HEAD, OFF_POPPED, OFF_PUSHED, OFF_TAIL};
  use super::*;
  use crate::error::MmapError;
  use std::sync::atomic::{AtomicBool, Ordering};
  use std::time::{Duration, Instant};

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
    let cases: [(usize, &[u8]); 6] = [
      (0, b"NOTARING"),
      (OFF_VERSION, &9u32.to_le_bytes()),
      (OFF_CAPACITY, &999u64.to_le_bytes()),
      (OFF_HEAD, &8u64.to_le_bytes()),
      (OFF_TAIL, &4096u64.to_le_bytes()),
      (OFF_PUSHED, &u64::MAX.to_le_bytes()),
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

  /// The message counters may be a little off after a process was killed mid-push or mid-pop:
  /// `len` is then bounded by the records the data holds, and nothing is corrupt.
  #[test]
  #[cfg(unix)]
  fn counters_a_little_off_are_bounded_not_corrupt() {
    use std::os::unix::fs::FileExt;
    let (_dir, path, ring) = ring(64, false);
    ring.push(b"hello").unwrap();
    ring.push(b"world").unwrap();
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    // Two 16-byte records waiting, but pushed counted 9 (consumers killed before counting their
    // pops): bounded by the 32 waiting bytes, 8 a record at least.
    file
      .write_all_at(&9u64.to_le_bytes(), OFF_PUSHED as u64)
      .unwrap();
    assert_eq!(ring.len().unwrap(), 4);
    // Counted 1 (a producer killed before counting its push): still one or more waiting.
    file
      .write_all_at(&1u64.to_le_bytes(), OFF_PUSHED as u64)
      .unwrap();
    file
      .write_all_at(&2u64.to_le_bytes(), OFF_POPPED as u64)
      .unwrap();
    assert_eq!(ring.len().unwrap(), 1);
    assert!(!ring.is_empty().unwrap());
    assert_eq!(ring.pop().unwrap().as_deref(), Some(&b"hello"[..]));
    RingBuffer::open(&path).unwrap();
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
    let counter = |offset: usize, value: u64| (offset, value.to_le_bytes().to_vec());
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
      ("pushed count u64::MAX", vec![counter(OFF_PUSHED, u64::MAX)]),
      ("popped far past pushed", vec![counter(OFF_POPPED, 1000)]),
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
        if !label.starts_with("record") {
          is_corrupt(ring.len().map(drop), "len");
          is_corrupt(ring.is_empty().map(drop), "is_empty");
        }
        is_corrupt(ring.pop().map(drop), "pop");
        is_corrupt(ring.peek().map(drop), "peek");
        is_corrupt(ring.pop_into(&mut [0u8; 128]).map(drop), "pop_into");
        is_corrupt(ring.pop_into(&mut [0u8; 1]).map(drop), "pop_into (small)");
        let abort = AtomicBool::new(false);
        let record = label.starts_with("record");
        if record {
          assert_eq!(ring.len().unwrap(), 2, "{label}: len reads no record");
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
