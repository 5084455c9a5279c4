//! Guarded access to mapped memory: a file truncated by another process turns mmapkit's own
//! accesses into [`MmapError::Truncated`] instead of a fatal `SIGBUS`.
//!
//! The mechanism is the JVM's: a recovery point around each native access (`guard/unix.c`:
//! `sigsetjmp` plus a `SIGBUS` handler that `siglongjmp`s back; `guard/windows.c`: SEH).
//!
//! Accesses that JavaScript makes itself through zero-copy views cannot be given an error in the
//! middle of `view[i]`. On Unix the same handler survives them instead ([`FaultSlot`]): each live
//! file-backed range is registered in a lock-free table; a fault inside one, outside a guarded
//! call, gets a private zero page in place of the missing one and is recorded, and every later
//! mmapkit call on that mapping reports it (`ERR_MMAP_TRUNCATED` or the I/O error).

use std::any::Any;
use std::ffi::c_void;
use std::sync::Once;

use crate::error::{MmapError, Result};

#[cfg(any(unix, windows))]
extern "C" {
  fn mmapkit_guard_install() -> std::os::raw::c_int;
  fn mmapkit_guarded_call(
    callback: extern "C" fn(*mut c_void),
    context: *mut c_void,
  ) -> std::os::raw::c_int;
}

#[cfg(unix)]
extern "C" {
  fn mmapkit_fault_register(start: *mut c_void, len: usize) -> std::os::raw::c_long;
  fn mmapkit_fault_unregister(slot: std::os::raw::c_long);
  fn mmapkit_fault_of(slot: std::os::raw::c_long) -> usize;
  fn mmapkit_guarded_fault_take() -> usize;
}

/// The address at which the last guarded call on this thread faulted, taken once: `None` if no
/// fault was recorded since the last take (or where the address is not known: Windows).
pub(crate) fn take_fault_address() -> Option<usize> {
  #[cfg(unix)]
  {
    // SAFETY: reads and clears a thread-local word; nothing is dereferenced.
    let address = unsafe { mmapkit_guarded_fault_take() };
    (address != 0).then_some(address)
  }
  #[cfg(not(unix))]
  None
}

static INSTALL: Once = Once::new();

/// What the trampoline needs: the closure (taken when called), its result, and a panic payload.
struct Call<F, R> {
  work: Option<F>,
  result: Option<R>,
  panic: Option<Box<dyn Any + Send>>,
}

extern "C" fn trampoline<F: FnOnce() -> R, R>(context: *mut c_void) {
  // SAFETY: `context` is the `Call<F, R>` that `guarded` passed and keeps alive for the call.
  let call = unsafe { &mut *context.cast::<Call<F, R>>() };
  if let Some(work) = call.work.take() {
    // A panic must not unwind into C: catch it and resume it on the Rust side.
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)) {
      Ok(value) => call.result = Some(value),
      Err(payload) => call.panic = Some(payload),
    }
  }
}

/// Runs `work`; if it touches a page of a mapping whose file was truncated, returns
/// [`MmapError::Truncated`] instead of letting the process die.
///
/// # Safety
/// When a fault is recovered, the frames of `work` are abandoned without running destructors.
/// `work` must therefore only touch mapped memory through raw pointers or borrowed slices, capture
/// nothing that owns a resource, and create nothing with a destructor that matters (a `Vec` it
/// grows through a `&mut` is fine; it is owned outside).
///
/// ```
/// use mmapkit_core::guard::guarded;
/// let data = [1u8, 2, 3];
/// // SAFETY: the closure only reads a borrowed array and owns nothing.
/// let sum: u32 = unsafe { guarded(|| data.iter().map(|&b| u32::from(b)).sum()) }?;
/// assert_eq!(sum, 6);
/// # Ok::<(), mmapkit_core::MmapError>(())
/// ```
pub unsafe fn guarded<R>(work: impl FnOnce() -> R) -> Result<R> {
  guarded_impl(work)
}

/// Installs the process-wide handler (once).
#[cfg(any(unix, windows))]
fn ensure_installed() {
  INSTALL.call_once(|| {
    // SAFETY: installs a process-wide SIGBUS handler once; it chains to the previous handler for
    // faults that are not in mmapkit's guarded calls or mappings.
    unsafe { mmapkit_guard_install() };
  });
}

