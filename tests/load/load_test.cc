// Load: many concurrent clients against the real vaultd, relaying to the
// fake Layer.ai over real HTTPS, for a bounded time; then vaultd must hold
// no more file descriptors and (about) no more memory than after a warm-up
// with the same load.
//
// Each client is a thread with its own client::VaultClient (its own gRPC
// channel and connection). It loops, deterministically by iteration:
//   every 2nd iteration  InvalidateToken + IssueToken: a fresh token from
//                        vaultd (policy + Ed25519 signature), not the cache;
//   every iteration      one relayed call: workspaces.list (REST) or
//                        graphql.GetWorkspaceUsage (GraphQL), alternating,
//                        and on every 8th iteration inferences.estimate
//                        (a POST) instead.
// Every call's outcome is counted per kind. The policy's rate limit
// (10000/s, burst 100000) and budget (none) are out of reach of this load,
// so every outcome other than OK (or an HTTP status other than 200, or a
// GraphQL error) is unexpected and fails the test. The fake must have seen
// exactly one request per relayed call (no retries, nothing lost).
//
// Phases: warm-up (same clients, same loop; the clients then disconnect),
// a settle, the "warm" reading of vaultd's open fds (/proc/PID/fd) and RSS
// (VmRSS); then the load phase with fresh clients, the clients disconnect,
// a settle, the "after" reading. Asserted: fds after <= fds warm (no
// slack: after both phases the relay's pool of kept-alive HTTPS
// connections is full, capped at 32 idle handles, and every gRPC
// connection of the clients is gone), and RSS after <= 1.10 x RSS warm.
//
// Why the warm-up grows with the run: vaultd's RSS under this load keeps
// creeping up long after the first seconds, sublinearly (glibc's per-thread
// arenas fragment as gRPC's sync server starts and ends threads with the
// load). Measured with a 2 s warm-up (40.5 MiB warm): 46.5 MiB 20 s into
// the load, 49.8 MiB at 60 s, 52.3 MiB at 240 s, the growth falling from
// ~84 KiB/s to ~9 KiB/s while the calls stayed at ~1000/s.
// A leak grows linearly with the calls. With a warm-up of a quarter of the
// load, the ratio after/warm stays bounded for drift that levels off, and
// grows with the run's length for a leak; so "within 10%" separates them on
// a long run. The 5 s CI run catches gross growth only (a leak of KiBs per
// connection, token or call); the long run is the sensitive one.
//
// Environment (defaults in parentheses; the CI run uses the defaults):
//   LOAD_TEST_SECONDS         length of the load phase (5)
//   LOAD_TEST_WARMUP_SECONDS  length of the warm-up (max(5, load / 4);
//                             under ASan max(10, load / 4))
//   LOAD_TEST_CLIENTS         concurrent clients (64)
// A long run:
//   bazel test //tests/load:load_test --test_output=all
//     --test_env=LOAD_TEST_SECONDS=600 --test_timeout=900  (one line)
//
// Under AddressSanitizer, vaultd runs with a 16 MiB quarantine (64 KiB per
// thread) instead of ASan's default 256 MiB (1 MiB per thread): freed
// memory sits in the quarantine until it is full, so with the default the
// RSS of an ASan vaultd grows with every allocation for far longer than any
// warm-up here, whether or not anything leaks. And the warm-up is 10 s, not
// 5: an ASan vaultd serves about a quarter of the calls per second, and its
// allocator needs about as many calls, not seconds, to level off
// (measured: +8.8% to +9.7% after a 5 s warm-up, +1.0% after 10 s). The
// 10% bound is the same; LSan at vaultd's exit, which the clean Stop at the
// end requires, catches unreachable leaks besides.

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/vault_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/load/call_stats.h"
#include "tests/load/process_stats.h"
#include "tests/load/run_together.h"
#include "tests/relay/relay_env.h"

