//! The typed arguments of the `#[napi]` methods: options objects, enums, paths and numbers in the
//! form the JS layer passes them once `lib/validate.js` has checked them (with Node's messages) and
//! `lib/signatures.js` has normalised them (a `file:` URL to its path, a `FileHandle` to its
//! descriptor, an options object to a plain object of checked fields). napi-rs converts them; its
//! own conversion errors ("Failed to convert JavaScript value ...") cannot happen through the public
//! API, and a caller of the raw binding who bypasses the JS layer gets those errors, never UB.
//!
//! The enums are the public `MmapMode`, `Advice` and `LockKind` types of `binding.d.ts`. The option
//! structs are internal (napi-rs cannot leave an object struct out of `binding.d.ts`, so they are
//! declared there, named `...Arg`, and not exported by `index.d.ts`): the public typings of those
//! methods stay in their `ts_args_type`, since they are narrower unions (`OpenOptions`,
//! `FactoryOptions<M>`, `MapSource`) than the plain objects the binding receives.

use std::path::PathBuf;

use mmapkit_core::{Advice, FlushPolicy, LockKind, MappedFile, MmapError, Mode, OpenOptions};
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::node_error::throw;

/// An offset, length or count the JS layer checked to be a safe integer >= 0.
pub fn index(value: f64) -> u64 {
  // `as` saturates (NaN is 0): a caller bypassing the JS layer gets a range error, never UB.
  value as u64
}

/// An optional [`index`].
pub fn optional_index(value: Option<f64>) -> Option<u64> {
  value.map(index)
}

/// How a file is mapped.
#[napi(string_enum, js_name = "MmapMode")]
#[derive(Clone, Copy)]
pub enum ModeArg {
  #[napi(value = "readOnly")]
  ReadOnly,
  #[napi(value = "readWrite")]
  ReadWrite,
  #[napi(value = "copyOnWrite")]
  CopyOnWrite,
}

impl From<ModeArg> for Mode {
  fn from(mode: ModeArg) -> Mode {
    match mode {
      ModeArg::ReadOnly => Mode::ReadOnly,
      ModeArg::ReadWrite => Mode::ReadWrite,
      ModeArg::CopyOnWrite => Mode::CopyOnWrite,
    }
  }
}

/// How the mapping will be read, passed to the kernel with `madvise` (ignored on Windows).
#[napi(string_enum, js_name = "Advice")]
#[derive(Clone, Copy)]
pub enum AdviceArg {
  #[napi(value = "normal")]
  Normal,
  #[napi(value = "random")]
  Random,
  #[napi(value = "sequential")]
  Sequential,
  #[napi(value = "willNeed")]
  WillNeed,
  #[napi(value = "dontNeed")]
  DontNeed,
}

impl From<AdviceArg> for Advice {
  fn from(advice: AdviceArg) -> Advice {
    match advice {
      AdviceArg::Normal => Advice::Normal,
      AdviceArg::Random => Advice::Random,
      AdviceArg::Sequential => Advice::Sequential,
      AdviceArg::WillNeed => Advice::WillNeed,
      AdviceArg::DontNeed => Advice::DontNeed,
    }
  }
}

/// An advisory whole-file lock: many `'shared'` holders, or one `'exclusive'` holder.
#[napi(string_enum, js_name = "LockKind")]
#[derive(Clone, Copy)]
pub enum LockKindArg {
  #[napi(value = "shared")]
  Shared,
  #[napi(value = "exclusive")]
  Exclusive,
}

impl From<LockKindArg> for LockKind {
  fn from(kind: LockKindArg) -> LockKind {
    match kind {
      LockKindArg::Shared => LockKind::Shared,
      LockKindArg::Exclusive => LockKind::Exclusive,
    }
  }
}

/// An optional lock kind argument, `'exclusive'` when omitted.
pub fn lock_kind(kind: Option<LockKindArg>) -> LockKind {
  kind.map_or(LockKind::Exclusive, LockKind::from)
}

/// Internal (the JS layer's form of `FlushPolicy`): the policy's kind; the counted ones take
/// `flushEvery`.
#[napi(string_enum)]
#[derive(Clone, Copy)]
pub enum FlushPolicyKind {
  #[napi(value = "manual")]
  Manual,
  #[napi(value = "always")]
  Always,
  #[napi(value = "everyBytes")]
  EveryBytes,
  #[napi(value = "everyWrites")]
  EveryWrites,
  #[napi(value = "everyMillis")]
  EveryMillis,
}

