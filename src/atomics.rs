//! Atomics on `MemoryMappedFile`: sequentially consistent operations on aligned u32 (number) and
//! u64 (bigint) words, shared with every process that maps the same file. Each operation has one
//! body, [`atomic`], used by the `#[napi]` method (typings, docs) and by its fast path.

use mmapkit_core::MmapError;
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::args;
use crate::errors::{ArgName, OrThrow};
use crate::file::MemoryMappedFile;
use crate::js::{Js, Value};
use crate::scan_methods::ScanTarget;
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
  let offset = args::index(js, args[0], ArgName::Argument("offset"))?;
  let mapping = &span.mapping;
  let u32_arg = |at: usize, name: &str, signed: bool| args::atomic_u32(js, args[at], name, signed);
  let u64_arg = |at: usize, name: &str, signed: bool| args::atomic_u64(js, args[at], name, signed);
  let number = |n: u32| js.number(f64::from(n));
  // SAFETY (for the `to_napi_value` calls): `env` is the current call's env.
  let bigint = |n: u64| unsafe { BigInt::to_napi_value(env.raw(), BigInt::from(n)) };
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

impl MemoryMappedFile {
  fn run_atomic<'a>(
    &self,
    env: &'a Env,
    operation: Atomic,
    args: [Option<Unknown>; 3],
  ) -> Result<Unknown<'a>> {
    let js = Js::from_env(env);
    let undefined = js.undefined()?;
    let args = args.map(|a| a.map_or(undefined, |v| v.raw()));
    Ok(js.unknown(atomic(self.span(), env, operation, args)?))
  }
}

#[napi]
impl MemoryMappedFile {
  /// Atomically reads the u32 at `offset` (a multiple of 4, else `ERR_MMAP_MISALIGNED`). Works in
  /// every mode, readOnly included.
  #[napi(
    catch_unwind,
    ts_args_type = "offset: number",
    ts_return_type = "number"
  )]
  pub fn atomic_load_u32<'a>(&self, env: &'a Env, offset: Unknown) -> Result<Unknown<'a>> {
    self.run_atomic(env, Atomic::LoadU32, [Some(offset), None, None])
  }

  /// Atomically writes `value` (0 to 2**32 - 1) to the u32 at `offset`. Not on readOnly mappings.
  #[napi(
    catch_unwind,
    ts_args_type = "offset: number, value: number",
    ts_return_type = "void"
  )]
  pub fn atomic_store_u32<'a>(
    &self,
    env: &'a Env,
    offset: Unknown,
    value: Unknown,
  ) -> Result<Unknown<'a>> {
    self.run_atomic(env, Atomic::StoreU32, [Some(offset), Some(value), None])
  }

  /// Atomically adds `delta` (wrapping; negative subtracts) to the u32 at `offset`; returns the
  /// previous value.
  #[napi(
    catch_unwind,
    ts_args_type = "offset: number, delta: number",
    ts_return_type = "number"
  )]
  pub fn atomic_add_u32<'a>(
    &self,
    env: &'a Env,
    offset: Unknown,
    delta: Unknown,
  ) -> Result<Unknown<'a>> {
    self.run_atomic(env, Atomic::AddU32, [Some(offset), Some(delta), None])
  }

  /// Atomically replaces the u32 at `offset` with `value` if it equals `expected`; returns the
  /// previous value (equal to `expected` when the exchange happened).
  #[napi(
    catch_unwind,
    ts_args_type = "offset: number, expected: number, value: number",
    ts_return_type = "number"
  )]
  pub fn atomic_compare_exchange_u32<'a>(
    &self,
    env: &'a Env,
    offset: Unknown,
    expected: Unknown,
    value: Unknown,
  ) -> Result<Unknown<'a>> {
    self.run_atomic(
      env,
      Atomic::CompareExchangeU32,
      [Some(offset), Some(expected), Some(value)],
    )
  }

  /// Atomically reads the u64 at `offset` (a multiple of 8) as a bigint.
  #[napi(
    catch_unwind,
    ts_args_type = "offset: number",
    ts_return_type = "bigint"
  )]
  pub fn atomic_load_u64<'a>(&self, env: &'a Env, offset: Unknown) -> Result<Unknown<'a>> {
    self.run_atomic(env, Atomic::LoadU64, [Some(offset), None, None])
  }

  /// Atomically writes the bigint `value` (0n to 2n**64n - 1n) to the u64 at `offset`.
  #[napi(
    catch_unwind,
    ts_args_type = "offset: number, value: bigint",
    ts_return_type = "void"
  )]
  pub fn atomic_store_u64<'a>(
    &self,
    env: &'a Env,
    offset: Unknown,
    value: Unknown,
  ) -> Result<Unknown<'a>> {
    self.run_atomic(env, Atomic::StoreU64, [Some(offset), Some(value), None])
  }

  /// Atomically adds the bigint `delta` (wrapping; negative subtracts) to the u64 at `offset`;
  /// returns the previous value.
  #[napi(
    catch_unwind,
    ts_args_type = "offset: number, delta: bigint",
    ts_return_type = "bigint"
  )]
  pub fn atomic_add_u64<'a>(
    &self,
    env: &'a Env,
    offset: Unknown,
    delta: Unknown,
  ) -> Result<Unknown<'a>> {
    self.run_atomic(env, Atomic::AddU64, [Some(offset), Some(delta), None])
  }

  /// Atomically replaces the u64 at `offset` with `value` if it equals `expected`; returns the
  /// previous value.
  #[napi(
    catch_unwind,
    ts_args_type = "offset: number, expected: bigint, value: bigint",
    ts_return_type = "bigint"
  )]
  pub fn atomic_compare_exchange_u64<'a>(
    &self,
    env: &'a Env,
    offset: Unknown,
    expected: Unknown,
    value: Unknown,
  ) -> Result<Unknown<'a>> {
    self.run_atomic(
      env,
      Atomic::CompareExchangeU64,
      [Some(offset), Some(expected), Some(value)],
    )
  }
}
