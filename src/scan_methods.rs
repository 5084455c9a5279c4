//! The scan methods shared by `MemoryMappedFile` and `Segment` (`countByte`, `countLines`,
//! `indexOf`, `count`, `findAll` and the async twins): argument conversion here, the scanning itself
//! in `mmapkit_core::scan`. The sync method and its Promise twin run the same [`ScanJob::run`].

use std::sync::Arc;

use mmapkit_core::scan::{self, Control};
use napi::bindgen_prelude::*;

use crate::abort::AbortWatch;
use crate::arguments::{bytes_vec, index, optional_index, BytesArg, ScanOptionsArg};
use crate::js::{Js, Value};
use crate::node_error::OrThrow;
use crate::scan_job::ScanJob;
use crate::scan_progress::{Progress, ProgressCallback};
use crate::scan_wait;
use crate::settle::Settle;
use crate::span::Span;
use crate::waits::Promise;

/// A class whose methods scan a [`Span`].
pub trait ScanTarget {
  fn span(&self) -> &Span;
}

// Public here too: `impl_scan_methods!` names `ScanKind` by this path.
pub use crate::scan_job::ScanKind;

/// The options of `count`/`findAll` and the async twins, with their defaults.
struct ScanOptions<'a> {
  offset: u64,
  length: Option<u64>,
  threads: usize,
  limit: Option<usize>,
  signal: Option<Value>,
  on_progress: Option<Function<'a, FnArgs<(f64, f64)>, Unknown<'static>>>,
}

fn scan_options(options: Option<ScanOptionsArg>) -> ScanOptions {
  let Some(options) = options else {
    return ScanOptions {
      offset: 0,
      length: None,
      threads: scan::default_threads(),
      limit: None,
      signal: None,
      on_progress: None,
    };
  };
  ScanOptions {
    offset: optional_index(options.offset).unwrap_or(0),
    length: optional_index(options.length),
    threads: options
      .threads
      // More than the cores is clamped, not refused: code written for a bigger machine still runs.
      .map_or_else(scan::default_threads, |threads| {
        scan::threads_for(index(threads))
      }),
    limit: optional_index(options.limit).map(|limit| usize::try_from(limit).unwrap_or(usize::MAX)),
    signal: options.signal.map(|signal| signal.raw()),
    on_progress: options.on_progress,
  }
}

fn job(env: &Env, span: &Span, kind: ScanKind, options: &ScanOptions) -> Result<ScanJob> {
  let (start, length) = span.range_or_rest(
    env,
    options.offset,
    options.length,
    ("options.offset", "options.length"),
  )?;
  Ok(ScanJob {
    kind,
    start,
    length,
    base: span.base,
    threads: options.threads,
    progress: None,
  })
}

fn run_sync(env: &Env, span: &Span, job: &ScanJob) -> Result<Value> {
  job
    .run(&span.mapping, &Control::default())
    .or_throw(env)?
    .into_js(env)
}

pub fn count_byte(
  env: &Env,
  span: &Span,
  byte: u32,
  offset: Option<f64>,
  length: Option<f64>,
) -> Result<Value> {
  let (start, length) = span.optional_range(env, offset, length)?;
  let job = ScanJob {
    kind: ScanKind::Byte(byte as u8),
    start,
    length,
    base: span.base,
    threads: scan::default_threads(),
    progress: None,
  };
  run_sync(env, span, &job)
}

pub fn count_lines(
  env: &Env,
  span: &Span,
  offset: Option<f64>,
  length: Option<f64>,
) -> Result<Value> {
  let (start, length) = span.optional_range(env, offset, length)?;
  let job = ScanJob {
    kind: ScanKind::Byte(b'\n'),
    start,
    length,
    base: span.base,
    threads: scan::default_threads(),
    progress: None,
  };
  run_sync(env, span, &job)
}

