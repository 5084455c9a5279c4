//! Which files can be mapped: regular files whose size is their content.
//!
//! A FIFO, a socket or a device has no bytes to map (a FIFO opened for reading would even block
//! until a writer comes), and the files of the kernel's pseudo file systems (`/proc`, `/sys`, ...)
//! are regular files whose `st_size` is 0 (or a made-up number) while reading them yields
//! generated text: a mapping of them is empty or fails with `SIGBUS`. These are told apart by the
//! file system's type (`fstatfs`), never by racing a probe against writers. The same holds for
//! files of FUSE and other file systems not known to store their files' bytes, which may report
//! size 0 yet yield bytes when read (lxcfs's FUSE `/proc` files in containers): there, and only
//! there, an empty regular file is probed with a one-byte `pread`. A regular file on a known file
//! system (ext4, xfs, btrfs, tmpfs, overlayfs, NFS, ...) is never probed, so one that another
//! process truncates and grows while it is opened is never mistaken for a generated file. All
//! of these are refused with [`MmapError::NotRegularFile`]. The check runs on the open descriptor
//! (`fstat`, `fstatfs`), after a non-blocking open, so it cannot race with a rename of the path.

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
  let magic = file_system_magic(file);
  if let Some(fs) = magic.and_then(pseudo_file_system) {
    return Err(refuse(&format!(
      "a file of the {fs} pseudo file system (generated when read, its size is not its length)"
    )));
  }
  if metadata.len() == 0 && !magic.is_some_and(stores_file_bytes) && empty_but_yields_bytes(file) {
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
/// is no longer 0. Only asked on file systems not in [`REGULAR_FILE_SYSTEMS`]: the probe races
/// with a writer that truncates the file again between the read and the second `fstat`.
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

/// The file systems known to store their regular files' bytes (size is content): Linux's
/// `statfs` magic numbers (`linux/magic.h`). Their empty files are never probed.
#[cfg(any(target_os = "linux", target_os = "android"))]
const REGULAR_FILE_SYSTEMS: [u32; 24] = [
  0x0000_ef53, // ext2, ext3, ext4
  0x5846_5342, // xfs
  0x9123_683e, // btrfs
  0x0102_1994, // tmpfs
  0x8584_58f6, // ramfs
  0x9584_58f6, // hugetlbfs
  0x794c_7630, // overlayfs
  0xf2f5_2010, // f2fs
  0x2fc1_2fc1, // zfs
  0xca45_1a4e, // bcachefs
  0x3153_464a, // jfs
  0x5265_4973, // reiserfs
  0x0000_6969, // nfs
  0xfe53_4d42, // smb2
  0xff53_4d42, // cifs
  0x00c3_6400, // ceph
  0x0000_f15f, // ecryptfs
  0x7371_7368, // squashfs
  0x0000_9660, // iso9660
  0x2011_bab0, // exfat
  0x0000_4d44, // msdos, vfat
  0x5346_544e, // ntfs
  0x7366_746e, // ntfs3
  0x0000_3434, // nilfs2
];

/// Whether the file system with `statfs` magic `magic` stores its files' bytes.
fn stores_file_bytes(magic: u32) -> bool {
  #[cfg(any(target_os = "linux", target_os = "android"))]
  {
    REGULAR_FILE_SYSTEMS.contains(&magic)
  }
  #[cfg(not(any(target_os = "linux", target_os = "android")))]
  {
    let _ = magic;
    false
  }
}

/// The name of the pseudo file system with `statfs` magic `magic`, if it is one of
/// [`PSEUDO_FILE_SYSTEMS`].
fn pseudo_file_system(magic: u32) -> Option<&'static str> {
  #[cfg(any(target_os = "linux", target_os = "android"))]
  {
    PSEUDO_FILE_SYSTEMS
      .iter()
      .find(|(m, _)| *m == magic)
      .map(|(_, name)| *name)
  }
  #[cfg(not(any(target_os = "linux", target_os = "android")))]
  {
    let _ = magic;
    None
  }
}

/// The `statfs` magic number of the file system `file` lives on. Elsewhere than Linux nothing is
/// known (FreeBSD's and macOS's procfs-like files are not mountable by default, and an empty file
/// there is probed); a failing `fstatfs` is not an error either (the open succeeded).
fn file_system_magic(file: &File) -> Option<u32> {
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
    Some(stat.f_type as u32)
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

  #[cfg(target_os = "linux")]
  #[test]
  fn known_file_systems_are_not_probed_and_pseudo_ones_are_named() {
    let file = tempfile::tempfile().unwrap();
    if let Some(magic) = file_system_magic(&file) {
      // The temp directory is on a real file system (ext4, tmpfs, overlayfs, ...) in CI.
      assert!(pseudo_file_system(magic).is_none());
    }
    let proc_magic = file_system_magic(&File::open("/proc/self/status").unwrap()).unwrap();
    assert_eq!(pseudo_file_system(proc_magic), Some("proc"));
    assert!(!stores_file_bytes(proc_magic));
    assert!(stores_file_bytes(0x0102_1994) && stores_file_bytes(0x0000_ef53));
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
