//! `read_into_window` / `write_window`: offsets relative to a window of the mapping, checked
//! against the window, and the window against the live mapping, in the order the binding promises.

use std::fs;

use mmapkit_core::mapping::Window;
use mmapkit_core::{FlushPolicy, MappedFile, MmapError, Mode, OpenOptions};

fn open(path: &std::path::Path, mode: Mode, flush_policy: FlushPolicy) -> MappedFile {
  let options = OpenOptions {
    mode: Some(mode),
    flush_policy,
    ..OpenOptions::default()
  };
  MappedFile::open(path.to_str().unwrap(), &options).unwrap()
}

#[test]
fn windows_address_their_own_bytes_and_refuse_the_rest() {
  let dir = tempfile::tempdir().unwrap();
  let path = dir.path().join("w.bin");
  let data: Vec<u8> = (0..8192u32).map(|i| (i % 251) as u8).collect();
  fs::write(&path, &data).unwrap();
  let file = open(&path, Mode::ReadWrite, FlushPolicy::Manual);
  let window = Window {
    base: 1000,
    len: Some(100),
  };

  let mut out = [0u8; 10];
  file.read_into_window(window, 90, &mut out).unwrap();
  assert_eq!(out, data[1090..1100]);
  file.write_window(window, 0, b"abc").unwrap();
  assert_eq!(file.read(1000, 3).unwrap(), b"abc");
  assert_eq!(file.pending_bytes(), 3);

  // Past the window (but inside the mapping): out of range, named as in the whole-file calls,
  // and nothing is read or written.
  let err = file.read_into_window(window, 91, &mut out).unwrap_err();
  assert!(
    matches!(err, MmapError::OutOfRange { ref name, max: 9, received: 10 } if name == "target.byteLength"),
    "{err}"
  );
  let err = file.write_window(window, 101, b"").unwrap_err();
  assert!(
    matches!(err, MmapError::OutOfRange { ref name, .. } if name == "offset"),
    "{err}"
  );
  let before = file.read(0, 8192).unwrap();
  assert!(file.write_window(window, 98, b"xyz").is_err());
  assert_eq!(file.read(0, 8192).unwrap(), before);
  assert_eq!(file.pending_bytes(), 3);

  // The whole window reads what the whole mapping reads there.
  assert_eq!(Window::WHOLE, Window { base: 0, len: None });
  let mut whole = vec![0u8; 8192];
  file.read_into_window(Window::WHOLE, 0, &mut whole).unwrap();
  assert_eq!(whole, before);

  // A window the mapping no longer covers is unusable, as a closed mapping is.
  let beyond = Window {
    base: 8000,
    len: Some(500),
  };
  assert!(matches!(
    file.read_into_window(beyond, 0, &mut out),
    Err(MmapError::Closed)
  ));
  let huge = Window {
    base: u64::MAX,
    len: Some(u64::MAX),
  };
  assert!(matches!(
    file.write_window(huge, 0, b"x"),
    Err(MmapError::Closed)
  ));
  file.close();
  assert!(matches!(
    file.read_into_window(window, 0, &mut out),
    Err(MmapError::Closed)
  ));
}

#[test]
fn closed_first_then_read_only_for_the_whole_mapping_and_after_the_range_for_a_window() {
  let dir = tempfile::tempdir().unwrap();
  let path = dir.path().join("ro.bin");
  fs::write(&path, [7u8; 4096]).unwrap();
  let file = open(&path, Mode::ReadOnly, FlushPolicy::Manual);
  let window = Window {
    base: 0,
    len: Some(16),
  };
  assert!(matches!(
    file.write_window(Window::WHOLE, 1 << 40, b"x"),
    Err(MmapError::ReadOnly { .. })
  ));
  assert!(matches!(
    file.write_window(window, 0, b"x"),
    Err(MmapError::ReadOnly { .. })
  ));
  assert!(matches!(
    file.write_window(window, 17, b"x"),
    Err(MmapError::OutOfRange { .. })
  ));
  file.close();
  assert!(matches!(
    file.write_window(Window::WHOLE, 0, b"x"),
    Err(MmapError::Closed)
  ));
  assert!(matches!(
    file.atomic_store_u32(0, 1),
    Err(MmapError::Closed)
  ));
  assert!(matches!(file.resize(1), Err(MmapError::Closed)));
  assert!(matches!(
    file.write_window(window, 0, b"x"),
    Err(MmapError::Closed)
  ));
  assert_eq!(fs::read(&path).unwrap(), vec![7u8; 4096]);
}

#[test]
fn every_writes_counts_window_writes_and_syncs_on_the_nth() {
  let dir = tempfile::tempdir().unwrap();
  let path = dir.path().join("n.bin");
  fs::write(&path, [0u8; 4096]).unwrap();
  let file = open(&path, Mode::ReadWrite, FlushPolicy::EveryWrites(3));
  let window = Window {
    base: 100,
    len: Some(100),
  };
  file.write_window(window, 0, b"a").unwrap();
  file.write(0, b"b").unwrap();
  assert_eq!(file.pending_bytes(), 2);
  file.write_window(window, 1, b"c").unwrap();
  // The third write synced the mapping and reset the counters.
  assert_eq!(file.pending_bytes(), 0);
  let on_disk = fs::read(&path).unwrap();
  assert_eq!((on_disk[0], on_disk[100], on_disk[101]), (b'b', b'a', b'c'));
}
