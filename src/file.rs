//! `class MemoryMappedFile`: the JS face of `mmapkit_core::MappedFile`. Each method converts its
//! arguments, calls one core function and converts the result or error; nothing else.

use std::cell::Cell;
use std::sync::Arc;

use mmapkit_core::{FlushPolicy, MappedFile, Mode, OpenOptions};
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::abort::AbortWatch;
use crate::arguments::{
  self, index, AdviceArg, OpenOptionsArg, SignalOptionsArg, Source, SourceArg,
};
use crate::chunks::ChunkIterator;
use crate::js::Js;
use crate::node_error::{invalid_arg_value, OrThrow};
use crate::scan_methods::ScanTarget;
use crate::segment::Segment;
use crate::settle::Settle;
use crate::span::Span;
use crate::waits;
use mmapkit_core::MmapError;

/// A memory-mapped file (or anonymous memory). Create one with a factory such as
/// `MemoryMappedFile.openRo(path)`; there is no public constructor.
///
/// Reads and writes through `readInto`/`read`/`updateRegion` are bounds-checked copies. `asBuffer`
/// hands out zero-copy views; `close()` and `resize()` do not detach them (native code may still
/// be using their memory) but retire the address range instead of unmapping it: an earlier view
/// keeps its length and reads zeros, and no JavaScript can ever touch unmapped memory.
#[napi(custom_finalize)]
pub struct MemoryMappedFile {
  pub(crate) mapping: Arc<MappedFile>,
  /// The whole mapping as a span: the methods shared with `Segment` live there.
  span: Span,
  /// This object's entry in the hot calls' table, once registered (`hot/`).
  pub(crate) handle: Cell<Option<f64>>,
}

impl MemoryMappedFile {
  pub(crate) fn wrap(mapping: Arc<MappedFile>) -> Self {
    MemoryMappedFile {
      span: Span::whole(Arc::clone(&mapping)),
      mapping,
      handle: Cell::new(None),
    }
  }

  /// What the fast paths keep for this file.
  pub(crate) fn span_clone(&self) -> Span {
    self.span.clone()
  }

  /// The shared open path of every sync factory: `mode` (if given) overrides `options.mode`.
  fn open_with(
    env: &Env,
    path: SourceArg,
    options: Option<OpenOptionsArg>,
    mode: Option<Mode>,
  ) -> Result<Self> {
    let source = Source::new(env, path)?;
    let options = options_for(env, options, mode)?;
    let mapping = source.open(&options, None).or_throw(env)?;
    Ok(Self::wrap(Arc::new(mapping)))
  }

  /// Runs a core range operation on `offset`/`length` (default: the whole mapping).
  fn on_range(
    &self,
    env: &Env,
    offset: Option<f64>,
    length: Option<f64>,
    operation: fn(&MappedFile, u64, u64) -> std::result::Result<(), MmapError>,
  ) -> Result<()> {
    let (start, length) = self.span.optional_range(env, offset, length)?;
    operation(&self.mapping, start, length).or_throw(env)
  }

  fn ensure_open(&self, env: &Env) -> Result<()> {
    if self.mapping.is_closed() {
      return Err(crate::node_error::throw(env, MmapError::Closed));
    }
    Ok(())
  }
}

/// The core's options for `options`, letting a factory's own mode win; a conflicting
/// `options.mode` is an error.
fn options_for(
  env: &Env,
  options: Option<OpenOptionsArg>,
  mode: Option<Mode>,
) -> Result<OpenOptions> {
  let mut parsed = options.map_or_else(OpenOptions::default, |options| options.to_core());
  if let Some(mode) = mode {
    if let Some(given) = parsed.mode.filter(|given| *given != mode) {
      return Err(invalid_arg_value(
        Js::from_env(env),
        format!(
          "The property 'options.mode' is '{}', but this factory always maps '{}'; use open() to choose the mode",
          given.as_str(),
          mode.as_str()
        ),
      ));
    }
    parsed.mode = Some(mode);
  }
  Ok(parsed)
}

impl ObjectFinalize for MemoryMappedFile {
  /// Garbage collection of an unclosed file: live views keep the mapping alive through their own
  /// references, so only the handle is dropped here.
  fn finalize(self, _env: Env) -> Result<()> {
    if let Some(handle) = self.handle.get() {
      crate::hot_handles::remove(handle);
    }
    Ok(())
  }
}

