//! The big-file toolkit methods of `MemoryMappedFile` and `Segment` (`lines`, `splitRanges`,
//! `matches`, `lastIndexOf`, `typedArray`, `residency`): argument conversion here, the work in
//! `mmapkit_core::{records, split, matches, residency}`. Offsets are relative to the receiver.
//! The iteration protocol of the two iterator classes is plain JavaScript (`lib/toolkit.js`).

use std::ptr;

use mmapkit_core::matches::{last_index_of, MatchCursor};
use mmapkit_core::records::{Delimiter, Records};
use mmapkit_core::scan::{default_threads, threads_for};
use mmapkit_core::split::split_ranges;
use mmapkit_core::MmapError;
use napi::bindgen_prelude::*;
use napi::sys;

use crate::arguments::{
  bytes_vec, index, optional_index, BytesArg, LinesOptionsArg, MatchesOptionsArg, SplitOptionsArg,
  TypedArrayName,
};
use crate::file::MemoryMappedFile;
use crate::js::{ErrorClass, Js};
use crate::line_iterator::LineIterator;
use crate::match_iterator::MatchIterator;
use crate::node_error::{throw, OrThrow};
use crate::scan_methods::ScanTarget;
use crate::segment::Segment;
use crate::span::Span;

/// `ERR_MMAP_CLOSED` unless the span is open and still covers its window; the mapping's own error
/// (`ERR_MMAP_TRUNCATED` after a fault through a view) as every other method reports it.
fn live(env: &Env, span: &Span) -> Result<()> {
  span.check().or_throw(env)
}

/// `options.delimiter` (its bytes, checked non-empty by the JS layer); default `'\n'`.
fn delimiter(env: &Env, bytes: Option<&Uint8Array>) -> Result<Delimiter> {
  match bytes {
    None => Ok(Delimiter::newline()),
    // A shared slice, read once into the delimiter's own copy (no JS runs meanwhile).
    Some(bytes) => Delimiter::new(bytes).or_throw(env),
  }
}

/// `options.offset` / `options.length` as a checked mapping range of the span.
fn window(env: &Env, span: &Span, offset: Option<f64>, length: Option<f64>) -> Result<(u64, u64)> {
  span.range_or_rest(
    env,
    optional_index(offset).unwrap_or(0),
    optional_index(length),
    ("options.offset", "options.length"),
  )
}

pub fn lines(env: &Env, span: &Span, options: Option<LinesOptionsArg>) -> Result<LineIterator> {
  live(env, span)?;
  let options = options.unwrap_or(LinesOptionsArg {
    delimiter: None,
    crlf: None,
    offset: None,
    length: None,
  });
  let delimiter = delimiter(env, options.delimiter.as_ref())?;
  let crlf = options.crlf.unwrap_or(false);
  let (start, length) = window(env, span, options.offset, options.length)?;
  Ok(LineIterator::new(
    span.clone(),
    start,
    length,
    Records::new(delimiter, crlf, 0..length as usize),
  ))
}

pub fn split_ranges_js<'a>(
  env: &'a Env,
  span: &Span,
  parts: f64,
  options: Option<SplitOptionsArg>,
) -> Result<Unknown<'a>> {
  live(env, span)?;
  let js = Js::from_env(env);
  // The JS layer keeps `parts` in 1..=2**24 (as many ranges as findAll returns offsets at most:
  // the result is an array in the heap).
  let parts = index(parts);
  let options = options.unwrap_or(SplitOptionsArg {
    delimiter: None,
    offset: None,
    length: None,
  });
  let delimiter = delimiter(env, options.delimiter.as_ref())?;
  let (start, length) = window(env, span, options.offset, options.length)?;
  let ranges = span
    .mapping
    .with_bytes(start, length, |bytes| {
      split_ranges(bytes, parts, &delimiter)
    })
    .or_throw(env)?;
  let mut array = env.create_array(ranges.len() as u32)?;
  let relative = start - span.base;
  for (i, range) in ranges.into_iter().enumerate() {
    let mut item = Object::new(env)?;
    item.set_named_property("offset", (relative + range.start as u64) as f64)?;
    item.set_named_property("length", range.len() as f64)?;
    array.set(i as u32, item)?;
  }
  Ok(js.unknown(array.raw()))
}

