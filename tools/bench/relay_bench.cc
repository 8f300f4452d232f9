// relay_bench: what vaultd's Layer.ai relay adds to a call. One idempotent
// read (workspaces.get) against the fake Layer.ai (tests/fake_layer, real
// HTTPS with its test CA), two ways in the same run:
//   direct  this process -> HTTPS (libcurl, one kept-alive handle per
//           caller, the PAT in the Authorization header) -> the fake;
//   relay   this process -> vaultd's workload socket (gRPC, one channel per
//           caller, a token issued beforehand) -> vaultd: token check,
//           policy, rate limit, registry, audit -> HTTPS (vaultd's pooled,
//           kept-alive libcurl handles) -> the fake.
// Latency: single caller, the two paths interleaved call by call (so drift
// in the fake or the machine hits both alike); "added" is relay minus
// direct at the same percentile. Throughput: `callers` concurrent callers
// per path for `seconds` each.
//
//   bazel run //tools/bench:relay_bench [-- --requests=3000 --seconds=3]
//
// Besides the table, the figures are printed once more on a line
// "BENCH bench=relay key=value ..." for tools/bench/run.sh.
//
// Everything runs on this machine: the Node fake, vaultd and the callers
// share the CPUs, so throughput is bounded by the fake (single-threaded)
// and by the machine, for both paths alike.

#include <curl/curl.h>
#include <grpcpp/grpcpp.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "proto/vault.grpc.pb.h"
#include "tests/relay/fake_layer.h"
#include "tests/relay/vaultd_process.h"

ABSL_FLAG(int, requests, 3000, "latency samples per path (single caller)");
ABSL_FLAG(int, warmup, 300, "warm-up calls per path before measuring");
ABSL_FLAG(int, callers, 16, "concurrent callers for the throughput phase");
ABSL_FLAG(double, seconds, 3.0, "length of each throughput phase");

namespace layer_vault::bench {
namespace {

namespace v1 = ::layer::vault::v1;
using tests::relay::FakeLayer;
using tests::relay::VaultdProcess;

constexpr char kStudio[] = "00000000-0000-4000-8000-000000000001";

size_t Discard(char*, size_t size, size_t count, void*) { return size * count; }

// One direct caller: a kept-alive libcurl handle to the fake, configured
// as vaultd configures its own (HTTPS, verified, HTTP/1.1, same headers).
class DirectCaller {
 public:
  explicit DirectCaller(const FakeLayer& fake)
      : url_(absl::StrCat(fake.base_url(), "/v1/workspaces/", kStudio)),
        auth_("Authorization: Bearer " + fake.pat()) {
    curl_ = curl_easy_init();
    headers_ = curl_slist_append(nullptr, auth_.c_str());
    headers_ = curl_slist_append(headers_, "Accept: application/json");
    curl_easy_setopt(curl_, CURLOPT_URL, url_.c_str());
    curl_easy_setopt(curl_, CURLOPT_CAINFO, fake.ca_file().c_str());
    curl_easy_setopt(curl_, CURLOPT_PROXY, "");
    curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl_, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(curl_, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2);
    curl_easy_setopt(curl_, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, 30000L);
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers_);
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, &Discard);
  }
  ~DirectCaller() {
    curl_easy_cleanup(curl_);
    curl_slist_free_all(headers_);
  }
  DirectCaller(const DirectCaller&) = delete;
  DirectCaller& operator=(const DirectCaller&) = delete;

  bool Call() {
    if (curl_easy_perform(curl_) != CURLE_OK) return false;
    long status = 0;
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &status);
    return status == 200;
  }

 private:
  const std::string url_;
  const std::string auth_;
  CURL* curl_ = nullptr;
  curl_slist* headers_ = nullptr;
};

