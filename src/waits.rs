//! Long waits (`popAsync`, `lockAsync`, `openAsync` with a lock, the async scans) on threads of
//! our own, not on libuv's threadpool.
//!
//! A wait may last forever (a message that never comes, a lock another process keeps). On the
//! libuv pool it would hold one of its four threads (starving `fs`, `dns`, `zlib` ...), and libuv
//! joins its threads when the process exits and Node waits for pool work before a worker's
//! environment is torn down: `process.exit()` and `worker.terminate()` would hang. Here each wait
//! runs on a detached thread that polls a stop flag, and the flag is set
//! - by the call's `AbortSignal` (the promise rejects with an `AbortError`),
//! - by the environment's teardown (an env cleanup hook; the promise is gone, nothing settles),
//! - while the wait itself notices `close()` and ends with `ERR_MMAP_CLOSED`.
//!
//! The promise is a napi-rs `JsDeferred`, settled through a threadsafe function that napi-rs
//! aborts at teardown, so a thread that ends after its environment is gone touches nothing of it.

use std::ffi::c_void;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};

use mmapkit_core::MmapError;
use napi::bindgen_prelude::*;
use napi::{sys, JsDeferred};

use crate::js::Js;
use crate::node_error;
use crate::settle::Settle;

/// What settles the promise, on the JS thread.
type Resolver<Out> = Box<dyn FnOnce(Env) -> Result<Out>>;

/// Turns the wait's outcome into the promise's value (or rejection), on the JS thread; gets the
/// call's `Settle` to reject with its early error or an `AbortError` first.
pub type Finish<T, Out> =
  Box<dyn FnOnce(&Env, &mut Settle, std::result::Result<T, MmapError>) -> Result<Out> + Send>;

/// Where a wait's work runs.
pub enum Launch {
  /// On a thread of its own (named `mmapkit <name>`), started now.
  Now(&'static str),
  /// Handed to a queue (the function), which runs it on a thread of its own when its turn comes,
  /// or at once on any thread when [`Pending::stopped`] says it is over: when its stop flag is set
  /// or the closure given here returns true (the work must then return at once). No thread is
  /// held while it waits.
  Queued(fn(Pending), Box<dyn Fn() -> bool + Send>),
}

/// Starts `work` and returns its promise: on a thread of its own now, or when a queue admits it
/// ([`Launch`]). `work` gets the stop flag and must return soon after it is set (poll it at least
/// every 50 ms). A call whose `settle` already rejects (a bad argument, an aborted signal) starts nothing.
/// When the OS refuses a thread, the promise rejects with the OS error (`EAGAIN`, `syscall:
/// 'pthread_create'`).
pub fn start<'env, T, Out>(
  env: &'env Env,
  launch: Launch,
  settle: Settle,
  work: impl FnOnce(&AtomicBool) -> std::result::Result<T, MmapError> + Send + 'static,
  finish: Finish<T, Out>,
) -> Result<Object<'env>>
where
  T: Send + 'static,
  Out: ToNapiValue + 'static,
{
  let (deferred, promise) = env.create_deferred::<Out, Resolver<Out>>()?;
  let stop = settle.abort.flag();
  let hook = match TeardownHook::add(env, Arc::clone(&stop)) {
    Ok(hook) => hook,
    Err(error) => {
      // Settled, not dropped: a dropped deferred would leave its promise pending forever.
      deferred.reject(error);
      return Ok(promise);
    }
  };
  let job = Job {
    deferred,
    settle,
    hook,
    finish,
  };
  if job.settle.skip() {
    job.settle_with(Err(MmapError::Aborted));
    return Ok(promise);
  }
  let flag = Arc::clone(&stop);
  let (stopped, admit): (Box<dyn Fn() -> bool + Send>, _) = match launch {
    Launch::Now(name) => (Box::new(move || flag.load(Ordering::SeqCst)), Err(name)),
    Launch::Queued(admit, also) => (
      Box::new(move || flag.load(Ordering::SeqCst) || also()),
      Ok(admit),
    ),
  };
  let pending = Pending {
    stopped,
    body: Box::new(move |thread| match thread {
      Ok(()) => {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(&stop)));
        match outcome {
          Ok(output) => job.settle_with(output),
          Err(panic) => job.fail(panic_message(&panic)),
        }
      }
      Err(error) => job.settle_with(Err(thread_error(error))),
    }),
  };
  match admit {
    Ok(admit) => admit(pending),
    Err(name) => {
      if let Err((pending, error)) = spawn(name, pending, || None) {
        pending.refuse(error);
      }
    }
  }
  Ok(promise)
}

