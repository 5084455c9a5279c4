//! A rejected write writes nothing: `write` whose source is a view of another mapping whose file
//! was truncated fails with `ERR_MMAP_TRUNCATED` before touching the destination.

use std::fs;

use mmapkit_core::{MappedFile, MmapError, Mode, OpenOptions};

fn open(path: &std::path::Path, mode: Mode) -> MappedFile {
  let options = OpenOptions {
    mode: Some(mode),
    ..OpenOptions::default()
  };
  MappedFile::open(path.to_str().unwrap(), &options).unwrap()
}

#[test]
fn a_source_in_a_truncated_mapping_writes_nothing() {
  let page = mmapkit_core::page_size();
  let dir = tempfile::tempdir().unwrap();
  let source_path = dir.path().join("source.bin");
  let target_path = dir.path().join("target.bin");
  fs::write(&source_path, vec![0xAB; 4 * page]).unwrap();
  fs::write(&target_path, vec![0x11; 4 * page]).unwrap();
  let source = open(&source_path, Mode::ReadWrite);
  let target = open(&target_path, Mode::ReadWrite);
  // Another process truncates the source's file to one page: its pages 2-4 fault when read.
  fs::OpenOptions::new()
    .write(true)
    .open(&source_path)
    .unwrap()
    .set_len(page as u64)
    .unwrap();
  let view = source.view(0, 4 * page as u64).unwrap();
  // SAFETY: the view covers the live source mapping, which outlives the slice; it is only read,
  // by `write`, whose reads are guarded against the truncation.
  let bytes = unsafe { std::slice::from_raw_parts(view.ptr, view.len) };
  let err = target.write(0, bytes).unwrap_err();
  assert!(matches!(err, MmapError::Truncated), "{err}");
  assert_eq!(target.pending_bytes(), 0, "a rejected write is not counted");
  target.flush().unwrap();
  assert!(
    fs::read(&target_path).unwrap() == vec![0x11; 4 * page],
    "the first page of the source was written before the fault"
  );
  // The part of the source that still exists can be written.
  target.write(0, &bytes[..page]).unwrap();
  target.flush().unwrap();
  assert!(fs::read(&target_path).unwrap()[..page] == vec![0xAB; page]);
}

#[test]
fn a_source_in_the_same_mapping_still_moves_like_memmove() {
  let dir = tempfile::tempdir().unwrap();
  let path = dir.path().join("same.bin");
  fs::write(&path, b"0123456789").unwrap();
  let file = open(&path, Mode::ReadWrite);
  let view = file.view(0, 8).unwrap();
  // SAFETY: the view covers the live mapping; `write` copies it privately before writing.
  let bytes = unsafe { std::slice::from_raw_parts(view.ptr, view.len) };
  file.write(2, bytes).unwrap();
  assert_eq!(file.read(0, 10).unwrap(), b"0101234567");
}
