//! Module functions (`pageSize`, `createMmap`, `loadMmap`, `writeMmap`) and the load-time setup:
//! the JavaScript shims (`shims.js`) and the runtime's Buffer size limit.

use std::sync::Arc;

use mmapkit_core::{MappedFile, Mode, OpenOptions};
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::args;
use crate::errors::{ArgName, OrThrow};
use crate::file::MemoryMappedFile;
use crate::js::{Js, Value};
use crate::views::set_max_view_length;

/// The OS page size in bytes (the unit of `pages()`, `flushRange` alignment and `madvise`).
#[napi]
pub fn page_size() -> u32 {
  mmapkit_core::page_size() as u32
}

/// `MemoryMappedFile.createRw(path, size)`: create or truncate the file to `size` bytes and map it
/// readWrite.
#[napi(catch_unwind, ts_args_type = "path: string, size: number")]
pub fn create_mmap(env: Env, path: Unknown, size: Unknown) -> Result<MemoryMappedFile> {
  MemoryMappedFile::create_rw(env, path, size, None)
}

/// `MemoryMappedFile.open(path, { mode })`.
#[napi(catch_unwind, ts_args_type = "path: string, mode?: MmapMode")]
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
  ts_args_type = "path: string, offset: number, data: Uint8Array | string"
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

/// Runs once per module instance (main thread or worker), after the classes are defined.
#[napi(module_exports)]
pub fn init(exports: Object, env: Env) -> Result<()> {
  let js = Js::from_env(&env);
  let fast = crate::fast_paths::functions(js)?;
  install_shims(&env, js, exports.raw(), fast)?;
  read_max_buffer_length(js)?;
  Ok(())
}

/// The JavaScript half of the API (`shims.js`): iteration protocols, `createReadStream`, `watch`,
/// `Symbol.dispose`.
const SHIMS: &str = include_str!("shims.js");

fn install_shims(env: &Env, js: Js, exports: Value, fast: Value) -> Result<()> {
  let install: Unknown = env.run_script(SHIMS)?;
  js.call(js.global()?, install.raw(), &[exports, fast])?;
  Ok(())
}

/// `buffer.constants.MAX_LENGTH`, through `process.getBuiltinModule` (Node >= 20.16).
fn read_max_buffer_length(js: Js) -> Result<()> {
  let process = js.get(js.global()?, "process")?;
  let Some(get_builtin) = js.get_defined(process, "getBuiltinModule")? else {
    return Ok(()); // keep the conservative default (2**32 - 1)
  };
  let buffer = js.call(process, get_builtin, &[js.string("buffer")?])?;
  let constants = js.get(buffer, "constants")?;
  let max = js.get(constants, "MAX_LENGTH")?;
  if js.type_of(max)? == ValueType::Number {
    set_max_view_length(js.get_f64(max)? as u64);
  }
  Ok(())
}

/// Internal, not part of the API: panics, so the test suite can prove that a Rust panic reaches
/// JavaScript as an exception instead of aborting the process.
#[napi(catch_unwind, skip_typescript, js_name = "__panicForTesting")]
pub fn panic_for_testing() {
  panic!("deliberate panic from mmapkit's test hook");
}