#[napi]
impl MemoryMappedFile {
  /// Maps the file at `path`. `options.mode` defaults to `'readOnly'`.
  /// @param path A path, a file descriptor or a `FileHandle` (duplicated: the caller keeps its
  /// own).
  /// @param options Mode, window (`offset`/`length` in bytes), lock, flush policy, advice.
  /// @returns The open mapping.
  /// @throws {TypeError} `ERR_INVALID_ARG_TYPE` / `ERR_INVALID_ARG_VALUE` for a bad path or option.
  /// @throws {RangeError} `ERR_OUT_OF_RANGE` if the window passes the end of the file, or for a
  /// descriptor that is not a non-negative integer.
  /// @throws {Error} The OS error (`ENOENT`, `EACCES`, ...) with `errno`, `syscall`, `path`;
  /// `ERR_MMAP_NOT_REGULAR_FILE` for a FIFO, a device or a `/proc` file.
  /// @example const file = MemoryMappedFile.open('data.bin', { mode: 'readWrite' })
  #[napi(catch_unwind, ts_args_type = "path: MapSource, options?: OpenOptions")]
  pub fn open(env: Env, path: SourceArg, options: Option<OpenOptionsArg>) -> Result<Self> {
    Self::open_with(&env, path, options, None)
  }

  /// `open` off the JS thread (useful with `populate` on large files or a `lock` to wait for).
  /// @param path A path, a file descriptor or a `FileHandle`.
  /// @param options `open`'s options plus `signal` (it also ends a wait for `options.lock`).
  /// @returns A Promise of the open mapping.
  /// @throws Never synchronously: every error of `open`, argument errors included, rejects the
  /// Promise; an abort rejects it with an `AbortError` (`ABORT_ERR`).
  /// @example const file = await MemoryMappedFile.openAsync('data.bin', { populate: true })
  #[napi(
    catch_unwind,
    ts_args_type = "path: MapSource, options?: OpenOptions & { signal?: AbortSignal }",
    ts_return_type = "Promise<MemoryMappedFile>"
  )]
  pub fn open_async(
    env: Env,
    path: SourceArg,
    options: Option<OpenOptionsArg>,
  ) -> Result<waits::Promise> {
    let js = Js::from_env(&env);
    // What can still fail here (EBADF for a closed descriptor, a throwing `signal.aborted` getter)
    // rejects the Promise.
    let prepared = (|| -> Result<(Source, OpenOptions, AbortWatch)> {
      let source = Source::new(&env, path)?;
      let signal = options
        .as_ref()
        .and_then(|o| o.signal.as_ref())
        .map(|s| s.raw());
      let abort = AbortWatch::new(js, signal)?;
      Ok((source, options_for(&env, options, None)?, abort))
    })();
    match prepared {
      Ok((source, options, abort)) => start_open(&env, Some(source), options, Settle::ok(abort)),
      Err(error) => start_open(&env, None, OpenOptions::default(), Settle::rejecting(error)),
    }
  }

  /// `open(path, { ...options, mode: 'readOnly' })`: reads see the file, writes never reach it.
  /// @param path A path, a file descriptor or a `FileHandle`.
  /// @param options `open`'s options; `mode`, if given, must be `'readOnly'`.
  /// @returns The open readOnly mapping.
  /// @throws {TypeError} `ERR_INVALID_ARG_VALUE` for another `options.mode`; otherwise as `open`.
  /// @throws {Error} The OS error (`ENOENT`, `EACCES`, ...), as `open`.
  /// @example const file = MemoryMappedFile.openRo('data.bin')
  #[napi(
    catch_unwind,
    ts_args_type = "path: MapSource, options?: FactoryOptions<'readOnly'>"
  )]
  pub fn open_ro(env: Env, path: SourceArg, options: Option<OpenOptionsArg>) -> Result<Self> {
    Self::open_with(&env, path, options, Some(Mode::ReadOnly))
  }

  /// `open(path, { ...options, mode: 'readWrite' })`: writes go to the file.
  /// @param path A path, a file descriptor or a `FileHandle`.
  /// @param options `open`'s options; `mode`, if given, must be `'readWrite'`.
  /// @returns The open readWrite mapping.
  /// @throws {TypeError} `ERR_INVALID_ARG_VALUE` for another `options.mode`; otherwise as `open`.
  /// @throws {Error} The OS error (`ENOENT`, `EACCES`, ...), as `open`.
  /// @example const file = MemoryMappedFile.openRw('data.bin', { lock: 'exclusive' })
  #[napi(
    catch_unwind,
    ts_args_type = "path: MapSource, options?: FactoryOptions<'readWrite'>"
  )]
  pub fn open_rw(env: Env, path: SourceArg, options: Option<OpenOptionsArg>) -> Result<Self> {
    Self::open_with(&env, path, options, Some(Mode::ReadWrite))
  }

  /// `open(path, { ...options, mode: 'copyOnWrite' })`: writes stay private to this process.
  /// @param path A path, a file descriptor or a `FileHandle`.
  /// @param options `open`'s options; `mode`, if given, must be `'copyOnWrite'`.
  /// @returns The open copyOnWrite mapping.
  /// @throws {TypeError} `ERR_INVALID_ARG_VALUE` for another `options.mode`; otherwise as `open`.
  /// @throws {Error} The OS error (`ENOENT`, `EACCES`, ...), as `open`.
  /// @example const scratch = MemoryMappedFile.openCow('data.bin')
  #[napi(
    catch_unwind,
    ts_args_type = "path: MapSource, options?: FactoryOptions<'copyOnWrite'>"
  )]
  pub fn open_cow(env: Env, path: SourceArg, options: Option<OpenOptionsArg>) -> Result<Self> {
    Self::open_with(&env, path, options, Some(Mode::CopyOnWrite))
  }

  /// Creates the file (or truncates an existing one) to `size` bytes, preallocates its disk blocks
  /// (so a full disk fails here with `ENOSPC`, not later with `SIGBUS`) and maps it readWrite.
  /// @param path A path, a file descriptor or a `FileHandle`.
  /// @param size The file's new length in bytes (0 allowed).
  /// @param options `open`'s options; `mode`, if given, must be `'readWrite'`.
  /// @returns The open readWrite mapping of the whole file.
  /// @throws {RangeError} `ERR_OUT_OF_RANGE` for a negative or fractional `size`.
  /// @throws {Error} The OS error (`ENOSPC`, `EACCES`, `EISDIR`, ...); a rejected call changes
  /// nothing.
  /// @example const file = MemoryMappedFile.createRw('new.bin', 1 << 20)
  #[napi(
    catch_unwind,
    ts_args_type = "path: MapSource, size: number, options?: FactoryOptions<'readWrite'>"
  )]
  pub fn create_rw(
    env: Env,
    path: SourceArg,
    size: f64,
    options: Option<OpenOptionsArg>,
  ) -> Result<Self> {
    let source = Source::new(&env, path)?;
    let mut options = options_for(&env, options, Some(Mode::ReadWrite))?;
    options.create = true;
    options.truncate = true;
    options.size = Some(index(size));
    let mapping = source.open(&options, None).or_throw(&env)?;
    Ok(Self::wrap(Arc::new(mapping)))
  }

  /// Opens the file readWrite; if it is missing, creates it with `defaultSize` bytes
  /// (preallocated).
  /// An existing file keeps its length.
  /// @param path A path, a file descriptor or a `FileHandle`.
  /// @param defaultSize The length in bytes of a file this call creates.
  /// @param options `open`'s options; `mode`, if given, must be `'readWrite'`.
  /// @returns The open readWrite mapping.
  /// @throws {RangeError} `ERR_OUT_OF_RANGE` for a negative or fractional `defaultSize`.
  /// @throws {Error} The OS error (`ENOSPC`, `EACCES`, ...).
  /// @example const store = MemoryMappedFile.openOrCreate('store.bin', 1 << 20)
  #[napi(
    catch_unwind,
    ts_args_type = "path: MapSource, defaultSize: number, options?: FactoryOptions<'readWrite'>"
  )]
  pub fn open_or_create(
    env: Env,
    path: SourceArg,
    default_size: f64,
    options: Option<OpenOptionsArg>,
  ) -> Result<Self> {
    let source = Source::new(&env, path)?;
    let mut options = options_for(&env, options, Some(Mode::ReadWrite))?;
    options.create = true;
    options.default_size = Some(index(default_size));
    let mapping = source.open(&options, None).or_throw(&env)?;
    Ok(Self::wrap(Arc::new(mapping)))
  }

  /// `size` bytes of zeroed anonymous memory, readWrite; `path` is null and `flush()` does nothing.
  /// @param size The length in bytes.
  /// @returns A readWrite mapping backed by no file.
  /// @throws {RangeError} `ERR_OUT_OF_RANGE` for a negative or fractional `size`.
  /// @throws {Error} `ENOMEM` if the OS refuses the memory.
  /// @example const scratch = MemoryMappedFile.anonymous(64 * 1024)
  #[napi(catch_unwind)]
  pub fn anonymous(env: Env, size: f64) -> Result<Self> {
    let mapping = MappedFile::anonymous(index(size)).or_throw(&env)?;
    Ok(Self::wrap(Arc::new(mapping)))
  }

  /// The mapped file's path; `null` for anonymous memory.
  #[napi(getter)]
  pub fn path(&self) -> Option<String> {
    self.mapping.path().map(str::to_owned)
  }

  /// How the file is mapped.
  #[napi(getter, ts_return_type = "MmapMode")]
  pub fn mode(&self) -> &'static str {
    self.mapping.mode().as_str()
  }

  /// Bytes mapped (0 once closed).
  #[napi(getter)]
  pub fn length(&self) -> f64 {
    self.mapping.len().unwrap_or(0) as f64
  }

  /// The file offset of the first mapped byte (non-zero for a window opened with `options.offset`).
  #[napi(getter)]
  pub fn offset(&self) -> f64 {
    self.mapping.offset() as f64
  }

  /// Whether `close()` has run.
  #[napi(getter)]
  pub fn closed(&self) -> bool {
    self.mapping.is_closed()
  }

  /// Bytes written through `updateRegion` since the last flush. Writes made through views cannot be
  /// counted; `flush()` syncs them all the same.
  #[napi(getter)]
  pub fn pending_bytes(&self) -> f64 {
    self.mapping.pending_bytes() as f64
  }

  /// The flush policy chosen at open (`'manual'` unless `options.flushPolicy` said otherwise).
  #[napi(getter, ts_return_type = "FlushPolicy")]
  pub fn flush_policy<'a>(&self, env: &'a Env) -> Result<Unknown<'a>> {
    let js = Js::from_env(env);
    let (key, n) = match self.mapping.flush_policy() {
      FlushPolicy::Manual => return Ok(js.unknown(js.string("manual")?)),
      FlushPolicy::Always => return Ok(js.unknown(js.string("always")?)),
      FlushPolicy::EveryBytes(n) => ("everyBytes", n),
      FlushPolicy::EveryWrites(n) => ("everyWrites", n),
      FlushPolicy::EveryMillis(n) => ("everyMillis", n),
    };
    let mut object = Object::new(env)?;
    object.set_named_property(key, n as f64)?;
    Ok(js.unknown(object.raw()))
  }

  /// A bounds-checked window of `length` bytes at `offset`; it keeps this file alive.
  /// @param offset Byte offset of the window in this mapping.
  /// @param length The window's length in bytes.
  /// @returns A `Segment` whose methods take offsets relative to `offset`.
  /// @throws {RangeError} `ERR_OUT_OF_RANGE` if the window passes the end of the mapping.
  /// @throws {Error} `ERR_MMAP_CLOSED` after `close()`.
  /// @example const header = file.segment(0, 64)
  // ts_args_type: napi-rs would declare the `This` parameter as `this: this`.
  #[napi(catch_unwind, ts_args_type = "offset: number, length: number")]
  pub fn segment(&self, env: Env, this: This, offset: f64, length: f64) -> Result<Segment> {
    Segment::create(&env, &self.span, this.object.raw(), offset, length)
  }

  /// Zero-copy views of consecutive `size`-byte chunks of the mapping; the last one is shorter.
  /// In readWrite mode the chunks are writable views of the file.
  /// @param size Chunk length in bytes (at least 1).
  /// @returns An iterator (sync and async) of `Buffer` views.
  /// @throws {RangeError} `ERR_OUT_OF_RANGE` if `size` is 0, negative or fractional.
  /// @throws {Error} `ERR_MMAP_CLOSED` after `close()`.
  /// @example for (const chunk of file.chunks(1 << 20)) hash.update(chunk)
  #[napi(catch_unwind)]
  pub fn chunks(&self, env: Env, size: f64) -> Result<ChunkIterator> {
    let length = self.span.len().or_throw(&env)?;
    Ok(ChunkIterator::new(
      self.span.clone(),
      0,
      length,
      index(size),
    ))
  }

  /// `chunks(pageSize())`: one view per OS page.
  /// @returns An iterator (sync and async) of page-sized `Buffer` views.
  /// @throws {Error} `ERR_MMAP_CLOSED` after `close()`.
  /// @example for (const page of file.pages()) if (page[0] !== 0) dirty++
  #[napi(catch_unwind)]
  pub fn pages(&self, env: Env) -> Result<ChunkIterator> {
    let length = self.span.len().or_throw(&env)?;
    Ok(ChunkIterator::new(
      self.span.clone(),
      0,
      length,
      mmapkit_core::page_size() as u64,
    ))
  }

  /// Faults the pages of a range (default: all) in now by reading a byte of each, so later
  /// accesses do not stall on page faults.
  /// @param offset Byte offset of the range. Default 0.
  /// @param length The range's length in bytes. Default: to the end.
  /// @throws {RangeError} `ERR_OUT_OF_RANGE` if the range passes the end.
  /// @throws {Error} `ERR_MMAP_CLOSED` after `close()`; `ERR_MMAP_TRUNCATED` if the file shrank.
  /// @example file.touchPages()
  #[napi(catch_unwind)]
  pub fn touch_pages(&self, env: Env, offset: Option<f64>, length: Option<f64>) -> Result<()> {
    self.on_range(&env, offset, length, MappedFile::touch_pages)
  }

  /// Asks the OS to read a range (default: all) ahead, without waiting (`madvise(MADV_WILLNEED)`;
  /// a no-op on Windows).
  /// @param offset Byte offset of the range. Default 0.
  /// @param length The range's length in bytes. Default: to the end.
  /// @throws {RangeError} `ERR_OUT_OF_RANGE` if the range passes the end.
  /// @throws {Error} `ERR_MMAP_CLOSED` after `close()`.
  /// @example file.prefetch(0, 16 << 20)
  #[napi(catch_unwind)]
  pub fn prefetch(&self, env: Env, offset: Option<f64>, length: Option<f64>) -> Result<()> {
    self.on_range(&env, offset, length, MappedFile::prefetch)
  }

  /// Pins a range (default: all) in RAM: `mlock` (Windows: `VirtualLock`).
  /// @param offset Byte offset of the range. Default 0.
  /// @param length The range's length in bytes. Default: to the end.
  /// @throws {Error} `ENOMEM` or `EPERM` (`syscall: 'mlock'`) over the `RLIMIT_MEMLOCK` limit;
  /// `ERR_MMAP_CLOSED` after `close()`.
  /// @throws {RangeError} `ERR_OUT_OF_RANGE` if the range passes the end.
  /// @example file.lockMemory(0, 4096)
  #[napi(catch_unwind)]
  pub fn lock_memory(&self, env: Env, offset: Option<f64>, length: Option<f64>) -> Result<()> {
    self.on_range(&env, offset, length, MappedFile::lock_memory)
  }

  /// Releases a range pinned by `lockMemory` (`munlock` / `VirtualUnlock`).
  /// @param offset Byte offset of the range. Default 0.
  /// @param length The range's length in bytes. Default: to the end.
  /// @throws {RangeError} `ERR_OUT_OF_RANGE` if the range passes the end.
  /// @throws {Error} `ERR_MMAP_CLOSED` after `close()`; the OS error if `munlock` fails.
  /// @example file.unlockMemory(0, 4096)
  #[napi(catch_unwind)]
  pub fn unlock_memory(&self, env: Env, offset: Option<f64>, length: Option<f64>) -> Result<()> {
    self.on_range(&env, offset, length, MappedFile::unlock_memory)
  }

  /// Durably writes the whole mapping to the file: a synchronous `msync(MS_SYNC)` (Windows:
  /// `FlushViewOfFile` + `FlushFileBuffers`) on every call, whatever the policy, including bytes
  /// written through views. A no-op for readOnly, copyOnWrite and anonymous mappings.
  /// @throws {Error} `ERR_MMAP_CLOSED` after `close()`; the OS error (`EIO`, `ENOSPC`), also one a
  /// background `everyMillis` flush met.
  /// @example file.updateRegion(0, 'v2'); file.flush()
  #[napi(catch_unwind)]
  pub fn flush(&self, env: Env) -> Result<()> {
    self.mapping.flush().or_throw(&env)
  }

  /// Durably writes `length` bytes at `offset` (widened to whole pages internally).
  /// @param offset Byte offset of the range.
  /// @param length The range's length in bytes.
  /// @throws {RangeError} `ERR_OUT_OF_RANGE` if the range passes the end.
  /// @throws {Error} `ERR_MMAP_CLOSED` after `close()`; the OS error (`EIO`, `ENOSPC`).
  /// @example file.flushRange(4096, 100)
  #[napi(catch_unwind)]
  pub fn flush_range(&self, env: Env, offset: f64, length: f64) -> Result<()> {
    self
      .mapping
      .flush_range(index(offset), index(length))
      .or_throw(&env)
  }

  /// `flush()` off the JS thread (on libuv's pool).
  /// @param options `signal`: an abort before the flush settles rejects the Promise.
  /// @returns A Promise that resolves once the mapping is durable.
  /// @throws Never synchronously: `ERR_MMAP_CLOSED`, the OS error, argument errors and an
  /// `AbortError` (`ABORT_ERR`) reject the Promise.
  /// @example await file.flushAsync({ signal: AbortSignal.timeout(5000) })
  #[napi(
    catch_unwind,
    ts_args_type = "options?: { signal?: AbortSignal }",
    ts_return_type = "Promise<void>"
  )]
  pub fn flush_async(&self, env: Env, options: Option<SignalOptionsArg>) -> AsyncTask<FlushTask> {
    let settle = signal_option(&env, options);
    AsyncTask::new(FlushTask {
      mapping: Arc::clone(&self.mapping),
      range: None,
      settle,
    })
  }

  /// `flushRange()` off the JS thread (on libuv's pool).
  /// @param offset Byte offset of the range.
  /// @param length The range's length in bytes.
  /// @param options `signal`: an abort before the flush settles rejects the Promise.
  /// @returns A Promise that resolves once the range is durable.
  /// @throws Never synchronously: `ERR_OUT_OF_RANGE`, `ERR_MMAP_CLOSED`, the OS error and an
  /// `AbortError` reject the Promise.
  /// @example await file.flushRangeAsync(0, 4096)
  #[napi(
    catch_unwind,
    ts_args_type = "offset: number, length: number, options?: { signal?: AbortSignal }",
    ts_return_type = "Promise<void>"
  )]
  pub fn flush_range_async(
    &self,
    env: Env,
    offset: f64,
    length: f64,
    options: Option<SignalOptionsArg>,
  ) -> AsyncTask<FlushTask> {
    AsyncTask::new(FlushTask {
      mapping: Arc::clone(&self.mapping),
      range: Some((index(offset), index(length))),
      settle: signal_option(&env, options),
    })
  }

  /// Sets the file's length to `newLength` and maps it again. Growing preallocates disk blocks;
  /// on failure the file keeps its old length. Earlier views keep their length but no longer show
  /// the file: they read zeros, and writes to them go nowhere.
  /// @param newLength The file's new length in bytes.
  /// @throws {Error} `ERR_MMAP_INVALID_MODE` unless this is a readWrite mapping of a whole file;
  /// `ERR_MMAP_CLOSED` after `close()`; the OS error (`ENOSPC`, ...).
  /// @throws {RangeError} `ERR_OUT_OF_RANGE` for a negative or fractional `newLength`.
  /// @example file.resize(file.length * 2)
  #[napi(catch_unwind)]
  pub fn resize(&self, env: Env, new_length: f64) -> Result<()> {
    self.ensure_open(&env)?;
    let result = self.mapping.resize(index(new_length));
    self.span.resized();
    result.or_throw(&env)
  }

  /// Tells the kernel how the mapping (or a range of it) will be read: `madvise`, ranges aligned
  /// internally. Does nothing on Windows.
  /// @param advice `'normal'`, `'random'`, `'sequential'`, `'willNeed'` or `'dontNeed'`.
  /// @param offset Byte offset of the range. Default 0.
  /// @param length The range's length in bytes. Default: to the end.
  /// @throws {TypeError} `ERR_INVALID_ARG_VALUE` for an unknown `advice`.
  /// @throws {RangeError} `ERR_OUT_OF_RANGE` if the range passes the end.
  /// @throws {Error} `ERR_MMAP_CLOSED` after `close()`.
  /// @example file.advise('sequential')
  #[napi(catch_unwind)]
  pub fn advise(
    &self,
    env: Env,
    advice: AdviceArg,
    offset: Option<f64>,
    length: Option<f64>,
  ) -> Result<()> {
    let (offset, length) = self.span.optional_range(&env, offset, length)?;
    self
      .mapping
      .advise(advice.into(), offset, length)
      .or_throw(&env)
  }

  /// Unmaps at once, releases the lock and closes the file. Idempotent: a second call does
  /// nothing. Waits for a `flushAsync` in progress on another thread. Views made earlier keep
  /// their length but no longer show the file: they read zeros, and writes to them go nowhere
  /// (the address range stays reserved until the last view is collected, so no other mapping can
  /// take it).
  /// @throws {TypeError} `ERR_INVALID_THIS` only when called on something that is not a mapping.
  /// @example try { file.read(0, 4) } finally { file.close() }
  #[napi(catch_unwind)]
  pub fn close(&self) {
    self.mapping.close();
  }
}

