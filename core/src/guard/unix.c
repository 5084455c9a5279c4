/*
 * Recovery from SIGBUS in mmapkit's own accesses to a mapped file, so that a file truncated by
 * another process makes the access fail with ERR_MMAP_TRUNCATED instead of killing the process.
 *
 * mmapkit_guarded_call(fn, ctx) runs fn(ctx) with a recovery point set: if fn touches a page that
 * no longer exists (SIGBUS), the handler jumps back to that point and the call returns 1. Only C
 * frames and the callback's plain Rust frames (which own nothing with a destructor, by contract;
 * see guard.rs) are abandoned. A SIGBUS outside a guarded call at an address inside an mmapkit
 * mapping (JavaScript touching a view of a truncated file) is survived: the page is replaced with a
 * private zero page, the fault is recorded for the mapping (mmapkit_fault_of), and the access
 * retried. Any other SIGBUS is passed on to whatever handler was installed before (or the default
 * action), so other code sees no difference.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static struct sigaction previous_action;
static __thread sigjmp_buf *recovery_point;
/* The address of the last fault a guarded call on this thread recovered from (0: none, or taken). */
static __thread uintptr_t guarded_fault_address;

/*
 * The live file-backed mapping ranges, for faults met outside guarded calls (JavaScript reading
 * or writing through a view). Lock-free so that the handler can read it: a slot is free when
 * `start` is 0, being filled when it is 1, live otherwise; `fault` is 0, or 1 + the offset of the
 * first page that faulted. Slots below `slots_used` have been used at some time.
 */
#define MMAPKIT_FAULT_SLOTS 16384
struct fault_range {
  _Atomic uintptr_t start;
  _Atomic uintptr_t end;
  _Atomic uintptr_t fault;
};
static struct fault_range fault_ranges[MMAPKIT_FAULT_SLOTS];
static _Atomic size_t slots_used;
static uintptr_t page_size;

long mmapkit_fault_register(void *start, size_t len) {
  uintptr_t begin = (uintptr_t)start;
  if (begin <= 1 || len == 0) return -1;
  for (size_t i = 0; i < MMAPKIT_FAULT_SLOTS; i++) {
    uintptr_t expected = 0;
    if (atomic_compare_exchange_strong(&fault_ranges[i].start, &expected, 1)) {
      atomic_store(&fault_ranges[i].end, begin + len);
      atomic_store(&fault_ranges[i].fault, 0);
      atomic_store(&fault_ranges[i].start, begin);
      size_t used = atomic_load(&slots_used);
      while (used < i + 1 && !atomic_compare_exchange_weak(&slots_used, &used, i + 1)) {
      }
      return (long)i;
    }
  }
  return -1; /* table full: this mapping's view faults are not recovered */
}

void mmapkit_fault_unregister(long slot) {
  if (slot < 0 || slot >= MMAPKIT_FAULT_SLOTS) return;
  atomic_store(&fault_ranges[slot].start, 0);
}

/* 0, or 1 + the offset of the first faulting page. */
uintptr_t mmapkit_fault_of(long slot) {
  if (slot < 0 || slot >= MMAPKIT_FAULT_SLOTS) return 0;
  return atomic_load(&fault_ranges[slot].fault);
}

/* A fault at `addr` inside a registered range: put a private zero page there, record it, and
   return 1 so the access is retried. Only async-signal-safe calls (mmap is a plain system call). */
static int recover_view_fault(uintptr_t addr) {
  size_t used = atomic_load(&slots_used);
  for (size_t i = 0; i < used; i++) {
    uintptr_t start = atomic_load(&fault_ranges[i].start);
    if (start <= 1 || addr < start || addr >= atomic_load(&fault_ranges[i].end)) continue;
    uintptr_t page = addr & ~(page_size - 1);
    void *mapped = mmap((void *)page, page_size, PROT_READ | PROT_WRITE,
                        MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mapped == MAP_FAILED) return 0;
    uintptr_t offset = page > start ? page - start : 0;
    uintptr_t none = 0;
    atomic_compare_exchange_strong(&fault_ranges[i].fault, &none, offset + 1);
    return 1;
  }
  return 0;
}

static void on_sigbus(int signo, siginfo_t *info, void *context) {
  sigjmp_buf *target = recovery_point;
  if (target != NULL) {
    recovery_point = NULL;
    guarded_fault_address = info != NULL ? (uintptr_t)info->si_addr : 0;
    siglongjmp(*target, 1);
  }
  /* A fault (si_code > 0) inside a live mapping; a SIGBUS sent by kill() or sigqueue()
     (si_code <= 0) is never ours and goes on as below. */
  if (info != NULL && info->si_code > 0 && recover_view_fault((uintptr_t)info->si_addr)) {
    return;
  }
  /* Not ours: behave as if this handler had never been installed. */
  if (previous_action.sa_flags & SA_SIGINFO) {
    if (previous_action.sa_sigaction != NULL) {
      previous_action.sa_sigaction(signo, info, context);
      return;
    }
  } else if (previous_action.sa_handler != SIG_DFL && previous_action.sa_handler != SIG_IGN &&
             previous_action.sa_handler != NULL) {
    previous_action.sa_handler(signo);
    return;
  }
  /* Default action: restore it; returning re-runs the faulting access, which then kills the
     process with SIGBUS as it would have without mmapkit. A signal that was sent (kill,
     sigqueue: si_code <= 0) re-runs nothing, so it is raised again (SA_NODEFER: delivered at
     once) to take that default action. */
  signal(signo, SIG_DFL);
  if (info == NULL || info->si_code <= 0) {
    raise(signo);
  }
}

int mmapkit_guard_install(void) {
  long size = sysconf(_SC_PAGESIZE);
  page_size = size > 0 ? (uintptr_t)size : 4096;
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_sigaction = on_sigbus;
  /* SA_NODEFER: leaving the handler by siglongjmp must not leave SIGBUS blocked.
     SA_ONSTACK: use the alternate stack if the thread has one. */
  action.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
  sigemptyset(&action.sa_mask);
  return sigaction(SIGBUS, &action, &previous_action);
}

/* The address the last recovered guarded call faulted at, once (0 if none or unknown). */
uintptr_t mmapkit_guarded_fault_take(void) {
  uintptr_t address = guarded_fault_address;
  guarded_fault_address = 0;
  return address;
}

int mmapkit_guarded_call(void (*callback)(void *), void *context) {
  sigjmp_buf point;
  sigjmp_buf *outer = recovery_point;
  /* savemask = 0: no sigprocmask system call on the fast path. */
  if (sigsetjmp(point, 0) != 0) {
    recovery_point = outer;
    return 1;
  }
  recovery_point = &point;
  callback(context);
  recovery_point = outer;
  return 0;
}