pub fn index_of(env: &Env, span: &Span, needle: BytesArg, from: Option<f64>) -> Result<f64> {
  let needle = bytes_vec(needle);
  let from = optional_index(from).unwrap_or(0);
  let (start, length) = span.range_or_rest(env, from, None, ("fromOffset", "length"))?;
  let found = span
    .mapping
    .with_bytes(start, length, |bytes| scan::index_of(bytes, &needle, 0))
    .or_throw(env)?;
  Ok(found.map_or(-1.0, |at| (at as u64 + start - span.base) as f64))
}

pub fn count(
  env: &Env,
  span: &Span,
  needle: BytesArg,
  options: Option<ScanOptionsArg>,
) -> Result<Value> {
  let needle = bytes_vec(needle);
  let options = scan_options(options);
  run_sync(
    env,
    span,
    &job(env, span, ScanKind::Pattern(needle), &options)?,
  )
}

pub fn find_all(
  env: &Env,
  span: &Span,
  needle: BytesArg,
  options: Option<ScanOptionsArg>,
) -> Result<Value> {
  let needle = bytes_vec(needle);
  let options = scan_options(options);
  let limit = options.limit;
  run_sync(
    env,
    span,
    &job(env, span, ScanKind::FindAll(needle, limit), &options)?,
  )
}

/// Starts the async twin on a thread of its own (`scan_wait.rs`); an error found before the work
/// starts (a range past the end, a throwing `signal.aborted` getter) becomes the Promise's
/// rejection.
pub fn scan_async(
  env: &Env,
  span: &Span,
  needle: Option<BytesArg>,
  options: Option<ScanOptionsArg>,
  make_kind: fn(Vec<u8>, Option<usize>) -> ScanKind,
) -> Result<Promise> {
  let prepared = (|| -> Result<(ScanJob, AbortWatch)> {
    let needle = needle.map(bytes_vec).unwrap_or_default();
    let options = scan_options(options);
    let mut job = job(env, span, make_kind(needle, options.limit), &options)?;
    if let Some(callback) = &options.on_progress {
      job.progress = Some(Progress(Arc::new(progress_callback(callback)?)));
    }
    let abort = AbortWatch::new(Js::from_env(env), options.signal)?;
    Ok((job, abort))
  })();
  let mapping = Arc::clone(&span.mapping);
  match prepared {
    Ok((job, abort)) => scan_wait::start(env, mapping, Some(job), Settle::ok(abort)),
    Err(error) => scan_wait::start(env, mapping, None, Settle::rejecting(error)),
  }
}

fn progress_callback(
  function: &Function<'_, FnArgs<(f64, f64)>, Unknown<'static>>,
) -> Result<ProgressCallback> {
  function
    .build_threadsafe_function::<FnArgs<(f64, f64)>>()
    .callee_handled::<false>()
    .weak::<true>()
    .build()
}

