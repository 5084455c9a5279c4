//! [`MappedFile::open`]: from a path and options to a live mapping, changing nothing on the way
//! unless the call succeeds.
//!
//! The order is what makes a rejected call harmless:
//! 1. options that contradict each other (`create`/`size` without readWrite) are refused first;
//! 2. the file is opened without blocking (`O_NONBLOCK | O_NOCTTY`: a FIFO or a terminal cannot
//!    stall the thread) and without creating it; `fstat`/`fstatfs` then refuse anything that is
//!    not a regular file on a real file system (`file_kind`);
//! 3. the window (`offset`/`length`) is checked against the length the file *will* have (after
//!    `size`, `defaultSize` or the truncation of `createRw`), and only then
//! 4. the file is created, truncated or grown, and mapped.
//!
//! A failure after step 4 began is undone where it can be: a file this call created is removed, a
//! file it grew gets its old length back. (A truncation by `createRw` cannot be undone; it happens
//! only after every check passed and the new size was reserved on the disk.)

use std::fs::{File, OpenOptions as FsOpenOptions};
use std::io;
use std::path::Path;
use std::sync::atomic::AtomicBool;

use memmap2::{MmapOptions, MmapRaw};

use super::page_cache::advise_region;
use super::{MappedFile, Region};
use crate::error::{MmapError, Result};
use crate::file_kind::check_mappable;
use crate::file_lock as lock;
use crate::mode::Mode;
use crate::options::OpenOptions;
use crate::os;
use crate::preallocate::grow_file;
use crate::range::to_usize;
use crate::reservation::Reservation;

/// The part of the file a mapping covers.
#[derive(Debug, PartialEq, Eq)]
struct Window {
  offset: u64,
  len: usize,
  whole_file: bool,
}

impl MappedFile {
  /// Opens (and, if asked, creates, truncates or grows) the file at `path` and maps it. A call
  /// that fails leaves the file as it was (see the module documentation).
  ///
  /// ```
  /// use mmapkit_core::{MappedFile, MmapError, Mode, OpenOptions};
  /// # let dir = tempfile::tempdir().unwrap();
  /// let path = dir.path().join("new.bin");
  /// let options = OpenOptions {
  ///   mode: Some(Mode::ReadWrite),
  ///   create: true,
  ///   size: Some(1024),
  ///   ..OpenOptions::default()
  /// };
  /// let file = MappedFile::open(&path, &options)?;
  /// assert_eq!(file.len()?, 1024);
  /// // A rejected call changes nothing: `create` needs mode readWrite.
  /// let other = dir.path().join("other.bin");
  /// let bad = OpenOptions { create: true, ..OpenOptions::default() };
  /// assert!(matches!(MappedFile::open(&other, &bad), Err(MmapError::InvalidArgValue { .. })));
  /// assert!(!other.exists());
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
  pub fn open(path: impl AsRef<Path>, options: &OpenOptions) -> Result<Self> {
    Self::open_cancellable(path, options, None)
  }

  /// [`MappedFile::open`] whose wait for `options.lock` ends with [`MmapError::Aborted`] as soon
  /// as `abort` is set (the lock is then polled instead of waited for).
  ///
  /// ```
  /// use mmapkit_core::{LockKind, MappedFile, MmapError, OpenOptions};
  /// use std::sync::atomic::{AtomicBool, Ordering};
  /// # let dir = tempfile::tempdir().unwrap();
  /// # let path = dir.path().join("data.bin");
  /// # std::fs::write(&path, b"hello").unwrap();
  /// let holder = MappedFile::open(&path, &OpenOptions::default())?;
  /// holder.lock(LockKind::Exclusive, None)?;
  /// let locked = OpenOptions { lock: Some(LockKind::Shared), ..OpenOptions::default() };
  /// let abort = AtomicBool::new(true); // another thread would set it; here it is set already
  /// let refused = MappedFile::open_cancellable(&path, &locked, Some(&abort));
  /// assert!(matches!(refused, Err(MmapError::Aborted)));
  /// holder.unlock()?;
  /// abort.store(false, Ordering::SeqCst);
  /// let file = MappedFile::open_cancellable(&path, &locked, Some(&abort))?;
  /// assert_eq!(file.read(0, 5)?, b"hello");
  /// # Ok::<(), mmapkit_core::MmapError>(())
  /// ```
  pub fn open_cancellable(
    path: impl AsRef<Path>,
    options: &OpenOptions,
    abort: Option<&AtomicBool>,
  ) -> Result<Self> {
    let path = path.as_ref();
    let display = path.to_string_lossy();
    check_option_combination(options)?;
    let (file, created) = open_or_create(path, &display, options)?;
    let identity = created.then(|| Identity::of(&file));
    let result = map_opened(&display, options, file, created, abort);
    if result.is_err() {
      if let Some(identity) = identity {
        identity.remove_if_still_at(path);
      }
    }
    result
  }

