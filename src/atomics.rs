//! Atomics on `MemoryMappedFile`: sequentially consistent operations on aligned u32 (number) and
//! u64 (bigint) words, shared with every process that maps the same file.

use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::args;
use crate::errors::{ArgName, OrThrow};
use crate::file::MemoryMappedFile;
use crate::js::{Js, Value};
use crate::scan_methods::ScanTarget;
use crate::span::Span;

/// The bodies shared by the `#[napi]` methods below and the raw fast paths (`fast_paths.rs`).
impl MemoryMappedFile {
  pub(crate) fn atomic_load_u32_on(span: &Span, env: &Env, offset: Value) -> Result<u32> {
    let offset = args::index(Js::from_env(env), offset, ArgName::Argument("offset"))?;
    span.mapping.atomic_load_u32(offset).or_throw(env)
  }

  pub(crate) fn atomic_store_u32_on(
    span: &Span,
    env: &Env,
    offset: Value,
    value: Value,
  ) -> Result<()> {
    let js = Js::from_env(env);
    let offset = args::index(js, offset, ArgName::Argument("offset"))?;
    let value = args::atomic_u32(js, value, "value", false)?;
    span.mapping.atomic_store_u32(offset, value).or_throw(env)
  }

  pub(crate) fn atomic_add_u32_on(
    span: &Span,
    env: &Env,
    offset: Value,
    delta: Value,
  ) -> Result<u32> {
    let js = Js::from_env(env);
    let offset = args::index(js, offset, ArgName::Argument("offset"))?;
    let delta = args::atomic_u32(js, delta, "delta", true)?;
    span.mapping.atomic_add_u32(offset, delta).or_throw(env)
  }
}

#[napi]
impl MemoryMappedFile {
  /// Atomically reads the u32 at `offset` (a multiple of 4, else `ERR_MMAP_MISALIGNED`). Works in
  /// every mode, readOnly included.
  #[napi(catch_unwind, ts_args_type = "offset: number")]
  pub fn atomic_load_u32(&self, env: Env, offset: Unknown) -> Result<u32> {
    Self::atomic_load_u32_on(self.span(), &env, offset.raw())
  }

  /// Atomically writes `value` (0 to 2**32 - 1) to the u32 at `offset`. Not on readOnly mappings.
  #[napi(catch_unwind, ts_args_type = "offset: number, value: number")]
  pub fn atomic_store_u32(&self, env: Env, offset: Unknown, value: Unknown) -> Result<()> {
    Self::atomic_store_u32_on(self.span(), &env, offset.raw(), value.raw())
  }

  /// Atomically adds `delta` (wrapping; negative subtracts) to the u32 at `offset`; returns the
  /// previous value.
  #[napi(catch_unwind, ts_args_type = "offset: number, delta: number")]
  pub fn atomic_add_u32(&self, env: Env, offset: Unknown, delta: Unknown) -> Result<u32> {
    Self::atomic_add_u32_on(self.span(), &env, offset.raw(), delta.raw())
  }

  /// Atomically replaces the u32 at `offset` with `value` if it equals `expected`; returns the
  /// previous value (equal to `expected` when the exchange happened).
  #[napi(
    catch_unwind,
    ts_args_type = "offset: number, expected: number, value: number"
  )]
  pub fn atomic_compare_exchange_u32(
    &self,
    env: Env,
    offset: Unknown,
    expected: Unknown,
    value: Unknown,
  ) -> Result<u32> {
    let js = Js::from_env(&env);
    let offset = args::index(js, offset.raw(), ArgName::Argument("offset"))?;
    let expected = args::atomic_u32(js, expected.raw(), "expected", false)?;
    let value = args::atomic_u32(js, value.raw(), "value", false)?;
    self
      .mapping
      .atomic_compare_exchange_u32(offset, expected, value)
      .or_throw(&env)
  }

  /// Atomically reads the u64 at `offset` (a multiple of 8) as a bigint.
  #[napi(catch_unwind, ts_args_type = "offset: number")]
  pub fn atomic_load_u64(&self, env: Env, offset: Unknown) -> Result<BigInt> {
    let offset = args::index(
      Js::from_env(&env),
      offset.raw(),
      ArgName::Argument("offset"),
    )?;
    self
      .mapping
      .atomic_load_u64(offset)
      .map(BigInt::from)
      .or_throw(&env)
  }

  /// Atomically writes the bigint `value` (0n to 2n**64n - 1n) to the u64 at `offset`.
  #[napi(catch_unwind, ts_args_type = "offset: number, value: bigint")]
  pub fn atomic_store_u64(&self, env: Env, offset: Unknown, value: Unknown) -> Result<()> {
    let js = Js::from_env(&env);
    let offset = args::index(js, offset.raw(), ArgName::Argument("offset"))?;
    let value = args::atomic_u64(js, value.raw(), "value", false)?;
    self.mapping.atomic_store_u64(offset, value).or_throw(&env)
  }

  /// Atomically adds the bigint `delta` (wrapping; negative subtracts) to the u64 at `offset`;
  /// returns the previous value.
  #[napi(catch_unwind, ts_args_type = "offset: number, delta: bigint")]
  pub fn atomic_add_u64(&self, env: Env, offset: Unknown, delta: Unknown) -> Result<BigInt> {
    let js = Js::from_env(&env);
    let offset = args::index(js, offset.raw(), ArgName::Argument("offset"))?;
    let delta = args::atomic_u64(js, delta.raw(), "delta", true)?;
    self
      .mapping
      .atomic_add_u64(offset, delta)
      .map(BigInt::from)
      .or_throw(&env)
  }

  /// Atomically replaces the u64 at `offset` with `value` if it equals `expected`; returns the
  /// previous value.
  #[napi(
    catch_unwind,
    ts_args_type = "offset: number, expected: bigint, value: bigint"
  )]
  pub fn atomic_compare_exchange_u64(
    &self,
    env: Env,
    offset: Unknown,
    expected: Unknown,
    value: Unknown,
  ) -> Result<BigInt> {
    let js = Js::from_env(&env);
    let offset = args::index(js, offset.raw(), ArgName::Argument("offset"))?;
    let expected = args::atomic_u64(js, expected.raw(), "expected", false)?;
    let value = args::atomic_u64(js, value.raw(), "value", false)?;
    self
      .mapping
      .atomic_compare_exchange_u64(offset, expected, value)
      .map(BigInt::from)
      .or_throw(&env)
  }
}
