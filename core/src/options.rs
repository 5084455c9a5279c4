//! What `MappedFile::open` is asked to do.

use crate::file_lock::LockKind;
use crate::flush_policy::FlushPolicy;
use crate::mode::{Advice, Mode};

/// Options for [`crate::MappedFile::open`], already type-checked by the caller.
///
/// ```
/// use mmapkit_core::{FlushPolicy, LockKind, MappedFile, Mode, OpenOptions};
/// # let dir = tempfile::tempdir().unwrap();
/// # let path = dir.path().join("log.bin");
/// // openOrCreate: 1 MiB if this call creates the file, an existing one as it is; an exclusive
/// // lock held until close; a sync after every 64 KiB written.
/// let options = OpenOptions {
///   mode: Some(Mode::ReadWrite),
///   create: true,
///   default_size: Some(1 << 20),
///   lock: Some(LockKind::Exclusive),
///   flush_policy: FlushPolicy::EveryBytes(64 << 10),
///   ..OpenOptions::default()
/// };
/// let file = MappedFile::open(&path, &options)?;
/// assert_eq!(file.len()?, 1 << 20);
/// # Ok::<(), mmapkit_core::MmapError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
  /// `None` means readOnly.
  pub mode: Option<Mode>,
  /// Create the file when it is missing (readWrite only).
  pub create: bool,
  /// Truncate an existing file to `size` first (`createRw`).
  pub truncate: bool,
  /// With `create`: the new file's length; an existing shorter file grows to it (readWrite only).
  pub size: Option<u64>,
  /// With `create`: the length of the file if this call creates it; an existing file is left
  /// as it is (`openOrCreate`).
  pub default_size: Option<u64>,
  /// Map a window starting at this file offset (any value; aligned internally).
  pub offset: Option<u64>,
  /// The window's length; default: to the end of the file.
  pub length: Option<u64>,
  /// Prefault the pages while mapping (`MAP_POPULATE` on Linux).
  pub populate: bool,
  /// `madvise` the whole mapping right after mapping it.
  pub advice: Option<Advice>,
  /// Ask for transparent huge pages (Linux `MADV_HUGEPAGE`); a hint only.
  pub huge_pages: bool,
  /// Take this advisory lock before mapping and hold it until `close`.
  pub lock: Option<LockKind>,
  /// When counted writes are flushed.
  pub flush_policy: FlushPolicy,
}

impl OpenOptions {
  /// The mode, defaulting to readOnly.
  ///
  /// ```
  /// use mmapkit_core::{Mode, OpenOptions};
  /// assert_eq!(OpenOptions::default().mode(), Mode::ReadOnly);
  /// ```
  pub fn mode(&self) -> Mode {
    self.mode.unwrap_or(Mode::ReadOnly)
  }
}
