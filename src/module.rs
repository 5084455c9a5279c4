//! Module functions (`pageSize`, `createMmap`, `loadMmap`, `writeMmap`) and the load-time setup.

use std::sync::Arc;

use mmapkit_core::{MappedFile, Mode, OpenOptions};
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::arguments::{self, bytes_vec, index, BytesArg, ModeArg, PathArg};
use crate::file::MemoryMappedFile;
use crate::js::Js;
use crate::node_error::OrThrow;

/// The OS page size in bytes (the unit of `pages()`, `flushRange` alignment and `madvise`).
/// @returns 4096 on most systems, 16384 on Apple silicon.
/// @throws Never.
/// @example const pages = Math.ceil(file.length / pageSize())
#[napi]
pub fn page_size() -> u32 {
  mmapkit_core::page_size() as u32
}

/// `MemoryMappedFile.createRw(path, size)`: create or truncate the file to `size` bytes and map it
/// readWrite.
/// @param path A path (string, Buffer or `file:` URL).
/// @param size The file's new length in bytes.
/// @returns The open readWrite mapping.
/// @throws {RangeError} `ERR_OUT_OF_RANGE` for a negative or fractional `size`.
/// @throws {Error} The OS error (`ENOSPC`, `EACCES`, ...).
/// @example const file = createMmap('out.bin', 4096)
#[napi(catch_unwind, ts_args_type = "path: PathLike, size: number")]
pub fn create_mmap(env: Env, path: PathArg, size: f64) -> Result<MemoryMappedFile> {
  let path = match path {
    Either::A(text) => Either3::A(text),
    Either::B(bytes) => Either3::B(bytes),
  };
  MemoryMappedFile::create_rw(env, path, size, None)
}

/// `MemoryMappedFile.open(path, { mode })`.
/// @param path A path (string, Buffer or `file:` URL).
/// @param mode Default `'readOnly'`.
/// @returns The open mapping.
/// @throws {TypeError} `ERR_INVALID_ARG_VALUE` for an unknown `mode`.
/// @throws {Error} The OS error (`ENOENT`, `EACCES`, ...); `ERR_MMAP_NOT_REGULAR_FILE`.
/// @example const file = loadMmap('data.bin', 'readWrite')
#[napi(catch_unwind, ts_args_type = "path: PathLike, mode?: MmapMode")]
pub fn load_mmap(env: Env, path: PathArg, mode: Option<ModeArg>) -> Result<MemoryMappedFile> {
  let path = arguments::path(path);
  let options = OpenOptions {
    mode: Some(mode.map_or(Mode::ReadOnly, Mode::from)),
    ..OpenOptions::default()
  };
  let mapping = MappedFile::open(&path, &options).or_throw(&env)?;
  Ok(MemoryMappedFile::wrap(Arc::new(mapping)))
}

/// Maps `path` readWrite, writes `data` at `offset`, flushes durably and closes: one call for a
/// small in-place edit of an existing file (which it never grows).
/// @param path A path (string, Buffer or `file:` URL) of an existing file.
/// @param offset Byte offset in the file.
/// @param data Bytes, or a string written as UTF-8.
/// @throws {RangeError} `ERR_OUT_OF_RANGE` (writing nothing) if `data` would pass the end of the
/// file.
/// @throws {Error} The OS error (`ENOENT`, `EACCES`, ...).
/// @example writeMmap('data.bin', 10, 'patch')
#[napi(
  catch_unwind,
  ts_args_type = "path: PathLike, offset: number, data: Uint8Array | string"
)]
pub fn write_mmap(env: Env, path: PathArg, offset: f64, data: BytesArg) -> Result<()> {
  let path = arguments::path(path);
  let data = bytes_vec(data);
  let options = OpenOptions {
    mode: Some(Mode::ReadWrite),
    ..OpenOptions::default()
  };
  let mapping = MappedFile::open(&path, &options).or_throw(&env)?;
  let result = mapping
    .write(index(offset), &data)
    .and_then(|()| mapping.flush());
  mapping.close();
  result.or_throw(&env)
}

/// Runs once per module instance (main thread or worker), after the classes are defined: hands
/// the hot calls (`hot/`) to the JS layer as `exports.__hot`, which `index.js` takes and deletes.
#[napi(module_exports)]
pub fn init(exports: Object, env: Env) -> Result<()> {
  let js = Js::from_env(&env);
  let hot = crate::hot::functions(js)?;
  js.set(exports.raw(), "__hot", hot)?;
  Ok(())
}

/// Internal, not part of the API: panics, so the test suite can prove that a Rust panic reaches
/// JavaScript as an exception instead of aborting the process.
#[napi(catch_unwind, skip_typescript, js_name = "__panicForTesting")]
pub fn panic_for_testing() {
  panic!("deliberate panic from mmapkit's test hook");
}