/// The `{ signal }` options of the flush twins.
fn signal_option(env: &Env, options: Option<SignalOptionsArg>) -> Settle {
  let signal = arguments::signal_of(options).map(|signal| signal.raw());
  match AbortWatch::new(Js::from_env(env), signal) {
    Ok(watch) => Settle::ok(watch),
    Err(error) => Settle::rejecting(error),
  }
}

impl ScanTarget for MemoryMappedFile {
  fn span(&self) -> &Span {
    &self.span
  }
}

crate::scan_methods::impl_scan_methods!(MemoryMappedFile);

/// Starts `MemoryMappedFile.openAsync` on a thread of its own (`waits.rs`), not on libuv's pool:
/// with `options.lock` it may wait as long as another process holds the file's lock, and such a
/// wait must neither hold a pool thread nor delay `process.exit()` or `worker.terminate()`. The
/// wait polls the call's stop flag (its `AbortSignal`, or the environment's teardown); the core
/// takes the lock before it truncates, creates or maps anything, so an open that ends early changes
/// nothing. `source` is `None` when `settle` only rejects.
fn start_open(
  env: &Env,
  source: Option<Source>,
  options: OpenOptions,
  settle: Settle,
) -> Result<waits::Promise> {
  let promise = waits::start(
    env,
    waits::Launch::Now("openAsync"),
    settle,
    move |stop| match source {
      Some(source) => source.open(&options, Some(stop)),
      None => Err(MmapError::Closed),
    },
    // An abort that arrives while the file is being mapped still wins: the mapping is dropped,
    // which closes the file and releases its lock.
    Box::new(|env, settle, output| {
      let mapping = settle.settle(env, output)?;
      Ok(MemoryMappedFile::wrap(Arc::new(mapping)))
    }),
  )?;
  Ok(waits::Promise::of(promise))
}

// The async twin of flush runs the same core function as its sync method on the libuv threadpool
// (it always ends on its own) and settles the Promise on the JS thread with Node-style errors
// (`settle.rs`).

/// `flushAsync` and `flushRangeAsync`.
pub struct FlushTask {
  pub mapping: Arc<MappedFile>,
  /// `None` flushes the whole mapping.
  pub range: Option<(u64, u64)>,
  pub settle: Settle,
}

impl Task for FlushTask {
  type Output = std::result::Result<(), MmapError>;
  type JsValue = ();

  fn compute(&mut self) -> Result<Self::Output> {
    if self.settle.skip() {
      return Ok(Err(MmapError::Aborted));
    }
    Ok(match self.range {
      None => self.mapping.flush(),
      Some((offset, length)) => self.mapping.flush_range(offset, length),
    })
  }

  fn resolve(&mut self, env: Env, output: Self::Output) -> Result<()> {
    self.settle.settle(&env, output)
  }

  fn finally(mut self, env: Env) -> Result<()> {
    self.settle.abort.release(Js::from_env(&env));
    Ok(())
  }
}
