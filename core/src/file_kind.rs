//! Which files can be mapped: regular files whose size is their content.
//!
//! A FIFO, a socket or a device has no bytes to map (a FIFO opened for reading would even block
//! until a writer comes), and the files of the kernel's pseudo file systems (`/proc`, `/sys`, ...)
//! are regular files whose `st_size` is 0 (or a made-up number) while reading them yields
//! generated text: a mapping of them is empty or fails with `SIGBUS`. The same holds for files of
//! other file systems that report size 0 yet yield bytes when read (lxcfs's FUSE `/proc` files in
//! containers): an empty regular file is probed with a one-byte `pread`. All of these are refused
//! with [`MmapError::NotRegularFile`]. The check runs on the open descriptor (`fstat`, `fstatfs`), after
//! a non-blocking open, so it cannot race with a rename of the path.

use std::fs::{File, Metadata};

use crate::error::{MmapError, Result};

/// Refuses anything but a regular file on a real file system. Directories are left to the caller
/// (they are `EISDIR`, as Node reports them).
pub(crate) fn check_mappable(file: &File, metadata: &Metadata, path: &str) -> Result<()> {
  let refuse = |kind: &str| MmapError::NotRegularFile {
    path: path.to_owned(),
    kind: kind.to_owned(),
  };
  if !metadata.is_file() {
    return Err(refuse(special_kind(metadata)));
  }
  if let Some(fs) = pseudo_file_system(file) {
    return Err(refuse(&format!(
      "a file of the {fs} pseudo file system (generated when read, its size is not its length)"
    )));
  }
  if metadata.len() == 0 && empty_but_yields_bytes(file) {
    return Err(refuse(
      "a generated file: its size is 0 but reading it yields bytes (a FUSE or network pseudo \
       file, such as lxcfs's /proc in a container)",
    ));
  }
  Ok(())
}

/// Whether a file that `fstat` calls empty yields bytes when read: the pseudo files of file
/// systems not in [`PSEUDO_FILE_SYSTEMS`] (lxcfs mounts FUSE files over `/proc/cpuinfo` in
/// containers). One `pread` of one byte at offset 0; a real empty file answers 0 at once. A file
/// that another process is just starting to write is told apart by a second `fstat`: its size
/// is no longer 0.
fn empty_but_yields_bytes(file: &File) -> bool {
  #[cfg(unix)]
  {
    use std::os::unix::fs::FileExt;
    let mut byte = [0u8; 1];
    matches!(file.read_at(&mut byte, 0), Ok(n) if n > 0)
      && file.metadata().is_ok_and(|m| m.len() == 0)
  }
  #[cfg(not(unix))]
  {
    let _ = file;
    false
  }
}

/// What a non-regular, non-directory file is, in words.
pub(crate) fn special_kind(metadata: &Metadata) -> &'static str {
  #[cfg(unix)]
  {
    use std::os::unix::fs::FileTypeExt;
    let file_type = metadata.file_type();
    if file_type.is_fifo() {
      return "a FIFO (named pipe)";
    }
    if file_type.is_socket() {
      return "a socket";
    }
    if file_type.is_char_device() {
      return "a character device";
    }
    if file_type.is_block_device() {
      return "a block device";
    }
  }
  let _ = metadata;
  "a special file"
}

/// The pseudo file systems whose regular files do not hold their contents: Linux's `statfs` magic
/// numbers (`linux/magic.h`) and their names.
#[cfg(any(target_os = "linux", target_os = "android"))]
const PSEUDO_FILE_SYSTEMS: [(u32, &str); 8] = [
  (0x0000_9fa0, "proc"),
  (0x6265_6572, "sysfs"),
  (0x6462_6720, "debugfs"),
  (0x7472_6163, "tracefs"),
  (0x7363_6673, "securityfs"),
  (0x6265_6570, "configfs"),
  (0x0027_e0eb, "cgroup"),
  (0x6367_7270, "cgroup2"),
];

/// The name of the pseudo file system `file` lives on, if it is one of [`PSEUDO_FILE_SYSTEMS`].
/// Elsewhere than Linux nothing is detected (FreeBSD's and macOS's procfs-like files are not
/// mountable by default); a failing `fstatfs` is not an error either (the open succeeded).
fn pseudo_file_system(file: &File) -> Option<&'static str> {
  #[cfg(any(target_os = "linux", target_os = "android"))]
  {
    use std::os::unix::io::AsRawFd;
    let mut stat = std::mem::MaybeUninit::<libc::statfs>::uninit();
    // SAFETY: `fstatfs` writes a `statfs` into the buffer we pass and reads nothing else; the
    // descriptor is open for the duration of the call.
    if unsafe { libc::fstatfs(file.as_raw_fd(), stat.as_mut_ptr()) } != 0 {
      return None;
    }
    // SAFETY: `fstatfs` returned 0, so it filled the whole struct.
    let stat = unsafe { stat.assume_init() };
    // f_type's C type differs between targets; the magic numbers all fit in 32 bits.
    let magic = stat.f_type as u32;
    PSEUDO_FILE_SYSTEMS
      .iter()
      .find(|(m, _)| *m == magic)
      .map(|(_, name)| *name)
  }
  #[cfg(not(any(target_os = "linux", target_os = "android")))]
  {
    let _ = file;
    None
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  fn check(path: &str) -> Result<()> {
    let file = File::open(path).unwrap();
    let metadata = file.metadata().unwrap();
    check_mappable(&file, &metadata, path)
  }

  #[test]
  fn regular_files_pass() {
    let file = tempfile::NamedTempFile::new().unwrap();
    check(file.path().to_str().unwrap()).unwrap();
    assert!(!empty_but_yields_bytes(file.as_file()));
  }

  #[cfg(target_os = "linux")]
  #[test]
  fn an_empty_file_that_yields_bytes_is_told_apart() {
    // /proc/cpuinfo is caught by its file system first; here it stands for any such file.
    let cpuinfo = File::open("/proc/cpuinfo").unwrap();
    assert_eq!(cpuinfo.metadata().unwrap().len(), 0);
    assert!(empty_but_yields_bytes(&cpuinfo));
  }

  #[cfg(target_os = "linux")]
  #[test]
  fn proc_sys_and_devices_are_refused() {
    for (path, kind) in [
      ("/proc/cpuinfo", "proc pseudo file system"),
      ("/proc/self/status", "proc pseudo file system"),
      ("/sys/kernel/mm/transparent_hugepage/enabled", "sysfs"),
      ("/dev/zero", "a character device"),
    ] {
      if std::path::Path::new(path).exists() {
        let err = check(path).unwrap_err();
        assert!(matches!(err, MmapError::NotRegularFile { .. }), "{err}");
        assert!(err.to_string().contains(kind), "{path}: {err}");
        assert!(err.to_string().contains(path), "{path}: {err}");
      }
    }
  }
}