pub fn matches(
  env: &Env,
  span: &Span,
  needle: BytesArg,
  options: Option<MatchesOptionsArg>,
) -> Result<MatchIterator> {
  live(env, span)?;
  let needle = bytes_vec(needle);
  let options = options.unwrap_or(MatchesOptionsArg {
    overlapping: None,
    offset: None,
    length: None,
    threads: None,
  });
  let overlapping = options.overlapping.unwrap_or(false);
  // More than the cores is clamped, not refused, as for the scans.
  let threads = options
    .threads
    .map_or_else(default_threads, |threads| threads_for(index(threads)));
  let (start, length) = window(env, span, options.offset, options.length)?;
  let cursor = MatchCursor::new(&needle, 0..length as usize, overlapping, threads).or_throw(env)?;
  Ok(MatchIterator::new(
    span.clone(),
    start,
    length,
    start - span.base,
    cursor,
  ))
}

pub fn last_index_of_js(
  env: &Env,
  span: &Span,
  needle: BytesArg,
  from: Option<f64>,
) -> Result<f64> {
  live(env, span)?;
  let needle = bytes_vec(needle);
  let from = optional_index(from);
  let (start, length) = span.range_or_rest(env, 0, None, ("offset", "length"))?;
  let from = from.unwrap_or(length).min(length) as usize;
  let found = span
    .mapping
    .with_bytes(start, length, |bytes| last_index_of(bytes, &needle, from))
    .or_throw(env)?;
  Ok(found.map_or(-1.0, |at| at as f64))
}

/// The typed array classes `typedArray` accepts, in [`TypedArrayName`]'s order: name, element
/// size, Node-API type.
const TYPED_ARRAYS: [(&str, u64, i32); 11] = [
  ("Int8Array", 1, sys::TypedarrayType::int8_array),
  ("Uint8Array", 1, sys::TypedarrayType::uint8_array),
  (
    "Uint8ClampedArray",
    1,
    sys::TypedarrayType::uint8_clamped_array,
  ),
  ("Int16Array", 2, sys::TypedarrayType::int16_array),
  ("Uint16Array", 2, sys::TypedarrayType::uint16_array),
  ("Int32Array", 4, sys::TypedarrayType::int32_array),
  ("Uint32Array", 4, sys::TypedarrayType::uint32_array),
  ("Float32Array", 4, sys::TypedarrayType::float32_array),
  ("Float64Array", 8, sys::TypedarrayType::float64_array),
  ("BigInt64Array", 8, sys::TypedarrayType::bigint64_array),
  ("BigUint64Array", 8, sys::TypedarrayType::biguint64_array),
];

