#include "vaultd/server/call_tracker.h"

namespace layer_vault::server {
namespace {

class CountingInterceptor : public grpc::experimental::Interceptor {
 public:
  explicit CountingInterceptor(CallTracker* tracker) : tracker_(tracker) {
    tracker_->CallStarted();
  }
  ~CountingInterceptor() override { tracker_->CallEnded(); }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods)
      override {
    methods->Proceed();
  }

 private:
  CallTracker* const tracker_;
};

class CountingFactory
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit CountingFactory(CallTracker* tracker) : tracker_(tracker) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo*) override {
    return new CountingInterceptor(tracker_);
  }

 private:
  CallTracker* const tracker_;
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
CallTracker::NewInterceptorFactory() {
  return std::make_unique<CountingFactory>(this);
}

int64_t CallTracker::in_flight() const {
  absl::MutexLock lock(&mu_);
  return in_flight_;
}

bool CallTracker::WaitUntilIdle(absl::Time deadline) const {
  absl::MutexLock lock(&mu_);
  return mu_.AwaitWithDeadline(absl::Condition(this, &CallTracker::IdleLocked),
                               deadline);
}

bool CallTracker::IdleLocked() const { return in_flight_ == 0; }

void CallTracker::CallStarted() {
  absl::MutexLock lock(&mu_);
  ++in_flight_;
}

void CallTracker::CallEnded() {
  absl::MutexLock lock(&mu_);
  --in_flight_;
}

}  // namespace layer_vault::server
