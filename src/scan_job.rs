//! A scan of a range of a mapping ([`ScanJob`]): the body that a sync scan method and its Promise
//! twin (`scan_wait.rs`) share, and its answer.

use mmapkit_core::scan::{self, Control};
use mmapkit_core::{MappedFile, MmapError};
use napi::bindgen_prelude::*;

use crate::js::{Js, Value};
use crate::scan_progress::Progress;

/// What to scan for.
#[derive(Debug, Clone)]
pub enum ScanKind {
  Byte(u8),
  Pattern(Vec<u8>),
  /// The pattern and `options.limit` (`None`: all matches, up to the core's maximum).
  FindAll(Vec<u8>, Option<usize>),
}

/// One scan of a range of a mapping: the shared body of each sync method and its async twin.
#[derive(Debug, Clone)]
pub struct ScanJob {
  pub kind: ScanKind,
  /// Mapping range.
  pub start: u64,
  pub length: u64,
  /// Subtracted from match offsets: results are relative to the span.
  pub base: u64,
  pub threads: usize,
  /// `onProgress` of an async scan, called by the scan itself (see [`Progress`]).
  pub progress: Option<Progress>,
}

/// A scan's answer.
pub enum ScanOutput {
  Count(u64),
  Offsets(Vec<u64>),
}

impl ScanJob {
  /// Runs the scan; with `progress`, reports `control.done` while it runs and `(total, total)`
  /// once it succeeded.
  pub fn run(
    &self,
    mapping: &MappedFile,
    control: &Control,
  ) -> std::result::Result<ScanOutput, MmapError> {
    match &self.progress {
      None => self.scan(mapping, control),
      Some(progress) => progress.around(self.length, control, || self.scan(mapping, control)),
    }
  }

  fn scan(
    &self,
    mapping: &MappedFile,
    control: &Control,
  ) -> std::result::Result<ScanOutput, MmapError> {
    mapping.with_bytes_fixed(self.start, self.length, |bytes| {
      Ok(match &self.kind {
        ScanKind::Byte(byte) => {
          ScanOutput::Count(scan::count_byte(bytes, *byte, self.threads, control)?)
        }
        ScanKind::Pattern(pattern) => {
          ScanOutput::Count(scan::count(bytes, pattern, self.threads, control)?)
        }
        ScanKind::FindAll(pattern, limit) => {
          let offset = self.start - self.base;
          let found = scan::find_all(bytes, pattern, *limit, self.threads, control)?;
          ScanOutput::Offsets(found.into_iter().map(|at| at as u64 + offset).collect())
        }
      })
    })
  }
}

impl ScanOutput {
  pub fn into_js(self, env: &Env) -> Result<Value> {
    let js = Js::from_env(env);
    match self {
      ScanOutput::Count(n) => js.number(n as f64),
      ScanOutput::Offsets(offsets) => {
        let mut array = env.create_array(offsets.len() as u32)?;
        for (i, offset) in offsets.into_iter().enumerate() {
          array.set(i as u32, offset as f64)?;
        }
        Ok(array.raw())
      }
    }
  }
}