pub fn typed_array<'a>(
  env: &'a Env,
  span: &Span,
  class: TypedArrayName,
  byte_offset: f64,
  length: f64,
) -> Result<Unknown<'a>> {
  live(env, span)?;
  let js = Js::from_env(env);
  let (name, size, kind) = TYPED_ARRAYS[class as usize];
  let byte_offset = index(byte_offset);
  let length = index(length);
  let total = span.len().or_throw(env)?;
  if byte_offset > total {
    return Err(throw(
      env,
      MmapError::out_of_range("byteOffset", total, byte_offset),
    ));
  }
  let room = (total - byte_offset) / size;
  if length > room {
    return Err(throw(env, MmapError::out_of_range("length", room, length)));
  }
  if length == 0 {
    // No elements, no bytes: nothing to share, and a zero-length mapping has no address. An empty
    // `Type` of its own, at an in-range byteOffset aligned in the file (as `new Type(buffer,
    // byteOffset, 0)` wants its byteOffset aligned in the buffer).
    let in_file = span.mapping.offset() + span.base + byte_offset;
    if in_file % size != 0 {
      let message = format!(
        "The value of \"byteOffset\" must be a multiple of {size} ({name}.BYTES_PER_ELEMENT) in \
         the file; the mapping's file offset plus {byte_offset} is not. Received {byte_offset}"
      );
      let error = js.error(ErrorClass::RangeError, "ERR_MMAP_MISALIGNED", &message)?;
      return Err(js.into_error(error));
    }
    return empty_typed_array(js, kind);
  }
  // The largest view the runtime can make, in elements: an error names the caller's `length`.
  let max_elements = crate::views::max_view_length() / size;
  if length > max_elements {
    return Err(throw(
      env,
      MmapError::out_of_range("length", max_elements, length),
    ));
  }
  let bytes = length * size;
  let at = span.base + byte_offset;
  let raw = span.mapping.view(at, bytes).or_throw(env)?;
  if raw.ptr as usize % size as usize != 0 {
    let message = format!(
      "The value of \"byteOffset\" must make the view's address a multiple of {size} \
       ({name}.BYTES_PER_ELEMENT); the mapping's address plus {byte_offset} is not. Received {byte_offset}"
    );
    let error = js.error(ErrorClass::RangeError, "ERR_MMAP_MISALIGNED", &message)?;
    return Err(js.into_error(error));
  }
  let view = span.view(env, at, bytes)?;
  let Some(parts) = js.typed_array(view) else {
    return Err(Error::new(
      Status::GenericFailure,
      "Could not read the view's buffer",
    ));
  };
  let (array_buffer, view_offset) = (parts.buffer, parts.byte_offset);
  if view_offset % size as usize != 0 {
    // Views sharing one ArrayBuffer per mapping start it at the window's first byte: for a window
    // at a file offset that is not a multiple of the element size, no typed array over it can
    // start at an aligned address. (Views with an ArrayBuffer each start it at the view.)
    let message = format!(
      "The value of \"byteOffset\" is aligned, but this mapping's views share an ArrayBuffer that \
       starts at the window's file offset {}, which is not a multiple of {size} ({name}.BYTES_PER_ELEMENT). \
       Received {byte_offset}",
      span.mapping.offset()
    );
    let error = js.error(ErrorClass::RangeError, "ERR_MMAP_MISALIGNED", &message)?;
    return Err(js.into_error(error));
  }
  let mut typed = ptr::null_mut();
  // SAFETY: `array_buffer` is the view's ArrayBuffer, which holds `length * size` bytes at
  // `view_offset` (the view's own bytes); the offset is aligned since the address is.
  let status = unsafe {
    sys::napi_create_typedarray(
      js.0,
      kind,
      length as usize,
      array_buffer,
      view_offset,
      &mut typed,
    )
  };
  if status != sys::Status::napi_ok {
    return Err(Error::new(
      Status::from(status),
      "Could not create the typed array",
    ));
  }
  // No link back to `view` is needed: the finalizer that releases the hold on the address range
  // runs when the backing store is freed, and `typed` holds the same backing store. (A property
  // on `typed` would also give it a map of its own, making every function that sees both it and
  // an ordinary typed array polymorphic: 30% slower dot products.)
  Ok(js.unknown(typed))
}

/// `new Type(0)`: the zero-element answer of `typedArray`.
fn empty_typed_array<'a>(js: Js, kind: i32) -> Result<Unknown<'a>> {
  let mut buffer = ptr::null_mut();
  let mut data = ptr::null_mut();
  let mut typed = ptr::null_mut();
  // SAFETY: valid out-pointers; a zero-byte ArrayBuffer of this env, then a zero-element typed
  // array of `kind` (one of the TYPED_ARRAYS kinds) over it.
  let status = unsafe {
    match sys::napi_create_arraybuffer(js.0, 0, &mut data, &mut buffer) {
      sys::Status::napi_ok => sys::napi_create_typedarray(js.0, kind, 0, buffer, 0, &mut typed),
      failed => failed,
    }
  };
  if status != sys::Status::napi_ok {
    return Err(Error::new(
      Status::from(status),
      "Could not create the typed array",
    ));
  }
  Ok(js.unknown(typed))
}

pub fn residency<'a>(
  env: &'a Env,
  span: &Span,
  offset: Option<f64>,
  length: Option<f64>,
) -> Result<Unknown<'a>> {
  live(env, span)?;
  let (start, length) = span.optional_range(env, offset, length)?;
  let residency = span.mapping.residency(start, length).or_throw(env)?;
  let mut object = Object::new(env)?;
  object.set_named_property("residentBytes", residency.resident_bytes as f64)?;
  object.set_named_property("totalBytes", residency.total_bytes as f64)?;
  Ok(Js::from_env(env).unknown(object.raw()))
}

