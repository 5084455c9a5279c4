/*
 * Recovery from SIGBUS in mmapkit's own accesses to a mapped file, so that a file truncated by
 * another process makes the access fail with ERR_MMAP_TRUNCATED instead of killing the process.
 *
 * mmapkit_guarded_call(fn, ctx) runs fn(ctx) with a recovery point set: if fn touches a page that
 * no longer exists (SIGBUS), the handler jumps back to that point and the call returns 1. Only C
 * frames and the callback's plain Rust frames (which own nothing with a destructor, by contract;
 * see guard.rs) are abandoned. A SIGBUS outside a guarded call is passed on to whatever handler was
 * installed before (or the default action), so other code sees no difference.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>

static struct sigaction previous_action;
static __thread sigjmp_buf *recovery_point;

static void on_sigbus(int signo, siginfo_t *info, void *context) {
  sigjmp_buf *target = recovery_point;
  if (target != NULL) {
    recovery_point = NULL;
    siglongjmp(*target, 1);
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
     process with SIGBUS as it would have without mmapkit. */
  signal(signo, SIG_DFL);
}

int mmapkit_guard_install(void) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_sigaction = on_sigbus;
  /* SA_NODEFER: leaving the handler by siglongjmp must not leave SIGBUS blocked.
     SA_ONSTACK: use the alternate stack if the thread has one. */
  action.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
  sigemptyset(&action.sa_mask);
  return sigaction(SIGBUS, &action, &previous_action);
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