/// A wait whose work has not started: what a queue holds. Exactly one of [`Pending::run`] and
/// [`Pending::refuse`] settles it.
pub struct Pending {
  stopped: Box<dyn Fn() -> bool + Send>,
  /// The work and its settlement; `Err` is the OS error of a thread that could not be started.
  body: Box<dyn FnOnce(std::io::Result<()>) + Send>,
}

impl Pending {
  /// Whether the wait is over before it started (its signal aborted, its environment torn down,
  /// or what the caller's `stopped` watches): its work then returns at once.
  pub fn stopped(&self) -> bool {
    (self.stopped)()
  }

  /// Runs the work on this thread, to its end, and settles the promise.
  pub fn run(self) {
    (self.body)(Ok(()))
  }

  /// Settles the promise with the OS error of a thread that could not be started.
  pub fn refuse(self, error: std::io::Error) {
    (self.body)(Err(error))
  }
}

/// Runs `pending` on a new thread named `mmapkit <name>`; when it ends, `next` (called on that
/// thread) may give it more work to run there, until it returns `None`: a queue hands its next
/// entry to a thread that is ending instead of starting another (which the OS may refuse while the
/// ending one still counts). When the OS refuses the new thread, gives `pending` back with the
/// error (`next` is not called): the caller settles it ([`Pending::refuse`]) or keeps it for later.
pub fn spawn(
  name: &str,
  pending: Pending,
  next: fn() -> Option<Pending>,
) -> std::result::Result<(), (Pending, std::io::Error)> {
  let (send, receive) = mpsc::sync_channel::<Pending>(1);
  let spawned = std::thread::Builder::new()
    .name(format!("mmapkit {name}"))
    .stack_size(256 * 1024)
    .spawn(move || {
      let mut work = receive.recv().ok();
      while let Some(pending) = work {
        let turn = Turn(Some(next));
        pending.run();
        work = turn.end();
      }
    });
  match spawned {
    // The thread is waiting for exactly this message; it cannot fail while it lives.
    Ok(_detached) => send.send(pending).map_err(|mpsc::SendError(pending)| {
      (
        pending,
        std::io::Error::other("the wait thread ended before it started"),
      )
    }),
    Err(error) => Err((pending, error)),
  }
}

/// One piece of work's turn on a thread: ending it asks for the next. If the work unwinds instead
/// (it catches its panics, so only a bug), the next is still asked for, so that a queue's slot is
/// never lost, and settled with an error, so that its promise does not stay pending.
struct Turn(Option<fn() -> Option<Pending>>);

impl Turn {
  fn end(mut self) -> Option<Pending> {
    self.0.take().and_then(|next| next())
  }
}

impl Drop for Turn {
  fn drop(&mut self) {
    if let Some(pending) = self.0.take().and_then(|next| next()) {
      pending.refuse(std::io::Error::other("the scan thread ended unexpectedly"));
    }
  }
}

/// The error for a thread the OS refused (`EAGAIN` under RLIMIT_NPROC or a pid limit).
pub fn thread_error(error: std::io::Error) -> MmapError {
  MmapError::io(error, "pthread_create", None)
}

struct Job<T, Out: ToNapiValue + 'static> {
  deferred: JsDeferred<Out, Resolver<Out>>,
  settle: Settle,
  hook: TeardownHook,
  finish: Finish<T, Out>,
}

