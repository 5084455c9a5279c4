//! The three ways a file can be mapped, and the page-cache hints.

/// How a file is mapped. Its names are the binding's (`'readOnly'`, ...).
///
/// ```
/// use mmapkit_core::{MappedFile, Mode, OpenOptions};
/// # let dir = tempfile::tempdir().unwrap();
/// # let path = dir.path().join("data.bin");
/// # std::fs::write(&path, b"original").unwrap();
/// let options = OpenOptions { mode: Some(Mode::CopyOnWrite), ..OpenOptions::default() };
/// let private = MappedFile::open(&path, &options)?;
/// private.write(0, b"changed!")?; // this process only
/// assert_eq!(std::fs::read(&path).unwrap(), b"original");
/// # Ok::<(), mmapkit_core::MmapError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
  /// Reads see the file. Writes through views stay private to the process and never reach the
  /// file (a private writable mapping, so a stray write through a view cannot crash the process);
  /// `update_region` and atomics are refused with [`MmapError::ReadOnly`](crate::MmapError::ReadOnly).
  ReadOnly,
  /// A shared mapping: writes are writes to the file, durable after `flush`.
  ReadWrite,
  /// A private writable mapping (memmap2 `map_copy`): writes stay in this process.
  CopyOnWrite,
}

impl Mode {
  /// The contract's name of the mode.
  ///
  /// ```
  /// use mmapkit_core::Mode;
  /// assert_eq!(Mode::ReadWrite.as_str(), "readWrite");
  /// ```
  pub fn as_str(self) -> &'static str {
    match self {
      Mode::ReadOnly => "readOnly",
      Mode::ReadWrite => "readWrite",
      Mode::CopyOnWrite => "copyOnWrite",
    }
  }

  /// Parses the contract's name; `None` for anything else.
  ///
  /// ```
  /// use mmapkit_core::Mode;
  /// assert_eq!(Mode::parse("copyOnWrite"), Some(Mode::CopyOnWrite));
  /// assert_eq!(Mode::parse("rw"), None);
  /// ```
  pub fn parse(name: &str) -> Option<Self> {
    match name {
      "readOnly" => Some(Mode::ReadOnly),
      "readWrite" => Some(Mode::ReadWrite),
      "copyOnWrite" => Some(Mode::CopyOnWrite),
      _ => None,
    }
  }

  /// Whether `update_region` may write through this mapping.
  ///
  /// ```
  /// use mmapkit_core::Mode;
  /// assert!(Mode::ReadWrite.is_writable());
  /// assert!(!Mode::ReadOnly.is_writable());
  /// ```
  pub fn is_writable(self) -> bool {
    !matches!(self, Mode::ReadOnly)
  }
}

/// How the mapping will be read, passed to the kernel (`madvise`).
///
/// ```
/// use mmapkit_core::{Advice, MappedFile, Mode, OpenOptions};
/// # let dir = tempfile::tempdir().unwrap();
/// # let path = dir.path().join("data.bin");
/// # std::fs::write(&path, vec![0u8; 1 << 16]).unwrap();
/// let options = OpenOptions { advice: Some(Advice::Random), ..OpenOptions::default() };
/// let file = MappedFile::open(&path, &options)?; // advised right after mapping
/// file.advise(Advice::Sequential, 0, 1 << 16)?;
/// # Ok::<(), mmapkit_core::MmapError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Advice {
  /// No special treatment (the default).
  Normal,
  /// Expect random access: read ahead little.
  Random,
  /// Expect sequential access: read ahead aggressively, free pages behind.
  Sequential,
  /// Expect access soon: start reading the pages in.
  WillNeed,
  /// Not needed soon. On a readWrite file mapping the pages are dropped from this process and
  /// read again from the page cache (written data is kept there). On private memory (copyOnWrite,
  /// readOnly, anonymous) the pages hold data that exists nowhere else, so they are only marked
  /// the first to reclaim (`MADV_COLD`) and nothing is lost.
  DontNeed,
}

impl Advice {
  /// Parses the contract's name (`'normal'`, `'random'`, `'sequential'`, `'willNeed'`, `'dontNeed'`).
  ///
  /// ```
  /// use mmapkit_core::Advice;
  /// assert_eq!(Advice::parse("willNeed"), Some(Advice::WillNeed));
  /// assert_eq!(Advice::parse("WILLNEED"), None);
  /// ```
  pub fn parse(name: &str) -> Option<Self> {
    match name {
      "normal" => Some(Advice::Normal),
      "random" => Some(Advice::Random),
      "sequential" => Some(Advice::Sequential),
      "willNeed" => Some(Advice::WillNeed),
      "dontNeed" => Some(Advice::DontNeed),
      _ => None,
    }
  }
}
