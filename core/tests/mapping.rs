//! The core's behaviour, checked against `std::fs` reading the same files.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use mmapkit_core::{Advice, MappedFile, MmapError, Mode, OpenOptions};

fn temp_file(dir: &tempfile::TempDir, name: &str, contents: &[u8]) -> PathBuf {
  let path = dir.path().join(name);
  fs::write(&path, contents).unwrap();
  path
}

fn open(path: &Path, mode: Mode) -> MappedFile {
  let options = OpenOptions {
    mode: Some(mode),
    ..OpenOptions::default()
  };
  MappedFile::open(path.to_str().unwrap(), &options).unwrap()
}

fn pattern(len: usize) -> Vec<u8> {
  (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

#[test]
fn every_mode_reads_what_fs_reads() {
  let dir = tempfile::tempdir().unwrap();
  let data = pattern(10_000);
  let path = temp_file(&dir, "a.bin", &data);
  for mode in [Mode::ReadOnly, Mode::ReadWrite, Mode::CopyOnWrite] {
    let file = open(&path, mode);
    assert_eq!(file.len().unwrap(), data.len());
    assert_eq!(file.mode(), mode);
    let mut buf = vec![0u8; 777];
    file.read_into(4321, &mut buf).unwrap();
    assert_eq!(buf, &data[4321..4321 + 777]);
    assert_eq!(file.read(0, data.len() as u64).unwrap(), data);
  }
}

#[test]
fn read_write_writes_reach_the_file_after_flush() {
  let dir = tempfile::tempdir().unwrap();
  let path = temp_file(&dir, "rw.bin", &[0u8; 8192]);
  let file = open(&path, Mode::ReadWrite);
  file.write(4095, b"straddles a page").unwrap();
  assert_eq!(file.pending_bytes(), 16);
  file.flush().unwrap();
  assert_eq!(file.pending_bytes(), 0);
  let on_disk = fs::read(&path).unwrap();
  assert_eq!(&on_disk[4095..4111], b"straddles a page");
  file.write(10, b"xy").unwrap();
  file.flush_range(9, 3).unwrap();
  assert_eq!(&fs::read(&path).unwrap()[10..12], b"xy");
}

#[test]
fn read_only_refuses_writes_and_view_writes_stay_private() {
  let dir = tempfile::tempdir().unwrap();
  let path = temp_file(&dir, "ro.bin", b"original");
  let file = open(&path, Mode::ReadOnly);
  assert!(matches!(
    file.write(0, b"X"),
    Err(MmapError::ReadOnly { .. })
  ));
  let view = file.view(0, 8).unwrap();
  // A JS write into a readOnly view: must neither fault nor reach the file.
  // SAFETY: the view is inside the live mapping, which is private and writable.
  unsafe { *view.ptr = b'O' };
  file.flush().unwrap();
  assert_eq!(fs::read(&path).unwrap(), b"original");
}

#[test]
fn copy_on_write_changes_stay_in_the_process() {
  let dir = tempfile::tempdir().unwrap();
  let path = temp_file(&dir, "cow.bin", b"original");
  let file = open(&path, Mode::CopyOnWrite);
  file.write(0, b"CHANGED!").unwrap();
  file.flush().unwrap();
  assert_eq!(file.read(0, 8).unwrap(), b"CHANGED!");
  assert_eq!(fs::read(&path).unwrap(), b"original");
}

#[test]
fn windows_map_any_offset_and_length() {
  let dir = tempfile::tempdir().unwrap();
  let data = pattern(20_000);
  let path = temp_file(&dir, "w.bin", &data);
  let options = OpenOptions {
    offset: Some(5_001),
    length: Some(9_000),
    ..OpenOptions::default()
  };
  let file = MappedFile::open(path.to_str().unwrap(), &options).unwrap();
  assert_eq!(file.offset(), 5_001);
  assert_eq!(file.len().unwrap(), 9_000);
  assert_eq!(file.read(0, 9_000).unwrap(), &data[5_001..14_001]);
  assert!(matches!(
    file.read(8_999, 2),
    Err(MmapError::OutOfRange { .. })
  ));
  assert!(matches!(
    file.resize(100),
    Err(MmapError::InvalidMode { .. })
  ));

  let past_end = OpenOptions {
    offset: Some(20_001),
    ..OpenOptions::default()
  };
  let err = MappedFile::open(path.to_str().unwrap(), &past_end).unwrap_err();
  assert!(matches!(err, MmapError::OutOfRange { .. }));
  let too_long = OpenOptions {
    offset: Some(10),
    length: Some(19_991),
    ..OpenOptions::default()
  };
  let err = MappedFile::open(path.to_str().unwrap(), &too_long).unwrap_err();
  assert!(
    matches!(err, MmapError::OutOfRange { ref name, max: 19_990, received: 19_991 } if name == "options.length"),
    "{err}"
  );
}

#[test]
fn out_of_range_access_changes_nothing() {
  let dir = tempfile::tempdir().unwrap();
  let path = temp_file(&dir, "r.bin", &[7u8; 100]);
  let file = open(&path, Mode::ReadWrite);
  let mut buf = [0u8; 16];
  for (offset, len) in [(90u64, 16usize), (101, 0), (u64::MAX, 1)] {
    let err = file.read_into(offset, &mut buf[..len]).unwrap_err();
    assert!(matches!(err, MmapError::OutOfRange { .. }));
  }
  assert_eq!(buf, [0u8; 16]);
  assert!(file.write(95, &[1u8; 16]).is_err());
  assert!(file.write(u64::MAX - 3, &[1u8; 16]).is_err());
  file.flush().unwrap();
  assert_eq!(fs::read(&path).unwrap(), vec![7u8; 100]);
}

#[test]
fn empty_files_map_to_empty_mappings() {
  let dir = tempfile::tempdir().unwrap();
  let path = temp_file(&dir, "empty.bin", b"");
  for mode in [Mode::ReadOnly, Mode::ReadWrite, Mode::CopyOnWrite] {
    let file = open(&path, mode);
    assert_eq!(file.len().unwrap(), 0);
    assert!(file.is_empty().unwrap());
    file.read_into(0, &mut []).unwrap();
    assert_eq!(file.read(0, 0).unwrap(), Vec::<u8>::new());
    assert_eq!(file.view(0, 0).unwrap().len, 0);
    file.flush().unwrap();
    assert!(file.read(0, 1).is_err());
  }
}

#[test]
fn os_errors_carry_code_syscall_and_path() {
  let dir = tempfile::tempdir().unwrap();
  let missing = dir.path().join("missing.bin");
  let err = MappedFile::open(missing.to_str().unwrap(), &OpenOptions::default()).unwrap_err();
  assert!(
    matches!(err, MmapError::Io { ref source, .. } if source.kind() == std::io::ErrorKind::NotFound)
  );
  match &err {
    MmapError::Io { syscall, path, .. } => {
      assert_eq!(*syscall, "open");
      assert_eq!(path.as_deref(), missing.to_str());
    }
    other => panic!("expected an OS error, got {other:?}"),
  }
  let err = MappedFile::open(dir.path().to_str().unwrap(), &OpenOptions::default()).unwrap_err();
  assert!(
    matches!(err, MmapError::Io { ref source, .. } if source.kind() == std::io::ErrorKind::IsADirectory)
  );
}

#[test]
fn create_size_truncate_and_default_size() {
  let dir = tempfile::tempdir().unwrap();
  let path = dir.path().join("new.bin");
  let path_str = path.to_str().unwrap();
  let create = OpenOptions {
    mode: Some(Mode::ReadWrite),
    create: true,
    size: Some(4096),
    ..OpenOptions::default()
  };
  let file = MappedFile::open(path_str, &create).unwrap();
  assert_eq!(file.len().unwrap(), 4096);
  file.write(0, b"keep").unwrap();
  file.flush().unwrap();
  file.close();

  // openOrCreate on an existing file keeps its length and contents.
  let or_create = OpenOptions {
    mode: Some(Mode::ReadWrite),
    create: true,
    default_size: Some(100),
    ..OpenOptions::default()
  };
  let file = MappedFile::open(path_str, &or_create).unwrap();
  assert_eq!(file.len().unwrap(), 4096);
  assert_eq!(file.read(0, 4).unwrap(), b"keep");
  file.close();

  // createRw truncates.
  let truncate = OpenOptions {
    truncate: true,
    size: Some(10),
    ..create.clone()
  };
  let file = MappedFile::open(path_str, &truncate).unwrap();
  assert_eq!(file.read(0, 10).unwrap(), vec![0u8; 10]);
  file.close();

  let fresh = dir.path().join("fresh.bin");
  let file = MappedFile::open(fresh.to_str().unwrap(), &or_create).unwrap();
  assert_eq!(file.len().unwrap(), 100);
  assert_eq!(fs::metadata(&fresh).unwrap().len(), 100);

  // create is readWrite only.
  let bad = OpenOptions {
    create: true,
    ..OpenOptions::default()
  };
  let err = MappedFile::open(path_str, &bad).unwrap_err();
  assert!(matches!(err, MmapError::InvalidArgValue { .. }));
}

#[test]
fn resize_grows_and_shrinks_the_file() {
  let dir = tempfile::tempdir().unwrap();
  let path = temp_file(&dir, "grow.bin", b"0123456789");
  let file = open(&path, Mode::ReadWrite);
  file.resize(100_000).unwrap();
  assert_eq!(file.len().unwrap(), 100_000);
  assert_eq!(fs::metadata(&path).unwrap().len(), 100_000);
  assert_eq!(file.read(0, 10).unwrap(), b"0123456789");
  file.write(99_990, b"tail").unwrap();
  file.resize(5).unwrap();
  assert_eq!(file.len().unwrap(), 5);
  assert_eq!(fs::read(&path).unwrap(), b"01234");
  file.resize(0).unwrap();
  assert!(file.is_empty().unwrap());

  let read_only = open(&path, Mode::ReadOnly);
  assert!(matches!(
    read_only.resize(10).unwrap_err(),
    MmapError::InvalidMode { .. }
  ));
  let anon = MappedFile::anonymous(10).unwrap();
  assert!(matches!(
    anon.resize(20).unwrap_err(),
    MmapError::InvalidMode { .. }
  ));
}

#[test]
fn closed_mappings_refuse_everything_and_close_is_idempotent() {
  let dir = tempfile::tempdir().unwrap();
  let path = temp_file(&dir, "c.bin", b"data");
  let file = open(&path, Mode::ReadWrite);
  file.close();
  file.close();
  assert!(file.is_closed());
  assert!(matches!(file.len(), Err(MmapError::Closed)));
  assert!(matches!(file.read(0, 1), Err(MmapError::Closed)));
  assert!(matches!(file.write(0, b"x"), Err(MmapError::Closed)));
  assert!(matches!(file.flush(), Err(MmapError::Closed)));
  assert!(matches!(file.view(0, 1), Err(MmapError::Closed)));
  assert!(matches!(file.resize(1), Err(MmapError::Closed)));
  assert!(matches!(
    file.advise(Advice::Normal, 0, 0),
    Err(MmapError::Closed)
  ));
}

#[test]
fn anonymous_memory_is_zeroed_and_writable() {
  let file = MappedFile::anonymous(1 << 20).unwrap();
  assert_eq!(file.path(), None);
  assert_eq!(file.read(12345, 3).unwrap(), [0, 0, 0]);
  file.write(12345, b"abc").unwrap();
  assert_eq!(file.read(12345, 3).unwrap(), b"abc");
  file.flush().unwrap();
  assert!(MappedFile::anonymous(0).unwrap().is_empty().unwrap());
}

#[test]
fn advice_accepts_unaligned_ranges() {
  let dir = tempfile::tempdir().unwrap();
  let path = temp_file(&dir, "adv.bin", &pattern(50_000));
  let file = open(&path, Mode::ReadOnly);
  for advice in [
    Advice::Normal,
    Advice::Random,
    Advice::Sequential,
    Advice::WillNeed,
    Advice::DontNeed,
  ] {
    file.advise(advice, 100, 1000).unwrap();
    file.advise(advice, 0, 50_000).unwrap();
  }
  assert_eq!(file.read(0, 50_000).unwrap(), pattern(50_000));
}

#[test]
fn close_waits_for_readers_on_other_threads() {
  let dir = tempfile::tempdir().unwrap();
  let path = temp_file(&dir, "t.bin", &pattern(1 << 20));
  let file = Arc::new(open(&path, Mode::ReadOnly));
  let readers: Vec<_> = (0..4)
    .map(|_| {
      let file = Arc::clone(&file);
      std::thread::spawn(move || {
        let mut buf = vec![0u8; 1 << 16];
        let mut reads = 0u32;
        loop {
          match file.read_into(12_345, &mut buf) {
            Ok(()) => reads += 1,
            Err(MmapError::Closed) => return reads,
            Err(other) => panic!("unexpected {other:?}"),
          }
        }
      })
    })
    .collect();
  std::thread::sleep(std::time::Duration::from_millis(20));
  file.close();
  for reader in readers {
    reader.join().unwrap();
  }
}

#[test]
fn offsets_beyond_four_gib_work_on_a_sparse_file() {
  let dir = tempfile::tempdir().unwrap();
  let path = dir.path().join("sparse.bin");
  let file = fs::File::create(&path).unwrap();
  let len = 6u64 << 30;
  file.set_len(len).unwrap();
  drop(file);
  let mapped = open(&path, Mode::ReadWrite);
  assert_eq!(mapped.len().unwrap() as u64, len);
  let offset = (5u64 << 30) + 123;
  mapped.write(offset, b"far away").unwrap();
  let mut buf = [0u8; 8];
  mapped.read_into(offset, &mut buf).unwrap();
  assert_eq!(&buf, b"far away");
  assert!(mapped.read_into(len - 4, &mut buf).is_err());
}

#[test]
fn flush_policies_sync_when_they_say() {
  use mmapkit_core::FlushPolicy;
  let dir = tempfile::tempdir().unwrap();
  let path = temp_file(&dir, "p.bin", &[0u8; 8192]);
  let open_with = |policy| {
    let options = OpenOptions {
      mode: Some(Mode::ReadWrite),
      flush_policy: policy,
      ..OpenOptions::default()
    };
    MappedFile::open(path.to_str().unwrap(), &options).unwrap()
  };
  let always = open_with(FlushPolicy::Always);
  always.write(0, b"abc").unwrap();
  assert_eq!(
    always.pending_bytes(),
    0,
    "Always syncs each write before returning: nothing is pending"
  );
  let bytes = open_with(FlushPolicy::EveryBytes(10));
  bytes.write(0, b"12345").unwrap();
  assert_eq!(bytes.pending_bytes(), 5);
  bytes.write(5, b"67890").unwrap();
  assert_eq!(bytes.pending_bytes(), 0);
  let writes = open_with(FlushPolicy::EveryWrites(3));
  writes.write(0, b"a").unwrap();
  writes.write(1, b"b").unwrap();
  assert_eq!(writes.pending_bytes(), 2);
  writes.write(2, b"c").unwrap();
  assert_eq!(writes.pending_bytes(), 0);
  let timed = open_with(FlushPolicy::EveryMillis(10));
  timed.write(0, b"timed").unwrap();
  let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
  while timed.pending_bytes() != 0 && std::time::Instant::now() < deadline {
    std::thread::sleep(std::time::Duration::from_millis(5));
  }
  assert_eq!(timed.pending_bytes(), 0, "the background flusher ran");
  timed.close();
  assert_eq!(timed.flush_policy(), FlushPolicy::EveryMillis(10));
}

#[test]
fn locks_between_two_mappings_of_one_file() {
  use mmapkit_core::LockKind;
  let dir = tempfile::tempdir().unwrap();
  let path = temp_file(&dir, "l.bin", b"lock me");
  let a = open(&path, Mode::ReadWrite);
  let b = open(&path, Mode::ReadOnly);
  a.lock(LockKind::Exclusive, None).unwrap();
  assert!(!b.try_lock(LockKind::Shared).unwrap());
  let abort = std::sync::atomic::AtomicBool::new(true);
  assert!(matches!(
    b.lock(LockKind::Shared, Some(&abort)),
    Err(MmapError::Aborted)
  ));
  a.close();
  assert!(
    b.try_lock(LockKind::Shared).unwrap(),
    "close released the lock"
  );
  b.unlock().unwrap();
  let locked = OpenOptions {
    lock: Some(LockKind::Exclusive),
    ..OpenOptions::default()
  };
  let c = MappedFile::open(path.to_str().unwrap(), &locked).unwrap();
  assert!(
    !b.try_lock(LockKind::Shared).unwrap(),
    "the lock option holds the lock"
  );
  drop(c);
  assert!(b.try_lock(LockKind::Exclusive).unwrap());
  let anon = MappedFile::anonymous(8).unwrap();
  assert!(matches!(
    anon.try_lock(LockKind::Shared).unwrap_err(),
    MmapError::InvalidMode { .. }
  ));
}

#[test]
fn atomics_are_aligned_mode_checked_and_work_across_threads() {
  let dir = tempfile::tempdir().unwrap();
  let path = temp_file(&dir, "a.bin", &[0u8; 64]);
  let file = Arc::new(open(&path, Mode::ReadWrite));
  let threads: Vec<_> = (0..4)
    .map(|_| {
      let file = Arc::clone(&file);
      std::thread::spawn(move || {
        for _ in 0..10_000 {
          file.atomic_add_u32(8, 1).unwrap();
          file.atomic_add_u64(16, 2).unwrap();
        }
      })
    })
    .collect();
  for thread in threads {
    thread.join().unwrap();
  }
  assert_eq!(file.atomic_load_u32(8).unwrap(), 40_000);
  assert_eq!(file.atomic_load_u64(16).unwrap(), 80_000);
  assert_eq!(
    file.atomic_compare_exchange_u32(8, 40_000, 7).unwrap(),
    40_000
  );
  assert_eq!(file.atomic_compare_exchange_u32(8, 40_000, 9).unwrap(), 7);
  file.atomic_store_u64(24, u64::MAX).unwrap();
  assert_eq!(file.atomic_add_u64(24, 1).unwrap(), u64::MAX);
  assert_eq!(file.atomic_load_u64(24).unwrap(), 0);
  assert!(matches!(
    file.atomic_load_u32(2).unwrap_err(),
    MmapError::Misaligned { .. }
  ));
  assert!(matches!(
    file.atomic_load_u64(12).unwrap_err(),
    MmapError::Misaligned { .. }
  ));
  assert!(matches!(
    file.atomic_load_u64(60).unwrap_err(),
    MmapError::OutOfRange { .. }
  ));
  let read_only = open(&path, Mode::ReadOnly);
  assert_eq!(
    read_only.atomic_load_u32(8).unwrap(),
    7,
    "a readOnly mapping sees the shared value"
  );
  assert!(matches!(
    read_only.atomic_store_u32(8, 1).unwrap_err(),
    MmapError::ReadOnly { .. }
  ));
  assert!(matches!(
    read_only.atomic_add_u32(8, 1).unwrap_err(),
    MmapError::ReadOnly { .. }
  ));
}

#[test]
fn a_file_truncated_underneath_is_an_error_for_every_native_access() {
  let dir = tempfile::tempdir().unwrap();
  let path = temp_file(&dir, "t.bin", &pattern(5 * 4096));
  let file = open(&path, Mode::ReadWrite);
  fs::OpenOptions::new()
    .write(true)
    .open(&path)
    .unwrap()
    .set_len(0)
    .unwrap();
  let mut buf = [0u8; 16];
  let truncated =
    |r: Result<(), MmapError>| assert!(matches!(r.unwrap_err(), MmapError::Truncated));
  truncated(file.read_into(4096, &mut buf));
  truncated(file.read(0, 10).map(|_| ()));
  truncated(file.write(8192, b"x"));
  truncated(file.touch_pages(0, 5 * 4096));
  truncated(file.atomic_add_u32(4096, 1).map(|_| ()));
  let control = mmapkit_core::scan::Control::default();
  truncated(file.with_bytes(0, 5 * 4096, |b| {
    mmapkit_core::scan::count_byte(b, b'\n', 2, &control).map(|_| ())
  }));
  truncated(file.with_bytes(0, 5 * 4096, |b| {
    mmapkit_core::scan::count(b, b"ab", 2, &control).map(|_| ())
  }));
}
