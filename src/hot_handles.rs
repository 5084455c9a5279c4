//! The per-thread table behind the hot calls (`hot/`): a registered object's handle names its entry.
//!
//! A handle is `secret * 2**20 + index` (a safe integer): `index` finds the slot, and `secret`, a
//! random 32-bit value drawn when the slot is filled, must match. A stale handle (its object was
//! finalized) or a guessed one names nothing and is refused; the JS layer keeps handles in private
//! class fields, which no `Proxy` or user code can read or fake.

use std::cell::{Cell, RefCell};
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::rc::Rc;
use std::sync::Arc;

use mmapkit_core::RingBuffer as CoreRing;

use crate::span::Span;

/// What a handle stands for (behind an `Rc`, so a lookup costs one non-atomic increment).
pub enum Target {
  /// A `MemoryMappedFile` (`whole == true`) or a `Segment`.
  Span {
    span: Span,
    whole: bool,
  },
  Ring(Arc<CoreRing>),
}

#[derive(Default)]
struct Table {
  /// `(secret, target)`; `target` is `None` for a free slot.
  slots: Vec<(u32, Option<Rc<Target>>)>,
  free: Vec<u32>,
}

thread_local! {
  static TABLE: RefCell<Table> = RefCell::new(Table::default());
  static SECRETS: (RandomState, Cell<u64>) = (RandomState::new(), Cell::new(0));
}

const INDEX_BITS: u32 = 20;
const MAX_SLOTS: usize = 1 << INDEX_BITS;

/// A fresh random 32-bit value (SipHash of a counter under a per-thread random key).
fn secret() -> u32 {
  SECRETS.with(|(state, counter)| {
    counter.set(counter.get() + 1);
    let mut hasher = state.build_hasher();
    hasher.write_u64(counter.get());
    (hasher.finish() >> 32) as u32
  })
}

/// Registers `target`; `None` when a million objects of this thread are already registered.
pub fn insert(target: Target) -> Option<f64> {
  TABLE.with(|table| {
    let mut table = table.borrow_mut();
    let index = match table.free.pop() {
      Some(index) => index,
      None if table.slots.len() < MAX_SLOTS => {
        table.slots.push((0, None));
        (table.slots.len() - 1) as u32
      }
      None => return None,
    };
    let secret = secret();
    table.slots[index as usize] = (secret, Some(Rc::new(target)));
    Some(f64::from(secret) * f64::from(1u32 << INDEX_BITS) + f64::from(index))
  })
}

/// Forgets a handle (its object is being finalized).
pub fn remove(handle: f64) {
  TABLE.with(|table| {
    let mut table = table.borrow_mut();
    if let Some((index, secret)) = decode(handle) {
      if let Some(slot) = table.slots.get_mut(index as usize) {
        if slot.0 == secret && slot.1.take().is_some() {
          table.free.push(index);
        }
      }
    }
  })
}

/// The target a handle names, if it names a live one.
pub fn lookup(handle: f64) -> Option<Rc<Target>> {
  let (index, secret) = decode(handle)?;
  TABLE.with(|table| match table.borrow().slots.get(index as usize) {
    Some((s, Some(target))) if *s == secret => Some(Rc::clone(target)),
    _ => None,
  })
}

fn decode(handle: f64) -> Option<(u32, u32)> {
  // An integer in 0..2**52 (the round trip through u64 rejects fractions without a libm call;
  // NaN fails the comparisons).
  if !(handle >= 0.0 && handle < 2f64.powi(52) && (handle as u64) as f64 == handle) {
    return None;
  }
  let raw = handle as u64;
  Some((
    (raw & ((1 << INDEX_BITS) - 1)) as u32,
    (raw >> INDEX_BITS) as u32,
  ))
}