/// Generates the `#[napi]` toolkit methods of a [`ScanTarget`] class.
macro_rules! impl_toolkit_methods {
  ($class:ty) => {
    #[napi_derive::napi]
    impl $class {
      /// Zero-copy views of the records of the receiver (or of `options.offset`/`length`), one per
      /// delimiter (default: the newline byte 0x0A), without it; the last record is yielded even without
      /// a delimiter, an empty range yields nothing. The views follow `asBuffer`'s lifetime rules.
      /// @param options `delimiter` (a byte, string or bytes; not empty), `crlf` (also drop one CR byte
      /// directly before each newline delimiter), `offset`/`length` in bytes.
      /// @returns An iterator (sync and async) of `Buffer` views.
      /// @throws {TypeError} `ERR_INVALID_ARG_VALUE` for an empty delimiter; `ERR_INVALID_ARG_TYPE` for an
      /// option of the wrong type.
      /// @throws {RangeError} `ERR_OUT_OF_RANGE` if the range passes the end.
      /// @throws {Error} `ERR_MMAP_CLOSED` after `close()`; `ERR_MMAP_TRUNCATED` after a fault through a view.
      /// @example for (const line of file.lines({ crlf: true })) console.log(line.toString())
      #[napi(
        catch_unwind,
        ts_args_type = "options?: LinesOptions",
        ts_return_type = "LineIterator"
      )]
      pub fn lines(
        &self,
        env: Env,
        options: Option<$crate::arguments::LinesOptionsArg>,
      ) -> Result<$crate::line_iterator::LineIterator> {
        $crate::toolkit::lines(&env, self.span(), options)
      }

      /// At most `parts` ranges of near-equal size covering the receiver (or `options.offset`/`length`)
      /// exactly, each but the last ending just after a delimiter (default: the newline byte), so that no
      /// record straddles two ranges; near a cut without a delimiter, ranges merge. For handing each worker
      /// thread a window: `openRo(path, { offset: file.offset + r.offset, length: r.length })`.
      /// @param parts How many ranges at most: an integer, at least 1.
      /// @param options `delimiter` (a byte, string or bytes; not empty), `offset`/`length` in bytes.
      /// @returns The ranges in order, offsets relative to the receiver.
      /// @throws {RangeError} `ERR_OUT_OF_RANGE` for `parts` below 1, above 2**24 or fractional, or a
      /// range past the end.
      /// @throws {TypeError} `ERR_INVALID_ARG_VALUE` for an empty delimiter.
      /// @throws {Error} `ERR_MMAP_CLOSED` after `close()`; `ERR_MMAP_TRUNCATED` after a fault through a view.
      /// @example const ranges = file.splitRanges(os.availableParallelism())
      #[napi(
        catch_unwind,
        ts_args_type = "parts: number, options?: SplitRangesOptions",
        ts_return_type = "Range[]"
      )]
      pub fn split_ranges<'a>(
        &self,
        env: &'a Env,
        parts: f64,
        options: Option<$crate::arguments::SplitOptionsArg>,
      ) -> Result<Unknown<'a>> {
        $crate::toolkit::split_ranges_js(env, self.span(), parts, options)
      }

      /// The offsets of the matches of `pattern`, ascending, found as they are consumed (memory does not
      /// grow with their number); non-overlapping unless `options.overlapping`. The search runs a
      /// window ahead of the consumer, each window split between `options.threads` threads.
      /// @param pattern Bytes, or a string searched as UTF-8; not empty.
      /// @param options `offset`/`length` (bytes), `overlapping` (default false), `threads` (default:
      /// all cores), `signal` (ends the async form with an `AbortError`).
      /// @returns An iterator (sync and async) of offsets relative to the receiver.
      /// @throws {TypeError} `ERR_INVALID_ARG_VALUE` for an empty pattern; `ERR_INVALID_ARG_TYPE` for a
      /// pattern or option of the wrong type.
      /// @throws {RangeError} `ERR_OUT_OF_RANGE` if the range passes the end, or for `threads: 0`.
      /// @throws {Error} `ERR_MMAP_CLOSED` after `close()`; `ERR_MMAP_TRUNCATED` after a fault through a view.
      /// @example for (const at of file.matches('ERROR')) console.log(at)
      #[napi(
        catch_unwind,
        ts_args_type = "pattern: Uint8Array | string, options?: MatchesOptions",
        ts_return_type = "MatchIterator"
      )]
      pub fn matches(
        &self,
        env: Env,
        pattern: $crate::arguments::BytesArg,
        options: Option<$crate::arguments::MatchesOptionsArg>,
      ) -> Result<$crate::match_iterator::MatchIterator> {
        $crate::toolkit::matches(&env, self.span(), pattern, options)
      }

      /// Finds the last match of `pattern` starting at or before `fromOffset`, as
      /// `Buffer.prototype.lastIndexOf`.
      /// @param pattern Bytes, or a string searched as UTF-8; not empty.
      /// @param fromOffset The last start to consider (relative to the receiver). Default: the end.
      /// @returns The match's offset, or -1.
      /// @throws {TypeError} `ERR_INVALID_ARG_VALUE` for an empty pattern.
      /// @throws {RangeError} `ERR_OUT_OF_RANGE` for a negative or fractional `fromOffset`.
      /// @throws {Error} `ERR_MMAP_CLOSED` after `close()`; `ERR_MMAP_TRUNCATED` if the file shrank.
      /// @example const lastError = file.lastIndexOf('ERROR')
      #[napi(catch_unwind)]
      pub fn last_index_of(
        &self,
        env: Env,
        pattern: Either<String, Uint8ArraySlice>,
        from_offset: Option<f64>,
      ) -> Result<f64> {
        $crate::toolkit::last_index_of_js(&env, self.span(), pattern, from_offset)
      }

      /// A zero-copy `Type` view of `length` elements at `byteOffset`, in the host's byte order;
      /// lifetime as `asBuffer`.
      /// @param Type A typed-array class (`Float32Array`, `BigInt64Array`, ...).
      /// @param byteOffset Byte offset; the view's address (the mapping's address plus `byteOffset`)
      /// must be a multiple of `Type.BYTES_PER_ELEMENT`, unless `length` is 0.
      /// @param length Number of elements. 0 gives an empty `Type` at any `byteOffset` up to the
      /// mapping's length, on any mapping (also a zero-length one): no elements, nothing to align.
      /// @returns A `Type` over the mapping's bytes (for `length` 0, an empty `Type` of its own).
      /// @throws {RangeError} `ERR_MMAP_MISALIGNED` for a misaligned address (`length` > 0);
      /// `ERR_OUT_OF_RANGE` if the view passes the end.
      /// @throws {TypeError} `ERR_INVALID_ARG_TYPE` if `Type` is not a typed-array class.
      /// @throws {Error} `ERR_MMAP_CLOSED` after `close()`; `ERR_MMAP_TRUNCATED` after a fault through a view.
      /// @example const samples = file.typedArray(Float32Array, 64, 1024)
      #[napi(
        catch_unwind,
        ts_generic_types = "T extends TypedArrayConstructor",
        ts_args_type = "Type: T, byteOffset: number, length: number",
        ts_return_type = "InstanceType<T>"
      )]
      pub fn typed_array<'a>(
        &self,
        env: &'a Env,
        class: $crate::arguments::TypedArrayName,
        byte_offset: f64,
        length: f64,
      ) -> Result<Unknown<'a>> {
        $crate::toolkit::typed_array(env, self.span(), class, byte_offset, length)
      }

      /// How much of a range (default: all) is resident in RAM (`mincore`; Unix only).
      /// @param offset Byte offset of the range. Default 0.
      /// @param length The range's length in bytes. Default: to the end.
      /// @returns `{ residentBytes, totalBytes }`.
      /// @throws {RangeError} `ERR_OUT_OF_RANGE` if the range passes the end.
      /// @throws {Error} `ERR_MMAP_CLOSED` after `close()`; `ERR_MMAP_TRUNCATED` after a fault through a view.
      /// @example const { residentBytes, totalBytes } = file.residency()
      #[napi(catch_unwind, ts_return_type = "Residency")]
      pub fn residency<'a>(
        &self,
        env: &'a Env,
        offset: Option<f64>,
        length: Option<f64>,
      ) -> Result<Unknown<'a>> {
        $crate::toolkit::residency(env, self.span(), offset, length)
      }
    }
  };
}

impl_toolkit_methods!(MemoryMappedFile);
impl_toolkit_methods!(Segment);
