//! File locks on `MemoryMappedFile`: `lock`, `lockAsync`, `tryLock`, `unlock`.

use std::sync::Arc;

use mmapkit_core::MmapError;
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::abort::AbortWatch;
use crate::arguments::{lock_kind, signal_of, LockKindArg, SignalOptionsArg};
use crate::file::MemoryMappedFile;
use crate::js::Js;
use crate::node_error::OrThrow;
use crate::settle::Settle;
use crate::waits;

#[napi]
impl MemoryMappedFile {
  /// Takes an advisory lock on the whole file, waiting until it is granted; this blocks the JS
  /// thread, so prefer `lockAsync` where others may hold it long. Locks are between processes (and
  /// between separate opens of the file); `close()` releases it.
  /// @param kind `'shared'` or `'exclusive'` (the default).
  /// @throws {TypeError} `ERR_INVALID_ARG_VALUE` for another `kind`.
  /// @throws {Error} `ERR_MMAP_CLOSED` after `close()`; the OS error (`flock`).
  /// @example file.lock('exclusive'); try { file.updateRegion(0, 'x') } finally { file.unlock() }
  #[napi(catch_unwind)]
  pub fn lock(&self, env: Env, kind: Option<LockKindArg>) -> Result<()> {
    self.mapping.lock(lock_kind(kind), None).or_throw(&env)
  }

  /// `lock` off the JS thread (on a thread of its own, not libuv's pool); a pending wait never
  /// delays `process.exit()` or `worker.terminate()`.
  /// @param kind `'shared'` or `'exclusive'` (the default).
  /// @param options `signal` ends the wait (a lock granted as it aborts is released at once).
  /// @returns A Promise that resolves once the lock is held.
  /// @throws Never synchronously: a bad `kind` (`ERR_INVALID_ARG_VALUE`), an abort (`AbortError`)
  /// and `close()` during the wait (`ERR_MMAP_CLOSED`) reject the Promise.
  /// @example await file.lockAsync('shared', { signal: AbortSignal.timeout(1000) })
  #[napi(
    catch_unwind,
    ts_args_type = "kind?: LockKind, options?: { signal?: AbortSignal }",
    ts_return_type = "Promise<void>"
  )]
  pub fn lock_async<'env>(
    &self,
    env: &'env Env,
    kind: Option<LockKindArg>,
    options: Option<SignalOptionsArg>,
  ) -> Result<Object<'env>> {
    let kind = lock_kind(kind);
    let signal = signal_of(options).map(|signal| signal.raw());
    let settle = match AbortWatch::new(Js::from_env(env), signal) {
      Ok(watch) => Settle::ok(watch),
      Err(error) => Settle::rejecting(error),
    };
    let mapping = Arc::clone(&self.mapping);
    let waiting = Arc::clone(&self.mapping);
    waits::start(
      env,
      waits::Launch::Now("lockAsync"),
      settle,
      move |stop| waiting.lock(kind, Some(stop)),
      Box::new(
        move |env, settle, output: std::result::Result<(), MmapError>| {
          let output = match output {
            // Granted, but the caller will not know it has it (aborted) or cannot use it (closed):
            // give it back. After close, the lock went with the file's last handle.
            Ok(()) if settle.abort.is_aborted() => {
              let _ = mapping.unlock();
              Err(MmapError::Aborted)
            }
            Ok(()) if mapping.is_closed() => Err(MmapError::Closed),
            other => other,
          };
          settle.settle(env, output)
        },
      ),
    )
  }

  /// Takes the lock if it is free, without waiting.
  /// @param kind `'shared'` or `'exclusive'` (the default).
  /// @returns `true` if taken; `false` if another process (or open of the file) holds a conflicting
  /// lock.
  /// @throws {TypeError} `ERR_INVALID_ARG_VALUE` for another `kind`.
  /// @throws {Error} `ERR_MMAP_CLOSED` after `close()`.
  /// @example if (!file.tryLock()) console.log('busy, try later')
  #[napi(catch_unwind)]
  pub fn try_lock(&self, env: Env, kind: Option<LockKindArg>) -> Result<bool> {
    self.mapping.try_lock(lock_kind(kind)).or_throw(&env)
  }

  /// Releases the lock this mapping holds (a no-op if it holds none).
  /// @throws {Error} `ERR_MMAP_CLOSED` after `close()` (which released the lock already).
  /// @example file.unlock()
  #[napi(catch_unwind)]
  pub fn unlock(&self, env: Env) -> Result<()> {
    self.mapping.unlock().or_throw(&env)
  }
}