  /// Maps an already open file, as [`MappedFile::open`] maps the file at a path: for files opened
  /// by the caller (a file descriptor or `FileHandle` in JS, duplicated first so that the caller
  /// keeps ownership of its own). `display` names the file in errors and in [`MappedFile::path`].
  /// `options.create` has nothing to create; `size` and a truncating create still apply.
  ///
  /// ```
  /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
  /// use mmapkit_core::{MappedFile, OpenOptions};
  /// let path = std::env::temp_dir().join(format!("mmapkit-open-file-doc-{}", std::process::id()));
  /// std::fs::write(&path, b"hello")?;
  /// let file = std::fs::File::open(&path)?;
  /// let mapped = MappedFile::open_file(file, "hello.txt", &OpenOptions::default(), None)?;
  /// assert_eq!(mapped.read(0, 5)?, b"hello");
  /// # std::fs::remove_file(&path)?;
  /// # Ok(()) }
  /// ```
  pub fn open_file(
    file: File,
    display: &str,
    options: &OpenOptions,
    abort: Option<&AtomicBool>,
  ) -> Result<Self> {
    check_option_combination(options)?;
    map_opened(display, options, file, false, abort)
  }
}

/// Refuses option sets that contradict each other, before anything is opened.
fn check_option_combination(options: &OpenOptions) -> Result<()> {
  let mode = options.mode();
  let changes_file =
    options.create || options.size.is_some() || options.truncate || options.default_size.is_some();
  if changes_file && mode != Mode::ReadWrite {
    return Err(MmapError::InvalidArgValue {
      message: format!(
        "The options 'create' and 'size' need mode 'readWrite'. Received mode '{}'",
        mode.as_str()
      ),
    });
  }
  Ok(())
}

/// The length the file will have once `options` are applied to a file of `current` bytes
/// (`created`: this call made it).
fn planned_length(options: &OpenOptions, current: u64, created: bool) -> u64 {
  if options.truncate {
    return options.size.unwrap_or(0);
  }
  if created {
    if let Some(default_size) = options.default_size {
      return default_size;
    }
  }
  options.size.map_or(current, |size| size.max(current))
}

/// The window `options.offset`/`options.length` asks for in a file of `file_len` bytes.
fn window(options: &OpenOptions, file_len: u64) -> Result<Window> {
  let offset = options.offset.unwrap_or(0);
  if offset > file_len {
    return Err(MmapError::out_of_range("options.offset", file_len, offset));
  }
  let available = file_len - offset;
  let length = options.length.unwrap_or(available);
  if length > available {
    return Err(MmapError::out_of_range("options.length", available, length));
  }
  Ok(Window {
    offset,
    len: to_usize(length, "options.length")?,
    whole_file: offset == 0 && options.length.is_none(),
  })
}

/// Opens an existing file, or (with `options.create`) creates a missing one, but only after the
/// window has been checked against the length the new file will have.
fn open_or_create(path: &Path, display: &str, options: &OpenOptions) -> Result<(File, bool)> {
  let io_err = |e| open_error(e, path, display);
  let mode = options.mode();
  // A racing process may create or remove the file between our two opens: try a few times, then
  // let `O_CREAT` follow what is there (a dangling symlink, which `O_EXCL` never creates through).
  for _ in 0..3 {
    match fs_options(mode).open(path) {
      Ok(file) => return Ok((file, false)),
      Err(e) if e.kind() == io::ErrorKind::NotFound && options.create => {
        window(options, planned_length(options, 0, true))?;
        match fs_options(mode).create_new(true).open(path) {
          Ok(file) => return Ok((file, true)),
          Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
          Err(e) => return Err(io_err(e)),
        }
      }
      Err(e) => return Err(io_err(e)),
    }
  }
  let file = fs_options(mode).create(true).open(path).map_err(io_err)?;
  Ok((file, true))
}