// One relay caller: its own gRPC channel (and connection) to vaultd and a
// token issued up front, as the client library would hold it.
class RelayCaller {
 public:
  static absl::StatusOr<std::unique_ptr<RelayCaller>> Create(
      const std::string& socket) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    std::unique_ptr<RelayCaller> caller(new RelayCaller());
    caller->stub_ = v1::Workload::NewStub(grpc::CreateCustomChannel(
        "unix:" + socket, grpc::InsecureChannelCredentials(), args));
    v1::IssueTokenRequest req;
    req.add_scopes("layer:read");
    req.set_ttl_seconds(900);
    v1::IssueTokenResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    grpc::Status s = caller->stub_->IssueToken(&ctx, req, &resp);
    if (!s.ok()) {
      return absl::UnavailableError("IssueToken: " + s.error_message());
    }
    caller->request_.set_token(resp.token());
    caller->request_.set_operation("workspaces.get");
    caller->request_.set_params_json(
        nlohmann::json({{"workspace_id", kStudio}}).dump());
    return caller;
  }

  bool Call() {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    v1::CallLayerResponse resp;
    grpc::Status s = stub_->CallLayer(&ctx, request_, &resp);
    if (!s.ok() && errors_reported_++ < 3) {
      std::fprintf(stderr, "relay_bench: CallLayer: %d %s\n",
                   static_cast<int>(s.error_code()), s.error_message().c_str());
    }
    return s.ok() && resp.http_status() == 200;
  }

 private:
  RelayCaller() = default;
  std::unique_ptr<v1::Workload::Stub> stub_;
  v1::CallLayerRequest request_;
  int errors_reported_ = 0;
};

