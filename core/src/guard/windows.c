/*
 * Windows: a file truncated under a view raises EXCEPTION_IN_PAGE_ERROR in the accessing thread.
 * Structured exception handling turns it into a failed call (see unix.c for the contract).
 */
#include <windows.h>

int mmapkit_guard_install(void) { return 0; }

int mmapkit_guarded_call(void (*callback)(void *), void *context) {
  __try {
    callback(context);
    return 0;
  } __except (GetExceptionCode() == EXCEPTION_IN_PAGE_ERROR ? EXCEPTION_EXECUTE_HANDLER
                                                            : EXCEPTION_CONTINUE_SEARCH) {
    return 1;
  }
}