namespace layer_vault::tests::load {
namespace {

using ::nlohmann::json;
using relay::kImageFast;
using relay::kStudio;
using relay::RelayEnv;

enum CallKind { kIssueToken, kListWorkspaces, kGetUsage, kEstimate, kKinds };

constexpr std::array<const char*, kKinds> kKindNames = {
    "IssueToken (fresh)", "workspaces.list", "graphql.GetWorkspaceUsage",
    "inferences.estimate"};

using KindStats = std::array<CallStats, kKinds>;

double EnvNumber(const char* name, double fallback, double min, double max) {
  const char* text = getenv(name);
  double value = 0;
  if (text == nullptr || !absl::SimpleAtod(text, &value)) return fallback;
  return std::clamp(value, min, max);
}

bool UnderAddressSanitizer() {
#if defined(__SANITIZE_ADDRESS__)
  return true;
#else
  return false;
#endif
}

struct Settings {
  int clients = 64;
  absl::Duration warmup = absl::Seconds(5);
  absl::Duration load = absl::Seconds(5);

  static Settings FromEnvironment() {
    Settings s;
    s.clients = static_cast<int>(EnvNumber("LOAD_TEST_CLIENTS", 64, 1, 512));
    s.load = absl::Seconds(EnvNumber("LOAD_TEST_SECONDS", 5, 0.5, 86400));
    const double default_warmup = std::max(
        UnderAddressSanitizer() ? 10.0 : 5.0, absl::ToDoubleSeconds(s.load) / 4);
    s.warmup = absl::Seconds(
        EnvNumber("LOAD_TEST_WARMUP_SECONDS", default_warmup, 0.5, 86400));
    return s;
  }
};

// Records one relayed call's result: OK only for HTTP 200 without GraphQL
// errors.
void RecordCall(const absl::StatusOr<client::CallResult>& result,
                absl::Duration latency, CallStats& stats) {
  if (!result.ok()) {
    stats.Record(latency, absl::StatusCodeToString(result.status().code()),
                 result.status().message());
  } else if (result->http_status != 200) {
    stats.Record(latency, absl::StrCat("HTTP ", result->http_status));
  } else if (result->body.is_object() && result->body.contains("errors")) {
    stats.Record(latency, "GraphQL errors", result->body["errors"].dump());
  } else {
    stats.Record(latency, CallStats::kOk);
  }
}

// One client's loop until `end`; `index` staggers the estimates.
void RunClient(client::VaultClient& client, int index, absl::Time end,
               KindStats& stats) {
  static const json kListParams = {{"limit", 5}};
  static const json kUsageParams = {{"workspaceId", kStudio},
                                    {"groupBy", {"MODEL_ID"}}};
  static const json kEstimateParams = {
      {"workspace_id", kStudio},
      {"body",
       {{"model_id", kImageFast}, {"prompt", "stone tower"}, {"batch_size", 2}}}};
  for (int64_t i = 0; absl::Now() < end; ++i) {
    if (i % 2 == 0) {
      client.InvalidateToken();
      const absl::Time t0 = absl::Now();
      absl::StatusOr<client::TokenInfo> token = client.IssueToken();
      const absl::Duration latency = absl::Now() - t0;
      if (token.ok()) {
        stats[kIssueToken].Record(latency, CallStats::kOk);
      } else {
        stats[kIssueToken].Record(latency,
                                  absl::StatusCodeToString(token.status().code()),
                                  token.status().message());
      }
    }
    CallKind kind = (i / 2) % 2 == 0 ? kListWorkspaces : kGetUsage;
    if ((i + index) % 8 == 7) kind = kEstimate;
    const char* operation = kind == kListWorkspaces ? "workspaces.list"
                            : kind == kGetUsage     ? "graphql.GetWorkspaceUsage"
                                                    : "inferences.estimate";
    const json& params = kind == kListWorkspaces ? kListParams
                         : kind == kGetUsage     ? kUsageParams
                                                 : kEstimateParams;
    const absl::Time t0 = absl::Now();
    absl::StatusOr<client::CallResult> result =
        client.CallDetailed(operation, params);
    RecordCall(result, absl::Now() - t0, stats[kind]);
  }
}

struct PhaseResult {
  KindStats stats;
  absl::Duration elapsed;
  int64_t calls() const {
    int64_t n = 0;
    for (const CallStats& s : stats) n += s.calls();
    return n;
  }
  int64_t failures() const {
    int64_t n = 0;
    for (const CallStats& s : stats) n += s.failures();
    return n;
  }
  int64_t relayed_ok() const {
    return stats[kListWorkspaces].count(CallStats::kOk) +
           stats[kGetUsage].count(CallStats::kOk) +
           stats[kEstimate].count(CallStats::kOk);
  }
};

// `clients` fresh clients, each looping on its own thread for `duration`;
// every client is destroyed (its connection closed) before this returns.
absl::StatusOr<PhaseResult> RunPhase(const RelayEnv& env, int clients,
                                     absl::Duration duration) {
  // Connected one by one before the clock starts: the load is on calls,
  // not on a storm of 64 simultaneous connects (which, under ASan, can
  // outlast the client's 1 s connect timeout).
  std::vector<std::unique_ptr<client::VaultClient>> pool;
  for (int i = 0; i < clients; ++i) {
    auto c = env.Client();
    if (!c.ok()) return c.status();
    if (auto ping = (*c)->Ping(); !ping.ok()) return ping.status();
    pool.push_back(*std::move(c));
  }
  std::vector<KindStats> per_thread(clients);
  PhaseResult result;
  result.elapsed = RunTogether(clients, duration, [&](int i, absl::Time end) {
    RunClient(*pool[i], i, end, per_thread[i]);
  });
  pool.clear();
  for (const KindStats& s : per_thread) {
    for (int k = 0; k < kKinds; ++k) result.stats[k].Merge(s[k]);
  }
  return result;
}

double Ms(absl::Duration d) { return absl::ToDoubleMilliseconds(d); }

void PrintPhase(const char* name, const PhaseResult& phase, int clients) {
  const double seconds = absl::ToDoubleSeconds(phase.elapsed);
  std::printf("\n%s: %d clients, %.1f s, %lld calls, %.0f calls/s, %lld "
              "failed\n",
              name, clients, seconds, static_cast<long long>(phase.calls()),
              static_cast<double>(phase.calls()) / seconds,
              static_cast<long long>(phase.failures()));
  std::printf("  %-27s %8s %9s %9s %9s %9s  %s\n", "call", "calls", "calls/s",
              "p50 ms", "p99 ms", "max ms", "outcomes");
  for (int k = 0; k < kKinds; ++k) {
    const CallStats& s = phase.stats[k];
    const LatencySummary l = s.Summarize();
    std::printf("  %-27s %8lld %9.0f %9.2f %9.2f %9.2f  %s\n", kKindNames[k],
                static_cast<long long>(l.calls),
                static_cast<double>(l.calls) / seconds, Ms(l.p50), Ms(l.p99),
                Ms(l.max), s.OutcomesText().c_str());
    for (const std::string& f : s.first_failures()) {
      std::printf("    first failures: %s\n", f.c_str());
    }
  }
  std::fflush(stdout);
}

// The number of API requests the fake served since its last reset (the
// highest sequence number it recorded; it keeps the last 10,000).
absl::StatusOr<int64_t> FakeRequestsServed(relay::FakeLayer& fake) {
  auto recorded = fake.Requests();
  if (!recorded.ok()) return recorded.status();
  int64_t seq = 0;
  for (const json& r : (*recorded)["requests"]) {
    seq = std::max<int64_t>(seq, r.value("seq", int64_t{0}));
  }
  return seq;
}

TEST(LoadTest, ManyClientsNoErrorsNoFdOrMemoryGrowth) {
  const Settings settings = Settings::FromEnvironment();
  if (UnderAddressSanitizer()) {
    const char* current = getenv("ASAN_OPTIONS");
    const std::string options =
        absl::StrCat(current == nullptr ? "" : current,
                     current == nullptr || *current == '\0' ? "" : ":",
                     "quarantine_size_mb=16:thread_local_quarantine_size_kb=64");
    setenv("ASAN_OPTIONS", options.c_str(), 1);
  }
  // The default policy: PolicyForSelf, rate limit 10000/s with a burst of
  // 100000, no budget limits.
  auto started = RelayEnv::Start();
  ASSERT_TRUE(started.ok()) << started.status();
  std::unique_ptr<RelayEnv> env = *std::move(started);
  const pid_t pid = env->vaultd().pid();

  const absl::StatusOr<int> fds_at_start = OpenFds(pid);
  bool check_fds = true;
  if (absl::IsPermissionDenied(fds_at_start.status()) && geteuid() != 0) {
    // vaultd is non-dumpable: only root (or CAP_SYS_PTRACE) may list its fds.
    std::printf("NOTE: cannot read vaultd's fds as uid %d (%s); the fd check "
                "is skipped, run as root for it\n",
                static_cast<int>(geteuid()),
                std::string(fds_at_start.status().message()).c_str());
    check_fds = false;
  } else {
    ASSERT_TRUE(fds_at_start.ok()) << fds_at_start.status();
  }
  auto sample = [&](int fds_at_most) -> absl::StatusOr<ProcessSample> {
    if (!check_fds) {
      auto rss = ResidentKib(pid);
      if (!rss.ok()) return rss.status();
      // Without fd readings, settle on time alone.
      absl::SleepFor(absl::Seconds(1));
      rss = ResidentKib(pid);
      if (!rss.ok()) return rss.status();
      return ProcessSample{-1, *rss};
    }
    return SettleAndSample(pid, fds_at_most, absl::Milliseconds(300),
                           absl::Seconds(5));
  };

  std::printf("load_test: vaultd pid %d, %ld CPUs, %d clients, warm-up %.1f "
              "s, load %.1f s%s\n",
              static_cast<int>(pid), sysconf(_SC_NPROCESSORS_ONLN),
              settings.clients, absl::ToDoubleSeconds(settings.warmup),
              absl::ToDoubleSeconds(settings.load),
              UnderAddressSanitizer() ? " (ASan: vaultd quarantine 16 MiB)" : "");
  std::fflush(stdout);

  auto warmup = RunPhase(*env, settings.clients, settings.warmup);
  ASSERT_TRUE(warmup.ok()) << warmup.status();
  PrintPhase("warm-up", *warmup, settings.clients);
  EXPECT_EQ(warmup->failures(), 0);
  auto warm = sample(-1);
  ASSERT_TRUE(warm.ok()) << warm.status();
  const std::string warm_kinds = FdKindsText(pid);

  ASSERT_TRUE(env->fake().Reset().ok());
  auto load = RunPhase(*env, settings.clients, settings.load);
  ASSERT_TRUE(load.ok()) << load.status();
  PrintPhase("load", *load, settings.clients);
  auto after = sample(warm->fds);
  ASSERT_TRUE(after.ok()) << after.status();

  std::printf("\nvaultd fds: %d at start, %d warm, %d after the load\n",
              fds_at_start.ok() ? *fds_at_start : -1, warm->fds, after->fds);
  std::printf("  warm:  %s\n  after: %s\n", warm_kinds.c_str(),
              FdKindsText(pid).c_str());
  std::printf("vaultd RSS: %.1f MiB warm, %.1f MiB after the load (%+.1f%%)\n",
              static_cast<double>(warm->rss_kib) / 1024,
              static_cast<double>(after->rss_kib) / 1024,
              100.0 * static_cast<double>(after->rss_kib - warm->rss_kib) /
                  static_cast<double>(warm->rss_kib));
  std::fflush(stdout);

  // Every call succeeded, every kind ran.
  EXPECT_EQ(load->failures(), 0);
  for (int k = 0; k < kKinds; ++k) {
    EXPECT_GT(load->stats[k].count(CallStats::kOk), 0) << kKindNames[k];
  }
  // One upstream request per relayed call: no retries, nothing dropped.
  if (load->failures() == 0) {
    auto served = FakeRequestsServed(env->fake());
    ASSERT_TRUE(served.ok()) << served.status();
    EXPECT_EQ(*served, load->relayed_ok());
  }
  // No descriptor and no memory kept per client, call or token.
  if (check_fds) {
    EXPECT_LE(after->fds, warm->fds);
  }
  EXPECT_LE(static_cast<double>(after->rss_kib),
            1.10 * static_cast<double>(warm->rss_kib));

  EXPECT_THAT(env->FindLeaks(), ::testing::IsEmpty());
  // A clean exit, so that vaultd's own checks (LSan) can fail the test.
  const absl::Status stopped = env->vaultd().Stop();
  EXPECT_TRUE(stopped.ok()) << stopped;
}

}  // namespace
}  // namespace layer_vault::tests::load