/// Internal: the options of `open` and the factories, as `validateOpenOptions` passes them (`flushPolicy`
/// split into its kind and `flushEvery`).
#[napi(object, object_to_js = false)]
pub struct OpenOptionsArg<'a> {
  pub mode: Option<ModeArg>,
  pub create: Option<bool>,
  pub populate: Option<bool>,
  pub huge_pages: Option<bool>,
  pub size: Option<f64>,
  pub offset: Option<f64>,
  pub length: Option<f64>,
  pub advice: Option<AdviceArg>,
  pub lock: Option<LockKindArg>,
  pub flush_policy: Option<FlushPolicyKind>,
  pub flush_every: Option<f64>,
  /// `openAsync` only: an object the JS layer checked to behave as an `AbortSignal`.
  pub signal: Option<Object<'a>>,
}

impl OpenOptionsArg<'_> {
  /// The core's options.
  pub fn to_core(&self) -> OpenOptions {
    let every = self.flush_every.map_or(1, index);
    OpenOptions {
      mode: self.mode.map(Mode::from),
      create: self.create.unwrap_or(false),
      populate: self.populate.unwrap_or(false),
      huge_pages: self.huge_pages.unwrap_or(false),
      size: optional_index(self.size),
      offset: optional_index(self.offset),
      length: optional_index(self.length),
      advice: self.advice.map(Advice::from),
      lock: self.lock.map(LockKind::from),
      flush_policy: match self.flush_policy {
        None | Some(FlushPolicyKind::Manual) => FlushPolicy::Manual,
        Some(FlushPolicyKind::Always) => FlushPolicy::Always,
        Some(FlushPolicyKind::EveryBytes) => FlushPolicy::EveryBytes(every),
        Some(FlushPolicyKind::EveryWrites) => FlushPolicy::EveryWrites(every),
        Some(FlushPolicyKind::EveryMillis) => FlushPolicy::EveryMillis(every),
      },
      ..OpenOptions::default()
    }
  }
}

/// Internal: `{ signal }`, the options of the flush twins and `lockAsync`.
#[napi(object, object_to_js = false)]
pub struct SignalOptionsArg<'a> {
  pub signal: Option<Object<'a>>,
}

/// The signal of optional `{ signal }` options.
pub fn signal_of<'a>(options: Option<SignalOptionsArg<'a>>) -> Option<Object<'a>> {
  options.and_then(|options| options.signal)
}

/// A path, as the JS layer passes it: a string, or a Buffer of the path's bytes.
pub type PathArg = Either<String, Uint8Array>;

/// A [`PathArg`] as the OS path it names.
pub fn path(path: PathArg) -> PathBuf {
  match path {
    Either::A(text) => PathBuf::from(text),
    Either::B(bytes) => path_from_bytes(bytes.to_vec()),
  }
}

#[cfg(unix)]
fn path_from_bytes(bytes: Vec<u8>) -> PathBuf {
  use std::os::unix::ffi::OsStringExt;
  PathBuf::from(std::ffi::OsString::from_vec(bytes))
}

#[cfg(not(unix))]
fn path_from_bytes(bytes: Vec<u8>) -> PathBuf {
  // Node decodes Buffer paths as UTF-8 on Windows.
  PathBuf::from(String::from_utf8_lossy(&bytes).into_owned())
}

/// `path | fd | FileHandle` as the JS layer passes it: a path, or a file descriptor (a closed
/// FileHandle's -1 included, for the OS to report EBADF).
pub type SourceArg = Either3<String, Uint8Array, i32>;

/// What `MemoryMappedFile.open` and its siblings map: a path, or a file the caller opened (a file
/// descriptor or a `FileHandle`), duplicated so that the caller keeps ownership of theirs.
pub enum Source {
  Path(PathBuf),
  /// The duplicate and the name it goes by in errors and in `path`.
  File(std::fs::File, String),
}