// CPU time (user + system) of process `pid` so far, or of this process for
// pid 0; 0 if unreadable.
double CpuSeconds(pid_t pid) {
  if (pid == 0) {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_utime.tv_sec + u.ru_stime.tv_sec +
           (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
  }
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string text((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  // Fields after the command name (which may hold spaces) start at ") ".
  const size_t close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::vector<std::string> fields =
      absl::StrSplit(text.substr(close + 2), ' ', absl::SkipEmpty());
  // utime and stime are fields 14 and 15 of stat(5), 12 and 13 here.
  if (fields.size() < 13) return 0;
  double utime = 0, stime = 0;
  if (!absl::SimpleAtod(fields[11], &utime) || !absl::SimpleAtod(fields[12], &stime)) {
    return 0;
  }
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(p * v.size()));
  return v[i];
}

double Micros(absl::Duration d) { return absl::ToDoubleMicroseconds(d); }

// Processes whose CPU time per call the throughput phase reports.
struct Processes {
  pid_t vaultd = -1;
  pid_t fake = -1;
};

struct Load {
  double per_second = 0;
  int64_t calls = 0;
  int64_t errors = 0;
  double p50_us = 0;
  double p99_us = 0;
  // CPU microseconds per call of vaultd, the fake and the callers.
  double vaultd_cpu_us = 0;
  double fake_cpu_us = 0;
  double callers_cpu_us = 0;
};

// `callers` threads calling `call(i)` for `seconds`.
template <typename CallFn>
Load RunLoad(int callers, double seconds, const Processes& processes,
             CallFn call) {
  const double vaultd_cpu = CpuSeconds(processes.vaultd);
  const double fake_cpu = CpuSeconds(processes.fake);
  const double own_cpu = CpuSeconds(0);
  std::atomic<bool> stop{false};
  std::atomic<int64_t> calls{0}, errors{0};
  std::vector<std::vector<double>> latencies(callers);
  std::vector<std::thread> threads;
  const absl::Time start = absl::Now();
  for (int i = 0; i < callers; ++i) {
    threads.emplace_back([&, i] {
      while (!stop.load(std::memory_order_relaxed)) {
        const absl::Time t0 = absl::Now();
        const bool ok = call(i);
        latencies[i].push_back(Micros(absl::Now() - t0));
        ++calls;
        if (!ok) ++errors;
      }
    });
  }
  absl::SleepFor(absl::Seconds(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  const double elapsed = absl::ToDoubleSeconds(absl::Now() - start);
  std::vector<double> all;
  for (const auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  Load load;
  load.calls = calls.load();
  load.errors = errors.load();
  load.per_second = static_cast<double>(load.calls) / elapsed;
  load.p50_us = Percentile(all, 0.50);
  load.p99_us = Percentile(all, 0.99);
  const double n = std::max<double>(static_cast<double>(load.calls), 1);
  load.vaultd_cpu_us = (CpuSeconds(processes.vaultd) - vaultd_cpu) * 1e6 / n;
  load.fake_cpu_us = (CpuSeconds(processes.fake) - fake_cpu) * 1e6 / n;
  load.callers_cpu_us = (CpuSeconds(0) - own_cpu) * 1e6 / n;
  return load;
}

int Run() {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  const int requests = absl::GetFlag(FLAGS_requests);
  const int warmup = absl::GetFlag(FLAGS_warmup);
  const int callers = absl::GetFlag(FLAGS_callers);
  const double seconds = absl::GetFlag(FLAGS_seconds);

  FakeLayer::Options fake_options;
  auto fake = FakeLayer::Start(fake_options);
  if (!fake.ok()) {
    std::fprintf(stderr, "relay_bench: %s\n", fake.status().ToString().c_str());
    return 1;
  }
  tests::relay::VaultdProcessOptions options;
  options.stored_pat = (*fake)->pat();
  // The bench caller must not be rate limited: the policy's maximum rate
  // (10000/s) and burst (100000).
  options.policy = tests::relay::PolicyForSelf(
      {"layer:read"}, {{"rate_limit", {{"requests_per_second", 10000},
                                        {"burst", 100000}}}});
  options.layer_api_base = (*fake)->base_url();
  options.layer_graphql_url = (*fake)->graphql_url();
  options.ca_bundle = (*fake)->ca_file();
  auto vaultd = VaultdProcess::Create(options);
  if (!vaultd.ok()) {
    std::fprintf(stderr, "relay_bench: %s\n", vaultd.status().ToString().c_str());
    return 1;
  }
  if (absl::Status s = (*vaultd)->Start(); !s.ok()) {
    std::fprintf(stderr, "relay_bench: %s\n", s.ToString().c_str());
    return 1;
  }

  std::vector<std::unique_ptr<DirectCaller>> direct;
  std::vector<std::unique_ptr<RelayCaller>> relay;
  for (int i = 0; i < std::max(callers, 1); ++i) {
    direct.push_back(std::make_unique<DirectCaller>(**fake));
    auto caller = RelayCaller::Create((*vaultd)->workload_socket());
    if (!caller.ok()) {
      std::fprintf(stderr, "relay_bench: %s\n", caller.status().ToString().c_str());
      return 1;
    }
    relay.push_back(*std::move(caller));
  }
  auto clear = [&] { (void)(*fake)->Control({{"action", "clear_requests"}}); };

  // Warm-up: connections, TLS sessions, vaultd's handle pool, JIT in Node.
  int64_t errors = 0;
  for (int i = 0; i < warmup; ++i) {
    errors += !direct[0]->Call();
    errors += !relay[0]->Call();
  }
  const Processes processes{(*vaultd)->pid(), (*fake)->pid()};
  (void)RunLoad(callers, 0.5, processes, [&](int i) { return direct[i]->Call(); });
  (void)RunLoad(callers, 0.5, processes, [&](int i) { return relay[i]->Call(); });
  clear();

  // Latency, one caller, interleaved.
  std::vector<double> direct_us, relay_us;
  direct_us.reserve(requests);
  relay_us.reserve(requests);
  for (int i = 0; i < requests; ++i) {
    absl::Time t0 = absl::Now();
    errors += !direct[0]->Call();
    direct_us.push_back(Micros(absl::Now() - t0));
    t0 = absl::Now();
    errors += !relay[0]->Call();
    relay_us.push_back(Micros(absl::Now() - t0));
    if (i % 4000 == 3999) clear();
  }
  clear();
  const Load direct_load = RunLoad(callers, seconds, processes,
                                  [&](int i) { return direct[i]->Call(); });
  clear();
  const Load relay_load = RunLoad(callers, seconds, processes,
                                 [&](int i) { return relay[i]->Call(); });
  errors += direct_load.errors + relay_load.errors;

  const double d50 = Percentile(direct_us, 0.50), d99 = Percentile(direct_us, 0.99);
  const double r50 = Percentile(relay_us, 0.50), r99 = Percentile(relay_us, 0.99);
  std::printf(
      "relay_bench: workspaces.get against the fake Layer.ai (HTTPS, kept-alive "
      "connections), %d interleaved calls per path, then %d callers for %.1f s "
      "per path\n\n",
      requests, callers, seconds);
  std::printf("%-34s %12s %12s %12s\n", "single caller latency (us)", "direct",
              "via vaultd", "added");
  std::printf("%-34s %12.0f %12.0f %12.0f\n", "p50", d50, r50, r50 - d50);
  std::printf("%-34s %12.0f %12.0f %12.0f\n", "p99", d99, r99, r99 - d99);
  std::printf("\n%-34s %12s %12s %12s\n",
              absl::StrFormat("%d concurrent callers", callers).c_str(), "direct",
              "via vaultd", "ratio");
  std::printf("%-34s %12.0f %12.0f %11.2fx\n", "throughput (calls/s)",
              direct_load.per_second, relay_load.per_second,
              relay_load.per_second / std::max(direct_load.per_second, 1e-9));
  std::printf("%-34s %12.0f %12.0f %12s\n", "p50 latency under load (us)",
              direct_load.p50_us, relay_load.p50_us, "");
  std::printf("%-34s %12.0f %12.0f %12s\n", "p99 latency under load (us)",
              direct_load.p99_us, relay_load.p99_us, "");
  std::printf("%-34s %12.0f %12.0f %12s\n", "CPU/call: vaultd (us)",
              direct_load.vaultd_cpu_us, relay_load.vaultd_cpu_us, "");
  std::printf("%-34s %12.0f %12.0f %12s\n", "CPU/call: fake Layer.ai (us)",
              direct_load.fake_cpu_us, relay_load.fake_cpu_us, "");
  std::printf("%-34s %12.0f %12.0f %12s\n", "CPU/call: callers (us)",
              direct_load.callers_cpu_us, relay_load.callers_cpu_us, "");
  std::printf("(%ld CPUs shared by the callers, vaultd and the fake)\n",
              sysconf(_SC_NPROCESSORS_ONLN));
  std::printf("\ntargets: added p50 < 1000 us: %s (%.0f us); added p99 < 3000 us: "
              "%s (%.0f us)\n",
              r50 - d50 < 1000 ? "met" : "MISSED", r50 - d50,
              r99 - d99 < 3000 ? "met" : "MISSED", r99 - d99);
  std::printf("errors: %lld\n", static_cast<long long>(errors));
  std::printf(
      "BENCH bench=relay requests=%d callers=%d direct_p50_us=%.0f "
      "direct_p99_us=%.0f relay_p50_us=%.0f relay_p99_us=%.0f "
      "added_p50_us=%.0f added_p99_us=%.0f direct_calls_per_s=%.0f "
      "relay_calls_per_s=%.0f relay_vaultd_cpu_us=%.0f errors=%lld\n",
      requests, callers, d50, d99, r50, r99, r50 - d50, r99 - d99,
      direct_load.per_second, relay_load.per_second, relay_load.vaultd_cpu_us,
      static_cast<long long>(errors));
  absl::Status stopped = (*vaultd)->Stop();
  if (!stopped.ok()) {
    std::fprintf(stderr, "relay_bench: %s\n", stopped.ToString().c_str());
  }
  return errors == 0 && stopped.ok() ? 0 : 1;
}

}  // namespace
}  // namespace layer_vault::bench

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "relay_bench: latency and throughput vaultd's relay adds to a Layer.ai "
      "read, against a direct HTTPS call to the fake Layer.ai");
  absl::ParseCommandLine(argc, argv);
  return layer_vault::bench::Run();
}