/// The error of a failed `open`: a socket (Linux: `ENXIO`) or a device without a driver is
/// reported as what it is, not as an OS error that hides why.
fn open_error(e: io::Error, path: &Path, display: &str) -> MmapError {
  #[cfg(unix)]
  if e.raw_os_error() == Some(libc::ENXIO) {
    if let Ok(metadata) = std::fs::metadata(path) {
      if !metadata.is_file() && !metadata.is_dir() {
        return MmapError::NotRegularFile {
          path: display.to_owned(),
          kind: crate::file_kind::special_kind(&metadata).to_owned(),
        };
      }
    }
  }
  MmapError::io(e, "open", Some(display))
}

/// Read (and write for readWrite), never blocking on a FIFO or device, never acquiring a
/// controlling terminal. `O_NONBLOCK` changes nothing for regular files, the only ones mapped.
fn fs_options(mode: Mode) -> FsOpenOptions {
  let mut fs_options = FsOpenOptions::new();
  fs_options.read(true).write(mode == Mode::ReadWrite);
  #[cfg(unix)]
  {
    use std::os::unix::fs::OpenOptionsExt;
    fs_options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
  }
  fs_options
}

/// Makes the descriptor of a file known to be regular an ordinary blocking one again (Linux
/// ignores `O_NONBLOCK` on regular files, but the descriptor is kept for the mapping's life and
/// should not carry a flag that only mattered for opening). Best effort.
fn clear_non_blocking(file: &File) {
  #[cfg(unix)]
  {
    use std::os::unix::io::AsRawFd;
    let fd = file.as_raw_fd();
    // SAFETY: F_GETFL/F_SETFL on a descriptor we own only read and change its status flags.
    unsafe {
      let flags = libc::fcntl(fd, libc::F_GETFL);
      if flags >= 0 && flags & libc::O_NONBLOCK != 0 {
        libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK);
      }
    }
  }
  #[cfg(not(unix))]
  let _ = file;
}

/// Steps 2 to 4 on an opened file; the caller removes a created file if this fails.
fn map_opened(
  path: &str,
  options: &OpenOptions,
  file: File,
  created: bool,
  abort: Option<&AtomicBool>,
) -> Result<MappedFile> {
  let io_err = |e, syscall| MmapError::io(e, syscall, Some(path));
  let metadata = file.metadata().map_err(|e| io_err(e, "fstat"))?;
  if metadata.is_dir() {
    return Err(io_err(is_a_directory(), "open"));
  }
  check_mappable(&file, &metadata, path)?;
  clear_non_blocking(&file);

  let mut file_len = metadata.len();
  if let Some(kind) = options.lock {
    // Before looking at the length: the lock protects what we are about to look at.
    match abort {
      None => lock::lock(&file, kind),
      Some(abort) => lock::lock_cancellable(&file, kind, abort),
    }
    .map_err(|e| match e {
      lock::WaitError::Aborted => MmapError::Aborted,
      lock::WaitError::Io(e) => io_err(e, "flock"),
    })?;
    file_len = file.metadata().map_err(|e| io_err(e, "fstat"))?.len();
  }

  // Every check before the first change.
  let target_len = planned_length(options, file_len, created);
  let window = window(options, target_len)?;

  resize_for_open(&file, options, file_len, target_len).map_err(|e| io_err(e, "ftruncate"))?;
  let grown = (!options.truncate && target_len != file_len)
    .then(|| file.try_clone().ok())
    .flatten();
  let mapped = map_window(path, options, file, &window);
  if let (Err(_), Some(grown)) = (&mapped, grown) {
    // Give a grown file its old length back (best effort: the mapping failed, not the file).
    let _ = grown.set_len(file_len);
  }
  mapped
}