impl Source {
  /// The source `value` names; duplicates a descriptor now (`EBADF` for a closed one).
  pub fn new(env: &Env, value: SourceArg) -> Result<Source> {
    match value {
      Either3::A(text) => Ok(Source::Path(path(Either::A(text)))),
      Either3::B(bytes) => Ok(Source::Path(path(Either::B(bytes)))),
      Either3::C(fd) => {
        let (file, name) = mmapkit_core::descriptor::duplicate(fd).map_err(|e| throw(env, e))?;
        Ok(Source::File(file, name))
      }
    }
  }

  /// Opens and maps the source as `options` ask.
  pub fn open(
    self,
    options: &OpenOptions,
    abort: Option<&std::sync::atomic::AtomicBool>,
  ) -> std::result::Result<MappedFile, MmapError> {
    match self {
      Source::Path(path) => MappedFile::open_cancellable(&path, options, abort),
      Source::File(file, name) => MappedFile::open_file(file, &name, options, abort),
    }
  }
}

/// Bytes to write or search for, as the JS layer passes them: a string (UTF-8) or a Uint8Array.
pub type BytesArg<'a> = Either<String, Uint8ArraySlice<'a>>;

/// A private copy of [`BytesArg`]'s bytes (patterns, delimiters, a `writeMmap` payload).
pub fn bytes_vec(bytes: BytesArg<'_>) -> Vec<u8> {
  match bytes {
    Either::A(text) => text.into_bytes(),
    // A shared slice for the copy only: nothing writes through a reference meanwhile (no JS runs),
    // and the copy is fresh memory, so even a view of a mapping aliases nothing here.
    Either::B(view) => view.to_vec(),
  }
}

/// Internal: the options of `count`/`findAll` and their async twins.
#[napi(object, object_to_js = false)]
pub struct ScanOptionsArg<'a> {
  pub offset: Option<f64>,
  pub length: Option<f64>,
  pub limit: Option<f64>,
  pub threads: Option<f64>,
  pub signal: Option<Object<'a>>,
  pub on_progress: Option<Function<'a, FnArgs<(f64, f64)>, Unknown<'static>>>,
}

/// Internal: the options of `lines()`.
#[napi(object, object_to_js = false)]
pub struct LinesOptionsArg {
  pub delimiter: Option<Uint8Array>,
  pub crlf: Option<bool>,
  pub offset: Option<f64>,
  pub length: Option<f64>,
}

/// Internal: the options of `splitRanges()`.
#[napi(object, object_to_js = false)]
pub struct SplitOptionsArg {
  pub delimiter: Option<Uint8Array>,
  pub offset: Option<f64>,
  pub length: Option<f64>,
}

/// Internal: the options of `matches()` (its `signal` stays in the JS layer).
#[napi(object, object_to_js = false)]
pub struct MatchesOptionsArg {
  pub overlapping: Option<bool>,
  pub offset: Option<f64>,
  pub length: Option<f64>,
  /// At least 1 (checked by lib/validate.js); more than the cores is clamped to them.
  pub threads: Option<f64>,
}

/// The typed-array classes `typedArray` accepts, passed by name.
#[napi(string_enum, skip_typescript)]
#[derive(Clone, Copy)]
pub enum TypedArrayName {
  #[napi(value = "Int8Array")]
  Int8,
  #[napi(value = "Uint8Array")]
  Uint8,
  #[napi(value = "Uint8ClampedArray")]
  Uint8Clamped,
  #[napi(value = "Int16Array")]
  Int16,
  #[napi(value = "Uint16Array")]
  Uint16,
  #[napi(value = "Int32Array")]
  Int32,
  #[napi(value = "Uint32Array")]
  Uint32,
  #[napi(value = "Float32Array")]
  Float32,
  #[napi(value = "Float64Array")]
  Float64,
  #[napi(value = "BigInt64Array")]
  BigInt64,
  #[napi(value = "BigUint64Array")]
  BigUint64,
}

/// Internal: the options of `RingBuffer.create`.
#[napi(object, object_to_js = false)]
pub struct RingOptionsArg {
  pub overwrite: Option<bool>,
}

/// Internal: the options of `RingBuffer.popAsync`.
#[napi(object, object_to_js = false)]
pub struct PopOptionsArg<'a> {
  pub timeout_ms: Option<f64>,
  pub signal: Option<Object<'a>>,
}