/// A mapping's entry in the table of ranges whose view faults the handler survives.
#[derive(Debug)]
pub(crate) struct FaultSlot {
  #[cfg(unix)]
  slot: std::os::raw::c_long,
  /// Cleared by the first `unregister`, so a slot reused by another mapping is never cleared.
  #[cfg(unix)]
  live: std::sync::atomic::AtomicBool,
}

impl FaultSlot {
  /// Registers `len` bytes at `start`; `None` where faults through views are not survived
  /// (Windows, or more than 16,384 live mappings).
  pub(crate) fn register(start: *mut u8, len: usize) -> Option<Self> {
    #[cfg(unix)]
    {
      ensure_installed();
      // SAFETY: records two numbers in the table; nothing is dereferenced.
      let slot = unsafe { mmapkit_fault_register(start.cast(), len) };
      (slot >= 0).then(|| FaultSlot {
        slot,
        live: std::sync::atomic::AtomicBool::new(true),
      })
    }
    #[cfg(not(unix))]
    {
      let _ = (start, len);
      None
    }
  }

  /// Removes the range from the table; later calls do nothing.
  pub(crate) fn unregister(&self) {
    #[cfg(unix)]
    if self.live.swap(false, std::sync::atomic::Ordering::AcqRel) {
      // SAFETY: clears this slot's entry, which is still ours (first unregister).
      unsafe { mmapkit_fault_unregister(self.slot) };
    }
  }

  /// The offset of the first page that faulted through a view, if one did.
  pub(crate) fn fault(&self) -> Option<usize> {
    #[cfg(unix)]
    {
      if !self.live.load(std::sync::atomic::Ordering::Acquire) {
        return None;
      }
      // SAFETY: reads this slot's fault word (the slot is still ours).
      let recorded = unsafe { mmapkit_fault_of(self.slot) };
      recorded.checked_sub(1)
    }
    #[cfg(not(unix))]
    None
  }
}

#[cfg(any(unix, windows))]
fn guarded_impl<F: FnOnce() -> R, R>(work: F) -> Result<R> {
  ensure_installed();
  let mut call = Call {
    work: Some(work),
    result: None,
    panic: None,
  };
  // SAFETY: `trampoline::<F, R>` matches the callback type and `call` outlives the C call.
  let faulted =
    unsafe { mmapkit_guarded_call(trampoline::<F, R>, (&mut call as *mut Call<F, R>).cast()) };
  if let Some(payload) = call.panic {
    std::panic::resume_unwind(payload);
  }
  match (faulted, call.result) {
    (0, Some(value)) => Ok(value),
    _ => Err(MmapError::Truncated),
  }
}

#[cfg(not(any(unix, windows)))]
fn guarded_impl<F: FnOnce() -> R, R>(work: F) -> Result<R> {
  Ok(work())
}

#[cfg(all(test, unix))]
mod tests {
  use super::*;
  use std::io::Write;

  #[test]
  fn a_truncated_mapping_is_an_error_not_a_crash() {
    let mut file = tempfile::tempfile().unwrap();
    file.write_all(&vec![7u8; 3 * 4096]).unwrap();
    let map = memmap2::MmapOptions::new().map_raw(&file).unwrap();
    file.set_len(0).unwrap();
    let ptr = map.as_ptr();
    // SAFETY: reads through a raw pointer into the (now truncated) mapping; nothing is owned.
    let result = unsafe { guarded(|| std::ptr::read_volatile(ptr.add(4096))) };
    assert!(matches!(result, Err(MmapError::Truncated)));
    // The faulting address is recorded, and taken once.
    assert_eq!(take_fault_address(), Some(ptr as usize + 4096));
    assert_eq!(take_fault_address(), None);
    // The guard is reusable, and normal calls return their value.
    // SAFETY: as above.
    let again = unsafe { guarded(|| std::ptr::read_volatile(ptr)) };
    assert!(matches!(again, Err(MmapError::Truncated)));
    // SAFETY: touches no mapped memory.
    assert_eq!(unsafe { guarded(|| 41 + 1) }.unwrap(), 42);
  }

  #[test]
  fn panics_inside_pass_through() {
    // SAFETY: touches no mapped memory.
    let result = std::panic::catch_unwind(|| unsafe { guarded(|| panic!("inner")) });
    assert!(result.is_err());
  }
}
