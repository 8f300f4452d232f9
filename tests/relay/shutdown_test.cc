// SIGTERM while a relayed call is in flight: the call gets its answer within
// the grace period, nothing is cancelled, vaultd exits 0 soon after, and no
// secret reaches the logs. (tests/vaultd/socket_activation_test checks that
// idle connections do not hold the stop up.)

#include <thread>

#include "absl/time/clock.h"
#include "nlohmann/json.hpp"
#include "tests/relay/relay_test_base.h"

namespace layer_vault::tests::relay {
namespace {

using ::nlohmann::json;

constexpr int kGraceSeconds = 25;

TEST(ShutdownTest, CallInFlightFinishesAndIdleConnectionsDoNotHoldTheStop) {
  RelayEnvOptions options;
  options.extra_config = {{"shutdown_grace_seconds", kGraceSeconds}};
  auto env = RelayEnv::Start(options);
  RELAY_ASSERT_OK(env);
  auto client = (*env)->Client();
  RELAY_ASSERT_OK(client);
  // The connection is up and idle before the slow call.
  RELAY_ASSERT_OK((*client)->Call("workspaces.list", {{"limit", 1}}).status());
  auto idle = (*env)->Client();
  RELAY_ASSERT_OK(idle);
  RELAY_ASSERT_OK((*idle)->Call("workspaces.list", {{"limit", 1}}).status());

  RELAY_ASSERT_OK((*env)->fake().InjectFault({{"type", "delay"},
                                              {"delay_ms", 1500},
                                              {"method", "GET"},
                                              {"path", "/api/v1/workspaces"}}));
  absl::StatusOr<json> slow;
  std::thread caller(
      [&] { slow = (*client)->Call("workspaces.list", {{"limit", 1}}); });
  // Wait until the request is held inside the fake, i.e. inside vaultd's
  // relay (no sleep: the fake's request log says when).
  const absl::Time give_up = absl::Now() + absl::Seconds(20);
  while ((*env)->Recorded("GET", "/v1/workspaces").size() < 3 &&
         absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  ASSERT_EQ((*env)->Recorded("GET", "/v1/workspaces").size(), 3u);

  const absl::Time stop_started = absl::Now();
  RELAY_EXPECT_OK((*env)->vaultd().Stop());  // SIGTERM; exits 0.
  const absl::Duration stop_took = absl::Now() - stop_started;
  caller.join();

  RELAY_EXPECT_OK(slow.status());
  EXPECT_LT(stop_took, absl::Seconds(kGraceSeconds) / 2)
      << "vaultd waited for the idle connection";
  EXPECT_THAT((*env)->vaultd().Stderr(),
              ::testing::Not(::testing::HasSubstr("cancelling")));
  EXPECT_THAT((*env)->FindLeaks(), ::testing::IsEmpty());
}

}  // namespace
}  // namespace layer_vault::tests::relay
