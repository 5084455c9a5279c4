//! `class RingBuffer`: the JS face of `mmapkit_core::RingBuffer`, a message queue in a mapped file
//! shared between processes.

use std::cell::Cell;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mmapkit_core::{MmapError, RingBuffer as CoreRing};
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::abort::AbortWatch;
use crate::arguments::{bytes_vec, index, optional_index, PopOptionsArg, RingOptionsArg};
use crate::js::{Js, Value};
use crate::node_error::OrThrow;
use crate::raw_arguments as args;
use crate::settle::Settle;
use crate::waits;

/// A message queue in a mapped file, for processes (or threads) on one machine: one producer at a
/// time, any number of consumers, messages in order, none lost, none duplicated, none torn, even
/// when a producer is killed mid-push. Create it with `RingBuffer.create`, attach with
/// `RingBuffer.open`.
#[napi(custom_finalize)]
pub struct RingBuffer {
  ring: Arc<CoreRing>,
  /// This object's entry in the hot calls' table, once registered (`hot/`).
  pub(crate) handle: Cell<Option<f64>>,
}

impl ObjectFinalize for RingBuffer {
  fn finalize(self, _env: Env) -> Result<()> {
    if let Some(handle) = self.handle.get() {
      crate::hot_handles::remove(handle);
    }
    Ok(())
  }
}

#[napi]
impl RingBuffer {
  /// Creates (or replaces) `path` with an empty ring. Each message takes its length plus 4 bytes,
  /// rounded up to 8.
  /// @param path A path (string, Buffer or `file:` URL).
  /// @param capacityBytes The data area's size in bytes (rounded up to a multiple of 8, at least
  /// 16).
  /// @param options `overwrite: true`: a full ring drops its oldest messages instead of refusing a
  /// push.
  /// @returns The open, empty ring.
  /// @throws {RangeError} `ERR_OUT_OF_RANGE` for a negative or fractional `capacityBytes`.
  /// @throws {Error} The OS error (`ENOENT` for a missing directory, `EACCES`, `ENOSPC`, ...).
  /// @example const queue = RingBuffer.create('jobs.ring', 1 << 20)
  #[napi(
    catch_unwind,
    ts_args_type = "path: PathLike, capacityBytes: number, options?: { overwrite?: boolean }"
  )]
  pub fn create(
    env: Env,
    path: String,
    capacity: f64,
    options: Option<RingOptionsArg>,
  ) -> Result<RingBuffer> {
    let overwrite = options.and_then(|o| o.overwrite).unwrap_or(false);
    let ring = CoreRing::create(&path, index(capacity), overwrite).or_throw(&env)?;
    Ok(RingBuffer::wrap(ring))
  }

  /// Opens an existing ring, usually from another process.
  /// @param path A path (string, Buffer or `file:` URL).
  /// @returns The open ring.
  /// @throws {Error} `ERR_MMAP_CORRUPT` for a file that is not a valid ring (wrong magic, version,
  /// capacity or positions); the OS error (`ENOENT`, `EACCES`, ...).
  /// @example const jobs = RingBuffer.open('jobs.ring')
  #[napi(catch_unwind, ts_args_type = "path: PathLike")]
  pub fn open(env: Env, path: String) -> Result<RingBuffer> {
    let ring = CoreRing::open(&path).or_throw(&env)?;
    Ok(RingBuffer::wrap(ring))
  }

  /// Appends a message. One producer at a time.
  /// @param message Bytes, or a string sent as UTF-8.
  /// @returns `false` when it does not fit now (never in overwrite mode), else `true`.
  /// @throws {RangeError} `ERR_OUT_OF_RANGE` for a message longer than `capacity - 4` bytes or than
  /// the format's 4-byte length prefix can describe (4 GiB - 1), before anything is written.
  /// @throws {Error} `ERR_MMAP_CLOSED` after `close()`; `ERR_MMAP_CORRUPT` for a damaged ring.
  /// @example if (!queue.push(JSON.stringify(job))) console.log('queue full')
  #[napi(catch_unwind)]
  pub fn push(&self, env: Env, message: Either<String, Uint8ArraySlice>) -> Result<bool> {
    // Replaced at load time by the hot call `ringPush` (lib/hot.js); kept for the typings.
    self.ring.push(&bytes_vec(message)).or_throw(&env)
  }

  /// Removes and returns the oldest message. Like `Buffer.allocUnsafe`, small messages are slices
  /// of a shared pool: their `.buffer` may hold other messages' bytes.
  /// @returns The message (a copy), or `null` if the ring is empty.
  /// @throws {Error} `ERR_MMAP_CLOSED` after `close()`; `ERR_MMAP_CORRUPT` for a damaged ring.
  /// @example const message = jobs.pop()?.toString()
  #[napi(catch_unwind, ts_return_type = "OwnedBuffer | null")]
  pub fn pop(&self, env: Env) -> Result<Option<Buffer>> {
    Ok(self.ring.pop().or_throw(&env)?.map(Buffer::from))
  }

  /// Reads the oldest message without removing it.
  /// @returns A copy of the message, or `null` if the ring is empty.
  /// @throws {Error} `ERR_MMAP_CLOSED` after `close()`; `ERR_MMAP_CORRUPT` for a damaged ring.
  /// @example if (jobs.peek() !== null) console.log('work waiting')
  #[napi(catch_unwind, ts_return_type = "OwnedBuffer | null")]
  pub fn peek(&self, env: Env) -> Result<Option<Buffer>> {
    Ok(self.ring.peek().or_throw(&env)?.map(Buffer::from))
  }

  /// Waits for a message without blocking the JS thread (Linux: a futex the producer wakes; other
  /// systems: polling every millisecond) and pops it. The wait runs on a thread of its own, not
  /// libuv's pool, and never delays `process.exit()` or `worker.terminate()`.
  /// @param options `timeoutMs`: give up after this many milliseconds (default: wait forever);
  /// `signal`: abort the wait.
  /// @returns A Promise of the message, or of `null` after `timeoutMs`.
  /// @throws Never synchronously: an abort (`AbortError`), `close()` (`ERR_MMAP_CLOSED`) and a bad
  /// `timeoutMs` (`ERR_OUT_OF_RANGE`) reject the Promise.
  /// @example const message = await jobs.popAsync({ timeoutMs: 1000 })
  #[napi(
    catch_unwind,
    ts_args_type = "options?: { signal?: AbortSignal; timeoutMs?: number }",
    ts_return_type = "Promise<OwnedBuffer | null>"
  )]
  pub fn pop_async<'env>(
    &self,
    env: &'env Env,
    options: Option<PopOptionsArg>,
  ) -> Result<Object<'env>> {
    let (timeout, signal) = match options {
      Some(options) => (optional_index(options.timeout_ms), options.signal),
      None => (None, None),
    };
    let timeout = timeout.map(Duration::from_millis);
    let settle = match AbortWatch::new(Js::from_env(env), signal.map(|signal| signal.raw())) {
      Ok(watch) => Settle::ok(watch),
      Err(error) => Settle::rejecting(error),
    };
    let ring = Arc::clone(&self.ring);
    waits::start(
      env,
      waits::Launch::Now("popAsync"),
      settle,
      move |stop| pop_waiting(&ring, timeout, stop),
      Box::new(|env, settle, output: Popped| Ok(settle.settle(env, output)?.map(Buffer::from))),
    )
  }

  /// Messages waiting.
  #[napi(getter)]
  pub fn length(&self, env: Env) -> Result<f64> {
    Ok(self.ring.len().or_throw(&env)? as f64)
  }

  /// Bytes in the data area.
  #[napi(getter)]
  pub fn capacity(&self) -> f64 {
    self.ring.capacity() as f64
  }

  /// Whether a full ring drops its oldest messages.
  #[napi(getter)]
  pub fn overwrite(&self) -> bool {
    self.ring.overwrites()
  }

  /// Whether `close()` has run.
  #[napi(getter)]
  pub fn closed(&self) -> bool {
    self.ring.is_closed()
  }

  /// Unmaps the ring and closes the file; idempotent. A `popAsync` in progress ends with
  /// `ERR_MMAP_CLOSED`.
  /// @throws {TypeError} `ERR_INVALID_THIS` only when called on something that is not a RingBuffer.
  /// @example queue.close()
  #[napi(catch_unwind)]
  pub fn close(&self) {
    self.ring.close();
  }
}