/// Generates the `#[napi]` scan methods of a [`ScanTarget`] class.
macro_rules! impl_scan_methods {
  ($class:ty) => {
    #[napi_derive::napi]
    impl $class {
      /// Occurrences of one byte value in a range (default: everything), on all cores.
      /// @param byte The byte value, 0 to 255.
      /// @param offset Byte offset of the range (relative to the receiver). Default 0.
      /// @param length The range's length in bytes. Default: to the end.
      /// @returns How many bytes of the range equal `byte`.
      /// @throws {RangeError} `ERR_OUT_OF_RANGE` for a `byte` outside 0-255 or a range past the
      /// end.
      /// @throws {Error} `ERR_MMAP_CLOSED` after `close()`; `ERR_MMAP_TRUNCATED` if the file
      /// shrank.
      /// @example const commas = file.countByte(0x2c)
      #[napi(catch_unwind)]
      pub fn count_byte(&self, env: Env, byte: u32, offset: Option<f64>, length: Option<f64>) -> Result<f64> {
        let value = $crate::scan_methods::count_byte(&env, self.span(), byte, offset, length)?;
        $crate::js::Js::from_env(&env).get_f64(value)
      }

      /// Newline bytes (0x0A) in a range, like `wc -l`. Vectorised and parallel on all cores.
      /// @param offset Byte offset of the range (relative to the receiver). Default 0.
      /// @param length The range's length in bytes. Default: to the end.
      /// @returns The number of newline bytes.
      /// @throws {RangeError} `ERR_OUT_OF_RANGE` if the range passes the end.
      /// @throws {Error} `ERR_MMAP_CLOSED` after `close()`; `ERR_MMAP_TRUNCATED` if the file
      /// shrank.
      /// @example console.log(file.countLines(), 'lines')
      #[napi(catch_unwind)]
      pub fn count_lines(&self, env: Env, offset: Option<f64>, length: Option<f64>) -> Result<f64> {
        let value = $crate::scan_methods::count_lines(&env, self.span(), offset, length)?;
        $crate::js::Js::from_env(&env).get_f64(value)
      }

      /// Finds the first match of `pattern` at or after `fromOffset`.
      /// @param pattern Bytes, or a string searched as UTF-8; not empty.
      /// @param fromOffset Where the search starts (relative to the receiver). Default 0.
      /// @returns The match's offset (relative to the receiver), or -1.
      /// @throws {TypeError} `ERR_INVALID_ARG_VALUE` for an empty pattern; `ERR_INVALID_ARG_TYPE`
      /// for
      /// another type.
      /// @throws {RangeError} `ERR_OUT_OF_RANGE` for a negative, fractional or too large
      /// `fromOffset`.
      /// @throws {Error} `ERR_MMAP_CLOSED` after `close()`; `ERR_MMAP_TRUNCATED` if the file
      /// shrank.
      /// @example const at = file.indexOf('ERROR', 100)
      #[napi(catch_unwind)]
      pub fn index_of(&self, env: Env, pattern: Either<String, Uint8ArraySlice>, from_offset: Option<f64>) -> Result<f64> {
        $crate::scan_methods::index_of(&env, self.span(), pattern, from_offset)
      }

      /// Counts the non-overlapping matches of `pattern` (greedy from the left: 'aaa' occurs once
      /// in
      /// 'aaaaa'), on `options.threads` threads (default: all cores; more than the cores is clamped
      /// to them), identical to a one-thread scan.
      /// @param pattern Bytes, or a string searched as UTF-8; not empty.
      /// @param options `offset`/`length` (bytes) restrict the scan; `threads`.
      /// @returns The number of matches.
      /// @throws {TypeError} `ERR_INVALID_ARG_VALUE` for an empty pattern; `ERR_INVALID_ARG_TYPE`
      /// for a
      /// pattern or option of the wrong type.
      /// @throws {RangeError} `ERR_OUT_OF_RANGE` for a bad number (`threads: 0`) or a range past
      /// the end.
      /// @throws {Error} `ERR_MMAP_CLOSED` after `close()`; `ERR_MMAP_TRUNCATED` if the file
      /// shrank.
      /// @example const hits = file.count('GET /api', { threads: 2 })
      #[napi(catch_unwind, ts_args_type = "pattern: Uint8Array | string, options?: ScanOptions")]
      pub fn count(&self, env: Env, pattern: $crate::arguments::BytesArg, options: Option<$crate::arguments::ScanOptionsArg>) -> Result<f64> {
        let value = $crate::scan_methods::count(&env, self.span(), pattern, options)?;
        $crate::js::Js::from_env(&env).get_f64(value)
      }

      /// Offsets of the non-overlapping matches of `pattern`, ascending, at most `options.limit`.
      /// @param pattern Bytes, or a string searched as UTF-8; not empty.
      /// @param options `offset`/`length` (bytes) restrict the scan; `threads`; `limit`.
      /// @returns The match offsets, relative to the receiver.
      /// @throws {TypeError} `ERR_INVALID_ARG_VALUE` for an empty pattern; `ERR_INVALID_ARG_TYPE`
      /// for a
      /// pattern or option of the wrong type.
      /// @throws {RangeError} `ERR_OUT_OF_RANGE` for a bad number or a range past the end, or for
      /// more than 2**24
      /// matches without a `limit` at or below that (stream them with `matches()`).
      /// @throws {Error} `ERR_MMAP_CLOSED` after `close()`; `ERR_MMAP_TRUNCATED` if the file
      /// shrank.
      /// @example const firstErrors = file.findAll('ERROR', { limit: 100 })
      #[napi(catch_unwind, ts_args_type = "pattern: Uint8Array | string, options?: ScanOptions & { limit?: number }", ts_return_type = "number[]")]
      pub fn find_all<'a>(&self, env: &'a Env, pattern: $crate::arguments::BytesArg, options: Option<$crate::arguments::ScanOptionsArg>) -> Result<Unknown<'a>> {
        let value = $crate::scan_methods::find_all(env, self.span(), pattern, options)?;
        Ok($crate::js::Js::from_env(env).unknown(value))
      }

      /// `countLines` off the JS thread. `onProgress(bytesDone, bytesTotal)` is called at least
      /// once,
      /// at most every 50 ms; the last call, before the Promise settles, has `bytesDone ===
      /// bytesTotal`.
      /// @param options `offset`/`length` (bytes), `threads`, `signal`, `onProgress`.
      /// @returns A Promise of the number of newline bytes.
      /// @throws Never synchronously: argument errors, `ERR_MMAP_CLOSED` and an abort
      /// (`AbortError`)
      /// reject the Promise.
      /// @example const lines = await file.countLinesAsync({ signal: AbortSignal.timeout(10_000) })
      #[napi(catch_unwind, ts_args_type = "options?: AsyncScanOptions", ts_return_type = "Promise<number>")]
      pub fn count_lines_async(&self, env: Env, options: Option<$crate::arguments::ScanOptionsArg>) -> Result<$crate::waits::Promise> {
        $crate::scan_methods::scan_async(&env, self.span(), None, options, |_, _| $crate::scan_methods::ScanKind::Byte(b'\n'))
      }

      /// `count` off the JS thread, with `signal` and `onProgress(bytesDone, bytesTotal)`.
      /// @param pattern Bytes, or a string searched as UTF-8; not empty.
      /// @param options `offset`/`length` (bytes), `threads`, `signal`, `onProgress`.
      /// @returns A Promise of the number of non-overlapping matches.
      /// @throws Never synchronously: an empty pattern (`ERR_INVALID_ARG_VALUE`), other argument
      /// errors, `ERR_MMAP_CLOSED` and an abort (`AbortError`) reject the Promise.
      /// @example const errors = await file.countAsync('ERROR', { threads: 1 })
      #[napi(catch_unwind, ts_args_type = "pattern: Uint8Array | string, options?: AsyncScanOptions", ts_return_type = "Promise<number>")]
      pub fn count_async(&self, env: Env, pattern: $crate::arguments::BytesArg, options: Option<$crate::arguments::ScanOptionsArg>) -> Result<$crate::waits::Promise> {
        $crate::scan_methods::scan_async(&env, self.span(), Some(pattern), options, |p, _| $crate::scan_methods::ScanKind::Pattern(p))
      }

      /// `findAll` off the JS thread, with `signal` and `onProgress(bytesDone, bytesTotal)`.
      /// @param pattern Bytes, or a string searched as UTF-8; not empty.
      /// @param options `offset`/`length` (bytes), `threads`, `limit`, `signal`, `onProgress`.
      /// @returns A Promise of the match offsets, ascending.
      /// @throws Never synchronously: argument errors, more than 2**24 matches
      /// (`ERR_OUT_OF_RANGE`),
      /// `ERR_MMAP_CLOSED` and an abort (`AbortError`) reject the Promise.
      /// @example const offsets = await file.findAllAsync('ERROR', { limit: 10 })
      #[napi(catch_unwind, ts_args_type = "pattern: Uint8Array | string, options?: AsyncScanOptions & { limit?: number }", ts_return_type = "Promise<number[]>")]
      pub fn find_all_async(&self, env: Env, pattern: $crate::arguments::BytesArg, options: Option<$crate::arguments::ScanOptionsArg>) -> Result<$crate::waits::Promise> {
        $crate::scan_methods::scan_async(&env, self.span(), Some(pattern), options, $crate::scan_methods::ScanKind::FindAll)
      }
    }
  };
}
pub(crate) use impl_scan_methods;
