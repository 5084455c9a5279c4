//! Module functions (`pageSize`, `createMmap`, `loadMmap`, `writeMmap`) and the load-time setup.

use std::sync::Arc;

use mmapkit_core::{MappedFile, Mode, OpenOptions};
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::args;
use crate::file::MemoryMappedFile;
use crate::js::Js;
use crate::node_error::{ArgName, OrThrow};

/// The OS page size in bytes (the unit of `pages()`, `flushRange` alignment and `madvise`).
#[napi]
pub fn page_size() -> u32 {
  mmapkit_core::page_size() as u32
}

/// `MemoryMappedFile.createRw(path, size)`: create or truncate the file to `size` bytes and map it
/// readWrite.
#[napi(catch_unwind, ts_args_type = "path: PathLike, size: number")]
pub fn create_mmap(env: Env, path: Unknown, size: Unknown) -> Result<MemoryMappedFile> {
  MemoryMappedFile::create_rw(env, path, size, None)
}

/// `MemoryMappedFile.open(path, { mode })`.
#[napi(catch_unwind, ts_args_type = "path: PathLike, mode?: MmapMode")]
pub fn load_mmap(env: Env, path: Unknown, mode: Option<Unknown>) -> Result<MemoryMappedFile> {
  let js = Js::from_env(&env);
  let path = args::path(js, path.raw())?;
  let mode = match mode.map(|m| m.raw()) {
    Some(m) if !matches!(js.type_of(m)?, ValueType::Undefined | ValueType::Null) => {
      args::mode(js, m, ArgName::Argument("mode"))?
    }
    _ => Mode::ReadOnly,
  };
  let options = OpenOptions {
    mode: Some(mode),
    ..OpenOptions::default()
  };
  let mapping = MappedFile::open(&path, &options).or_throw(&env)?;
  Ok(MemoryMappedFile::wrap(Arc::new(mapping)))
}

/// Maps `path` readWrite, writes `data` at `offset`, flushes durably and closes: one call for a
/// small in-place edit of an existing file.
#[napi(
  catch_unwind,
  ts_args_type = "path: PathLike, offset: number, data: Uint8Array | string"
)]
pub fn write_mmap(env: Env, path: Unknown, offset: Unknown, data: Unknown) -> Result<()> {
  let js = Js::from_env(&env);
  let path = args::path(js, path.raw())?;
  let offset = args::index(js, offset.raw(), ArgName::Argument("offset"))?;
  let data = args::bytes(js, data.raw(), "data")?;
  let options = OpenOptions {
    mode: Some(Mode::ReadWrite),
    ..OpenOptions::default()
  };
  let mapping = MappedFile::open(&path, &options).or_throw(&env)?;
  let result = mapping
    .write(offset, data.as_slice())
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