/// The bodies shared by the `#[napi]` methods and the hot calls (`hot/calls.rs`).
impl RingBuffer {
  fn wrap(ring: CoreRing) -> Self {
    RingBuffer {
      ring: Arc::new(ring),
      handle: Cell::new(None),
    }
  }

  /// What the fast paths keep for this ring.
  pub(crate) fn core(&self) -> Arc<CoreRing> {
    Arc::clone(&self.ring)
  }

  pub(crate) fn push_on(ring: &CoreRing, env: &Env, message: Value) -> Result<bool> {
    let bytes = args::bytes(Js::from_env(env), message, "message")?;
    // Refuse an oversized message before copying it (it may be gigabytes).
    ring.check_message_len(bytes.raw().1 as u64).or_throw(env)?;
    ring.push(&bytes.to_vec()).or_throw(env)
  }

  pub(crate) fn pop_into_on(
    ring: &CoreRing,
    env: &Env,
    target: &mut [u8],
  ) -> Result<mmapkit_core::ring::Taken> {
    ring.pop_into(target).or_throw(env)
  }
}

/// What `popAsync`'s wait found: a message, `None` after the timeout, or why it failed.
type Popped = std::result::Result<Option<Vec<u8>>, MmapError>;

/// `popAsync`'s wait (on a thread of its own, see `waits.rs`): pops a message, waiting for one
/// until `timeout` (then `None`), `stop` (an abort or the environment's teardown), or `close()`
/// (`ERR_MMAP_CLOSED`, noticed within one 50 ms wait slice).
fn pop_waiting(ring: &CoreRing, timeout: Option<Duration>, stop: &AtomicBool) -> Popped {
  let deadline = timeout.map(|t| Instant::now() + t);
  loop {
    if let Some(message) = ring.pop()? {
      return Ok(Some(message));
    }
    let left = match deadline {
      Some(deadline) => match deadline.checked_duration_since(Instant::now()) {
        Some(left) => Some(left),
        None => return Ok(None),
      },
      None => None,
    };
    if !ring.wait(left, stop)? {
      return ring.pop();
    }
  }
}
