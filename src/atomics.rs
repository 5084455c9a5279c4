//! Atomics on `MemoryMappedFile`: sequentially consistent operations on aligned u32 (number) and
//! u64 (bigint) words, shared with every process that maps the same file. One body, [`atomic`],
//! serves the eight hot calls (`hot/calls.rs`).

use mmapkit_core::MmapError;
use napi::bindgen_prelude::*;

use crate::js::{Js, Value};
use crate::node_error::OrThrow;
use crate::raw_arguments as args;
use crate::span::Span;

/// The eight atomic operations.
#[derive(Clone, Copy)]
pub(crate) enum Atomic {
  LoadU32,
  StoreU32,
  AddU32,
  CompareExchangeU32,
  LoadU64,
  StoreU64,
  AddU64,
  CompareExchangeU64,
}

/// Runs `operation` at `args[0]` (the offset) with its value arguments; returns the JS result
/// (a number for u32, a bigint for u64, `undefined` for stores).
pub(crate) fn atomic(span: &Span, env: &Env, operation: Atomic, args: [Value; 3]) -> Result<Value> {
  let js = Js::from_env(env);
  let offset = args::index(js, args[0], "offset")?;
  let mapping = &span.mapping;
  let u32_arg = |at: usize, name: &str, signed: bool| args::atomic_u32(js, args[at], name, signed);
  let u64_arg = |at: usize, name: &str, signed: bool| args::atomic_u64(js, args[at], name, signed);
  let number = |n: u32| js.number(f64::from(n));
  let bigint = |n: u64| {
    // SAFETY: `env` is the current call's env.
    unsafe { BigInt::to_napi_value(env.raw(), BigInt::from(n)) }
  };
  match operation {
    Atomic::LoadU32 => number(
      mapping
        .atomic_load_u32(offset)
        .map_err(|e| js_name(e, "atomicLoadU32"))
        .or_throw(env)?,
    ),
    Atomic::StoreU32 => {
      let value = u32_arg(1, "value", false)?;
      mapping
        .atomic_store_u32(offset, value)
        .map_err(|e| js_name(e, "atomicStoreU32"))
        .or_throw(env)?;
      js.undefined()
    }
    Atomic::AddU32 => {
      let delta = u32_arg(1, "delta", true)?;
      number(
        mapping
          .atomic_add_u32(offset, delta)
          .map_err(|e| js_name(e, "atomicAddU32"))
          .or_throw(env)?,
      )
    }
    Atomic::CompareExchangeU32 => {
      let (expected, value) = (u32_arg(1, "expected", false)?, u32_arg(2, "value", false)?);
      number(
        mapping
          .atomic_compare_exchange_u32(offset, expected, value)
          .map_err(|e| js_name(e, "atomicCompareExchangeU32"))
          .or_throw(env)?,
      )
    }
    Atomic::LoadU64 => bigint(
      mapping
        .atomic_load_u64(offset)
        .map_err(|e| js_name(e, "atomicLoadU64"))
        .or_throw(env)?,
    ),
    Atomic::StoreU64 => {
      let value = u64_arg(1, "value", false)?;
      mapping
        .atomic_store_u64(offset, value)
        .map_err(|e| js_name(e, "atomicStoreU64"))
        .or_throw(env)?;
      js.undefined()
    }
    Atomic::AddU64 => {
      let delta = u64_arg(1, "delta", true)?;
      bigint(
        mapping
          .atomic_add_u64(offset, delta)
          .map_err(|e| js_name(e, "atomicAddU64"))
          .or_throw(env)?,
      )
    }
    Atomic::CompareExchangeU64 => {
      let (expected, value) = (u64_arg(1, "expected", false)?, u64_arg(2, "value", false)?);
      bigint(
        mapping
          .atomic_compare_exchange_u64(offset, expected, value)
          .map_err(|e| js_name(e, "atomicCompareExchangeU64"))
          .or_throw(env)?,
      )
    }
  }
}

/// The core names an operation by its Rust function (`atomic_add_u32`); JS users know it by the
/// method they called (`atomicAddU32`).
fn js_name(error: MmapError, method: &'static str) -> MmapError {
  match error {
    MmapError::ReadOnly { .. } => MmapError::ReadOnly { operation: method },
    other => other,
  }
}