impl<T: 'static, Out: ToNapiValue + 'static> Job<T, Out> {
  /// Settles the promise with `output` (from any thread; the verdict is reached on the JS thread).
  fn settle_with(self, output: std::result::Result<T, MmapError>) {
    let Job {
      deferred,
      mut settle,
      hook,
      finish,
    } = self;
    deferred.resolve(Box::new(move |env: Env| {
      hook.remove(&env);
      let result = finish(&env, &mut settle, output);
      settle.abort.release(Js::from_env(&env));
      result
    }));
  }

  /// Rejects with an internal error (a panic in the wait: a bug, but never a crash).
  fn fail(self, message: String) {
    let Job {
      deferred,
      mut settle,
      hook,
      ..
    } = self;
    deferred.resolve(Box::new(move |env: Env| {
      hook.remove(&env);
      settle.abort.release(Js::from_env(&env));
      Err(node_error::coded_error(
        Js::from_env(&env),
        "ERR_INTERNAL_ASSERTION",
        &format!("mmapkit: a wait failed unexpectedly: {message}"),
      ))
    }));
  }
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
  panic
    .downcast_ref::<&str>()
    .map(|s| s.to_string())
    .or_else(|| panic.downcast_ref::<String>().cloned())
    .unwrap_or_else(|| "panic".into())
}

/// A Promise made by [`start`], as a `#[napi]` method returns it when it takes `env: Env` by value
/// (an `Object<'env>` cannot outlive that borrow).
pub struct Promise(sys::napi_value);

impl Promise {
  pub fn of(object: Object<'_>) -> Self {
    Promise(object.raw())
  }
}

impl ToNapiValue for Promise {
  // SAFETY: the caller passes the env the promise was made in, during the same call.
  unsafe fn to_napi_value(_env: sys::napi_env, value: Self) -> Result<sys::napi_value> {
    Ok(value.0)
  }
}

/// An env cleanup hook that sets a wait's stop flag when its environment is torn down (a worker
/// terminated, the process exiting). Owns one count of the flag's `Arc`, given back either by the
/// hook when it runs or by `remove` when the promise settles: exactly one of them runs, since a
/// promise is never settled once its environment's teardown has begun (napi-rs drops the
/// settlement).
struct TeardownHook {
  data: *mut c_void,
}

// SAFETY: `data` is only a token here; it is dereferenced only in `teardown` (run by Node on the
// JS thread) and reclaimed in `remove` (called from the resolver, on the JS thread).
unsafe impl Send for TeardownHook {}

impl TeardownHook {
  fn add(env: &Env, stop: Arc<AtomicBool>) -> Result<Self> {
    let data = Arc::into_raw(stop) as *mut c_void;
    // SAFETY: `teardown` matches the hook signature; `data` stays valid until the hook runs or is
    // removed (each is the one owner of the count leaked above).
    let status = unsafe { sys::napi_add_env_cleanup_hook(env.raw(), Some(teardown), data) };
    if status != sys::Status::napi_ok {
      // SAFETY: the hook was not added, so the count is still ours.
      drop(unsafe { Arc::from_raw(data as *const AtomicBool) });
      return Err(node_error::coded_error(
        Js::from_env(env),
        "ERR_INTERNAL_ASSERTION",
        "mmapkit: could not register the environment cleanup hook of a wait",
      ));
    }
    Ok(TeardownHook { data })
  }

  /// Unregisters the hook (the wait is over) and drops its count of the flag.
  fn remove(self, env: &Env) {
    // SAFETY: the same (function, data) pair that `add` registered, in the same env, on the JS
    // thread; the hook has not run (the environment is alive, or this resolver would not run).
    let status = unsafe { sys::napi_remove_env_cleanup_hook(env.raw(), Some(teardown), self.data) };
    if status == sys::Status::napi_ok {
      // SAFETY: the hook is gone without having run, so its count is ours to drop, once.
      drop(unsafe { Arc::from_raw(self.data as *const AtomicBool) });
    }
  }
}

unsafe extern "C" fn teardown(data: *mut c_void) {
  // SAFETY: `data` is the count leaked in `TeardownHook::add`; the hook runs at most once and is
  // then unregistered by Node, so this is its only reclaim.
  let stop = unsafe { Arc::from_raw(data as *const AtomicBool) };
  stop.store(true, Ordering::SeqCst);
}
