// ThreadSanitizer annotations for Debian's Abseil (--config=tsan only).
//
// Debian builds libabsl without ABSL_HAVE_THREAD_SANITIZER, so absl::Mutex
// and absl::Notification synchronise through raw futexes that TSan cannot
// see, and every access guarded by an absl::Mutex would be reported as a
// race. The tsan config links with -Wl,--wrap=<symbol> for each entry point
// the project calls (see .bazelrc), which sends our calls here; each wrapper
// tells TSan what the real function does (lock, unlock, release, acquire)
// and calls it (__real_<symbol>). Calls made inside the shared libraries
// themselves (gRPC's own locking) are not wrapped, which is why only tests
// that do not run a gRPC server or client are run under TSan.

#include <sanitizer/tsan_interface.h>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

#if !defined(__SANITIZE_THREAD__)
#error "tools/tsan/absl_sync_annotations.cc is only for --config=tsan"
#endif

extern "C" {
void AnnotateIgnoreReadsBegin(const char* file, int line);
void AnnotateIgnoreReadsEnd(const char* file, int line);
}

namespace {

// Around a real Await*: TSan is told the lock is released for the wait and
// taken again after it. The real function evaluates the condition (reads of
// guarded data) under the real lock while TSan believes it released, so
// reads are ignored meanwhile.
class AwaitAnnotation {
 public:
  explicit AwaitAnnotation(void* mu) : mu_(mu) {
    __tsan_mutex_pre_unlock(mu_, 0);
    __tsan_mutex_post_unlock(mu_, 0);
    AnnotateIgnoreReadsBegin(__FILE__, __LINE__);
  }
  ~AwaitAnnotation() {
    AnnotateIgnoreReadsEnd(__FILE__, __LINE__);
    __tsan_mutex_pre_lock(mu_, 0);
    __tsan_mutex_post_lock(mu_, 0, 0);
  }

 private:
  void* const mu_;
};

}  // namespace

#define REAL(sym) __real_##sym
#define WRAP(sym) __wrap_##sym

using absl::Condition;
using absl::Duration;
using absl::Mutex;
using absl::Notification;
using absl::Time;

extern "C" {

// absl::Mutex::Lock / Unlock / ReaderLock / ReaderUnlock.
void REAL(_ZN4absl7debian35Mutex4LockEv)(Mutex*);
void WRAP(_ZN4absl7debian35Mutex4LockEv)(Mutex* mu) {
  __tsan_mutex_pre_lock(mu, 0);
  REAL(_ZN4absl7debian35Mutex4LockEv)(mu);
  __tsan_mutex_post_lock(mu, 0, 0);
}

void REAL(_ZN4absl7debian35Mutex6UnlockEv)(Mutex*);
void WRAP(_ZN4absl7debian35Mutex6UnlockEv)(Mutex* mu) {
  __tsan_mutex_pre_unlock(mu, 0);
  REAL(_ZN4absl7debian35Mutex6UnlockEv)(mu);
  __tsan_mutex_post_unlock(mu, 0);
}

void REAL(_ZN4absl7debian35Mutex10ReaderLockEv)(Mutex*);
void WRAP(_ZN4absl7debian35Mutex10ReaderLockEv)(Mutex* mu) {
  __tsan_mutex_pre_lock(mu, __tsan_mutex_read_lock);
  REAL(_ZN4absl7debian35Mutex10ReaderLockEv)(mu);
  __tsan_mutex_post_lock(mu, __tsan_mutex_read_lock, 0);
}

void REAL(_ZN4absl7debian35Mutex12ReaderUnlockEv)(Mutex*);
void WRAP(_ZN4absl7debian35Mutex12ReaderUnlockEv)(Mutex* mu) {
  __tsan_mutex_pre_unlock(mu, __tsan_mutex_read_lock);
  REAL(_ZN4absl7debian35Mutex12ReaderUnlockEv)(mu);
  __tsan_mutex_post_unlock(mu, __tsan_mutex_read_lock);
}

// Await*: called with the lock held; the lock is released while waiting and
// held again on return.
void REAL(_ZN4absl7debian35Mutex5AwaitERKNS0_9ConditionE)(Mutex*,
                                                         const Condition&);
void WRAP(_ZN4absl7debian35Mutex5AwaitERKNS0_9ConditionE)(
    Mutex* mu, const Condition& cond) {
  AwaitAnnotation annotation(mu);
  REAL(_ZN4absl7debian35Mutex5AwaitERKNS0_9ConditionE)(mu, cond);
}

bool REAL(_ZN4absl7debian35Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE)(
    Mutex*, const Condition&, Duration);
bool WRAP(_ZN4absl7debian35Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE)(
    Mutex* mu, const Condition& cond, Duration timeout) {
  AwaitAnnotation annotation(mu);
  return REAL(
        _ZN4absl7debian35Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE)(
        mu, cond, timeout);
}

bool REAL(_ZN4absl7debian35Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE)(
    Mutex*, const Condition&, Time);
bool WRAP(_ZN4absl7debian35Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE)(
    Mutex* mu, const Condition& cond, Time deadline) {
  AwaitAnnotation annotation(mu);
  return REAL(
        _ZN4absl7debian35Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE)(
        mu, cond, deadline);
}

// absl::Notification: Notify releases, a successful wait acquires.
void REAL(_ZN4absl7debian312Notification6NotifyEv)(Notification*);
void WRAP(_ZN4absl7debian312Notification6NotifyEv)(Notification* n) {
  __tsan_release(n);
  REAL(_ZN4absl7debian312Notification6NotifyEv)(n);
}

void REAL(_ZNK4absl7debian312Notification19WaitForNotificationEv)(
    const Notification*);
void WRAP(_ZNK4absl7debian312Notification19WaitForNotificationEv)(
    const Notification* n) {
  REAL(_ZNK4absl7debian312Notification19WaitForNotificationEv)(n);
  __tsan_acquire(const_cast<Notification*>(n));
}

bool REAL(_ZNK4absl7debian312Notification30WaitForNotificationWithTimeoutENS0_8DurationE)(
    const Notification*, Duration);
bool WRAP(_ZNK4absl7debian312Notification30WaitForNotificationWithTimeoutENS0_8DurationE)(
    const Notification* n, Duration timeout) {
  const bool notified = REAL(
      _ZNK4absl7debian312Notification30WaitForNotificationWithTimeoutENS0_8DurationE)(
      n, timeout);
  if (notified) __tsan_acquire(const_cast<Notification*>(n));
  return notified;
}

}  // extern "C"