/// Truncates (`createRw`) or grows the file from `file_len` to `target_len`. A growth that fails
/// leaves the old length.
fn resize_for_open(
  file: &File,
  options: &OpenOptions,
  file_len: u64,
  target_len: u64,
) -> io::Result<()> {
  let grow = |from: u64, to: u64| {
    grow_file(file, to).inspect_err(|_| {
      let _ = file.set_len(from);
    })
  };
  if options.truncate {
    // Reserve the new size first, so that a full disk fails here with the old contents intact.
    if target_len > file_len {
      grow(file_len, target_len)?;
    }
    file.set_len(0)?;
    if target_len > 0 {
      grow_file(file, target_len)?;
    }
  } else if target_len > file_len {
    grow(file_len, target_len)?;
  }
  Ok(())
}

/// Maps `window` of the checked, resized file and applies the open-time hints.
fn map_window(
  path: &str,
  options: &OpenOptions,
  file: File,
  window: &Window,
) -> Result<MappedFile> {
  let mode = options.mode();
  let map = if window.len == 0 {
    None
  } else {
    let mut builder = MmapOptions::new();
    builder.offset(window.offset).len(window.len);
    // MAP_POPULATE prefaults a private writable mapping for writing, which copies every page into
    // anonymous memory (a 512 MiB readOnly file took 512 MiB of RAM): private mappings are
    // populated by reading one byte per page instead, after mapping (`populate_private`).
    if options.populate && mode == Mode::ReadWrite {
      builder.populate();
    }
    let map = match mode {
      Mode::ReadWrite => builder.map_raw(&file),
      // readOnly is private and writable so that a JS write into a view cannot fault: it lands
      // in a private copy of the page and never reaches the file. MAP_NORESERVE: a private
      // writable mapping is otherwise charged in full against the commit limit, so a file larger
      // than RAM + swap (100 GiB here) failed with ENOMEM; pages are charged when written instead.
      Mode::ReadOnly | Mode::CopyOnWrite => {
        // SAFETY: map_copy is unsafe because the file may change under the `&[u8]` an `MmapMut`
        // derefs to. We never use that deref: the map becomes an `MmapRaw` at once, copies go
        // through raw pointers, and scans borrow a slice only for one search (`with_bytes`, whose
        // comment says what that tolerates).
        unsafe { builder.no_reserve_swap().map_copy(&file) }.map(MmapRaw::from)
      }
    }
    .map_err(|e| MmapError::io(e, "mmap", Some(path)))?;
    Some(Reservation::new(map, true))
  };
  let mapped = MappedFile::from_region(
    Region {
      map,
      len: window.len,
      file: Some(file),
    },
    Some(path.to_owned()),
    mode,
    window.offset,
    window.whole_file,
    options.flush_policy,
  );
  apply_open_hints(&mapped, options)?;
  if options.populate && mode != Mode::ReadWrite && window.len > 0 {
    // Read faults map the page cache's pages without copying them.
    mapped.touch_pages(0, window.len as u64)?;
  }
  Ok(mapped)
}

/// The open-time hints of `options` (`hugePages`, `advice`) applied to the new mapping.
fn apply_open_hints(mapped: &MappedFile, options: &OpenOptions) -> Result<()> {
  let region = mapped.live()?;
  if let Some(map) = &region.map {
    if options.huge_pages {
      os::huge_pages_hint(map);
    }
    if let Some(advice) = options.advice {
      advise_region(&region, mapped.mode(), advice, 0, map.len())
        .map_err(|e| mapped.io_error(e, "madvise"))?;
    }
  }
  Ok(())
}

/// Which file a path named when this call created it, so that cleanup removes that file only.
struct Identity {
  #[cfg(unix)]
  dev_ino: Option<(u64, u64)>,
}

impl Identity {
  fn of(file: &File) -> Self {
    #[cfg(unix)]
    {
      use std::os::unix::fs::MetadataExt;
      Identity {
        dev_ino: file.metadata().ok().map(|m| (m.dev(), m.ino())),
      }
    }
    #[cfg(not(unix))]
    {
      let _ = file;
      Identity {}
    }
  }

  /// Removes the file this call created, unless the path now names something else (another
  /// process replaced it) or a symlink (the link was there before us; only its target is ours).
  fn remove_if_still_at(&self, path: &Path) {
    let Ok(link) = std::fs::symlink_metadata(path) else {
      return;
    };
    if link.file_type().is_symlink() {
      return;
    }
    #[cfg(unix)]
    {
      use std::os::unix::fs::MetadataExt;
      if self.dev_ino != Some((link.dev(), link.ino())) {
        return;
      }
    }
    let _ = std::fs::remove_file(path);
  }
}

