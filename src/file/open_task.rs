//! `MemoryMappedFile.openAsync`: the open on a thread of its own (`waits.rs`), not on libuv's
//! pool: with `options.lock` it may wait as long as another process holds the file's lock, and such
//! a wait must neither hold a pool thread nor delay `process.exit()` or `worker.terminate()`. The
//! wait polls the call's stop flag (its `AbortSignal`, or the environment's teardown); the core
//! takes the lock before it truncates, creates or maps anything, so an open that ends early
//! changes nothing.

use std::sync::Arc;

use mmapkit_core::{MmapError, OpenOptions};
use napi::bindgen_prelude::*;

use super::MemoryMappedFile;
use crate::args::Source;
use crate::settle::Settle;
use crate::waits::{self, Promise};

/// Starts `MemoryMappedFile.openAsync`; `source` is `None` when `settle` only rejects.
pub fn start(
  env: &Env,
  source: Option<Source>,
  options: OpenOptions,
  settle: Settle,
) -> Result<Promise> {
  let promise = waits::start(
    env,
    "openAsync",
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
  Ok(Promise::of(promise))
}