fn is_a_directory() -> io::Error {
  #[cfg(unix)]
  {
    io::Error::from_raw_os_error(libc::EISDIR)
  }
  #[cfg(not(unix))]
  {
    io::Error::new(
      io::ErrorKind::IsADirectory,
      "illegal operation on a directory",
    )
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  fn rw() -> OpenOptions {
    OpenOptions {
      mode: Some(Mode::ReadWrite),
      ..OpenOptions::default()
    }
  }

  /// The file's bytes, or `None` if it does not exist.
  fn state(path: &std::path::Path) -> Option<Vec<u8>> {
    std::fs::read(path).ok()
  }

  #[test]
  fn planned_lengths() {
    let create_rw = OpenOptions {
      truncate: true,
      create: true,
      size: Some(100),
      ..rw()
    };
    assert_eq!(planned_length(&create_rw, 150, false), 100);
    let or_create = OpenOptions {
      create: true,
      default_size: Some(10),
      ..rw()
    };
    assert_eq!(planned_length(&or_create, 0, true), 10);
    assert_eq!(planned_length(&or_create, 50, false), 50);
    let grow = OpenOptions {
      size: Some(1000),
      ..rw()
    };
    assert_eq!(planned_length(&grow, 150, false), 1000);
    assert_eq!(planned_length(&grow, 5000, false), 5000);
  }

  #[test]
  fn rejected_opens_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let existing = dir.path().join("existing");
    let missing = dir.path().join("missing");
    let cases: Vec<(&std::path::Path, OpenOptions)> = vec![
      // createRw(p, 100, { offset: 200 }) on a 150-byte file.
      (
        &existing,
        OpenOptions {
          create: true,
          truncate: true,
          size: Some(100),
          offset: Some(200),
          ..rw()
        },
      ),
      // openRw(p, { size: 1000, length: 5000 }).
      (
        &existing,
        OpenOptions {
          size: Some(1000),
          length: Some(5000),
          ..rw()
        },
      ),
      // openRw(missing, { create: true, size: 10, offset: 11 }).
      (
        &missing,
        OpenOptions {
          create: true,
          size: Some(10),
          offset: Some(11),
          ..rw()
        },
      ),
      // openOrCreate(missing, 10, { length: 11 }).
      (
        &missing,
        OpenOptions {
          create: true,
          default_size: Some(10),
          length: Some(11),
          ..rw()
        },
      ),
      // A size with readOnly.
      (
        &existing,
        OpenOptions {
          size: Some(1000),
          ..OpenOptions::default()
        },
      ),
    ];
    for (i, (path, options)) in cases.iter().enumerate() {
      std::fs::write(&existing, [7u8; 150]).unwrap();
      let before = state(path);
      let result = MappedFile::open(path.to_str().unwrap(), options);
      assert!(result.is_err(), "case {i} was accepted");
      assert_eq!(state(path), before, "case {i} changed the file");
    }
  }

  #[test]
  fn a_window_past_the_new_size_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new");
    let options = OpenOptions {
      create: true,
      size: Some(4096),
      offset: Some(4097),
      ..rw()
    };
    assert!(MappedFile::open(path.to_str().unwrap(), &options).is_err());
    assert!(!path.exists());
    let accepted = OpenOptions {
      offset: Some(4096),
      ..options
    };
    let mapped = MappedFile::open(path.to_str().unwrap(), &accepted).unwrap();
    assert_eq!(mapped.len().unwrap(), 0);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 4096);
  }

  #[cfg(unix)]
  #[test]
  fn a_fifo_is_refused_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fifo");
    let c_path = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo reads the NUL-terminated path and nothing else.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
    for mode in [Mode::ReadOnly, Mode::ReadWrite, Mode::CopyOnWrite] {
      let options = OpenOptions {
        mode: Some(mode),
        ..OpenOptions::default()
      };
      let err = MappedFile::open(path.to_str().unwrap(), &options).unwrap_err();
      assert!(matches!(err, MmapError::NotRegularFile { .. }), "{err}");
      assert!(err.to_string().contains("FIFO"), "{err}");
    }
  }
}
