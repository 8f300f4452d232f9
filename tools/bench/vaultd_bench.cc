// vaultd_bench: throughput and latency of the real vaultd over its real
// workload socket, with 1, 4 and 16 concurrent clients (one channel and
// connection each), for
//   Ping        the echo floor: a round trip through the accept loop,
//               attestation lookup and policy, no crypto;
//   IssueToken  policy + Ed25519 signature;
//   GetSpend    token verification (Ed25519 verify + revocation checks).
// Then vaultd's idle RSS once the load has settled. Prints the targets of
// issue 4 beside the figures. First, vaultd's start time: spawn to READY=1
// on NOTIFY_SOCKET (key-file store, unsealed at start, a stored PAT),
// `starts` times.
//
//   bazel run //tools/bench:vaultd_bench [-- --seconds=2 --clients=1,4,16
//                                            --starts=10]
//
// Besides the tables, every figure is printed once more on a line
// "BENCH bench=<name> key=value ..." for tools/bench/run.sh.
//
// Columns: throughput of all clients together; latency percentiles of
// single calls; "srv CPU/call", vaultd's utime+stime over the cell divided
// by the calls; "cost vs Ping", the wall-clock cost of a call relative to
// Ping's at the same concurrency (Ping throughput / this throughput). The
// clients run on the same machine and compete with vaultd for the CPUs;
// the server CPU figure does not depend on that.

#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <stdlib.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "proto/vault.grpc.pb.h"
#include "tests/load/run_together.h"
#include "tests/relay/fake_layer.h"
#include "tests/relay/vaultd_process.h"
#include "tests/vaultd/vaultd_harness.h"

ABSL_FLAG(double, seconds, 2.0, "measuring time per cell (after warm-up)");
ABSL_FLAG(std::string, clients, "1,4,16", "concurrent clients per cell");
ABSL_FLAG(int, starts, 10, "vaultd starts to time (spawn to READY=1); 0: none");

namespace layer_vault::bench {
namespace {

namespace v1 = layer::vault::v1;
using tests::vaultd::Vaultd;
using tests::vaultd::VaultdOptions;

enum class Rpc { kPing, kIssueToken, kGetSpend };

const char* Name(Rpc rpc) {
  switch (rpc) {
    case Rpc::kPing:
      return "Ping";
    case Rpc::kIssueToken:
      return "IssueToken";
    case Rpc::kGetSpend:
      return "GetSpend(verify)";
  }
  return "?";
}

// One client: its own channel and, for GetSpend, its own token.
class Client {
 public:
  explicit Client(const std::string& socket)
      : stub_(v1::Workload::NewStub(tests::vaultd::UnixChannel(socket))) {}

  absl::Status Prepare(Rpc rpc) {
    if (rpc != Rpc::kGetSpend) return absl::OkStatus();
    grpc::Status s = Once(Rpc::kIssueToken);
    if (!s.ok()) return absl::InternalError(s.error_message());
    token_ = last_token_;
    return absl::OkStatus();
  }

  grpc::Status Once(Rpc rpc) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(10));
    switch (rpc) {
      case Rpc::kPing: {
        v1::PingRequest req;
        req.set_payload("ping");
        v1::PingResponse resp;
        return stub_->Ping(&ctx, req, &resp);
      }
      case Rpc::kIssueToken: {
        v1::IssueTokenRequest req;
        req.add_scopes("layer:read");
        v1::IssueTokenResponse resp;
        grpc::Status s = stub_->IssueToken(&ctx, req, &resp);
        last_token_ = resp.token();
        return s;
      }
      case Rpc::kGetSpend: {
        v1::GetSpendRequest req;
        req.set_token(token_);
        v1::GetSpendResponse resp;
        return stub_->GetSpend(&ctx, req, &resp);
      }
    }
    return grpc::Status(grpc::StatusCode::INTERNAL, "unknown rpc");
  }

 private:
  std::unique_ptr<v1::Workload::Stub> stub_;
  std::string token_;
  std::string last_token_;
};

struct Cell {
  Rpc rpc;
  int clients = 0;
  int64_t calls = 0;
  int64_t errors = 0;
  std::string first_error;
  double seconds = 0;
  double throughput = 0;  // calls per second, all clients
  double p50_us = 0, p99_us = 0, mean_us = 0;
  double server_cpu_us_per_call = 0;
};

// vaultd's CPU time so far (utime + stime), from /proc/<pid>/stat.
absl::Duration ProcessCpu(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string stat((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  size_t close_paren = stat.rfind(')');
  if (close_paren == std::string::npos) return absl::ZeroDuration();
  std::vector<std::string> fields =
      absl::StrSplit(stat.substr(close_paren + 2), ' ');
  // Fields after "(comm)": state is field 3, utime 14, stime 15.
  int64_t utime = 0, stime = 0;
  if (fields.size() < 13 || !absl::SimpleAtoi(fields[11], &utime) ||
      !absl::SimpleAtoi(fields[12], &stime)) {
    return absl::ZeroDuration();
  }
  return absl::Seconds(static_cast<double>(utime + stime) /
                       static_cast<double>(sysconf(_SC_CLK_TCK)));
}

// "VmRSS:     12345 kB" -> bytes.
int64_t StatusKb(pid_t pid, const std::string& key) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) != 0) continue;
    std::vector<std::string> parts = absl::StrSplit(
        line.substr(key.size() + 1), absl::ByAnyChar(" \t"), absl::SkipEmpty());
    int64_t kb = 0;
    if (!parts.empty() && absl::SimpleAtoi(parts[0], &kb)) return kb;
  }
  return -1;
}

double Percentile(const std::vector<int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t i = static_cast<size_t>(p * static_cast<double>(sorted.size() - 1));
  return static_cast<double>(sorted[i]) / 1000.0;
}

absl::StatusOr<Cell> RunCell(Vaultd& vaultd, Rpc rpc, int clients,
                             absl::Duration duration) {
  std::vector<std::unique_ptr<Client>> pool;
  for (int i = 0; i < clients; ++i) {
    pool.push_back(std::make_unique<Client>(vaultd.workload_socket()));
    if (absl::Status s = pool.back()->Prepare(rpc); !s.ok()) return s;
    // Warm-up: connect and settle.
    for (int w = 0; w < 50; ++w) {
      grpc::Status s = pool.back()->Once(rpc);
      if (!s.ok()) {
        return absl::InternalError(
            absl::StrCat(Name(rpc), " failed in warm-up: ", s.error_message()));
      }
    }
  }

  std::vector<std::vector<int64_t>> latencies(clients);
  std::vector<int64_t> errors(clients, 0);
  std::vector<std::string> first_error(clients);
  for (auto& l : latencies) l.reserve(1 << 16);
  absl::Duration cpu_before;
  const absl::Duration elapsed = tests::load::RunTogether(
      clients, duration,
      [&](int i, absl::Time end) {
        for (;;) {
          const absl::Time start = absl::Now();
          if (start >= end) break;
          grpc::Status s = pool[i]->Once(rpc);
          latencies[i].push_back(
              absl::ToInt64Nanoseconds(absl::Now() - start));
          if (!s.ok()) {
            if (errors[i]++ == 0) first_error[i] = s.error_message();
          }
        }
      },
      [&] { cpu_before = ProcessCpu(vaultd.pid()); });
  const absl::Duration cpu = ProcessCpu(vaultd.pid()) - cpu_before;

  Cell cell;
  cell.rpc = rpc;
  cell.clients = clients;
  std::vector<int64_t> all;
  for (int i = 0; i < clients; ++i) {
    all.insert(all.end(), latencies[i].begin(), latencies[i].end());
    cell.errors += errors[i];
    if (cell.first_error.empty()) cell.first_error = first_error[i];
  }
  std::sort(all.begin(), all.end());
  cell.calls = static_cast<int64_t>(all.size());
  cell.seconds = absl::ToDoubleSeconds(elapsed);
  cell.throughput = static_cast<double>(cell.calls) / cell.seconds;
  cell.p50_us = Percentile(all, 0.50);
  cell.p99_us = Percentile(all, 0.99);
  double sum = 0;
  for (int64_t ns : all) sum += static_cast<double>(ns);
  cell.mean_us = all.empty() ? 0 : sum / static_cast<double>(all.size()) / 1000;
  cell.server_cpu_us_per_call =
      cell.calls == 0 ? 0
                      : absl::ToDoubleMicroseconds(cpu) /
                            static_cast<double>(cell.calls);
  return cell;
}

// Times `starts` starts of vaultd, spawn to READY=1 on NOTIFY_SOCKET
// (tests/relay's VaultdProcess: key-file store with a PAT, unsealed at
// start; the relay's Layer.ai URLs point at a closed port, which vaultd does
// not contact before a call). Prints the figures; false on failure.
bool TimeStarts(int starts) {
  if (starts <= 0) return true;
  tests::relay::VaultdProcessOptions options;
  options.stored_pat = tests::relay::FakePat();
  options.policy = tests::relay::PolicyForSelf();
  options.layer_api_base = "https://127.0.0.1:9/api";
  options.layer_graphql_url = "https://127.0.0.1:9/graphql";
  auto vaultd = tests::relay::VaultdProcess::Create(std::move(options));
  if (!vaultd.ok()) {
    std::fprintf(stderr, "cannot set up vaultd: %s\n",
                 vaultd.status().ToString().c_str());
    return false;
  }
  std::vector<double> ms;
  for (int i = 0; i < starts; ++i) {
    const absl::Time t0 = absl::Now();
    absl::Status s = (*vaultd)->Start();
    const absl::Duration ready = absl::Now() - t0;
    if (s.ok()) s = (*vaultd)->Stop();
    if (!s.ok()) {
      std::fprintf(stderr, "vaultd start %d: %s\n", i + 1, s.ToString().c_str());
      return false;
    }
    ms.push_back(absl::ToDoubleMilliseconds(ready));
  }
  const double first = ms.front();
  std::sort(ms.begin(), ms.end());
  const double median = ms[ms.size() / 2];
  std::printf("vaultd start, spawn -> READY=1: median %.1f ms, min %.1f ms, "
              "max %.1f ms, first %.1f ms (%d starts)\n\n",
              median, ms.front(), ms.back(), first, starts);
  std::printf("BENCH bench=vaultd_start starts=%d ready_ms_median=%.1f "
              "ready_ms_min=%.1f ready_ms_max=%.1f ready_ms_first=%.1f\n\n",
              starts, median, ms.front(), ms.back(), first);
  std::fflush(stdout);
  return true;
}

int Main() {
  std::vector<int> client_counts;
  for (absl::string_view part :
       absl::StrSplit(absl::GetFlag(FLAGS_clients), ',', absl::SkipEmpty())) {
    int n = 0;
    if (!absl::SimpleAtoi(part, &n) || n < 1 || n > 256) {
      std::fprintf(stderr, "bad --clients entry: %s\n",
                   std::string(part).c_str());
      return 2;
    }
    client_counts.push_back(n);
  }
  const absl::Duration duration =
      absl::Seconds(std::clamp(absl::GetFlag(FLAGS_seconds), 0.1, 60.0));

  if (!TimeStarts(absl::GetFlag(FLAGS_starts))) return 1;

  VaultdOptions options;
  auto vaultd = Vaultd::Create(options);
  if (!vaultd.ok()) {
    std::fprintf(stderr, "cannot set up vaultd: %s\n",
                 vaultd.status().ToString().c_str());
    return 1;
  }
  if (absl::Status s = (*vaultd)->Start(); !s.ok()) {
    std::fprintf(stderr, "cannot start vaultd: %s\n", s.ToString().c_str());
    return 1;
  }
  const pid_t pid = (*vaultd)->pid();
  const int64_t rss_start_kb = StatusKb(pid, "VmRSS");

  double load[1] = {0};
  getloadavg(load, 1);
  std::printf("vaultd_bench: vaultd pid %d, %ld CPUs (load average %.2f), "
              "%.1f s per cell, socket %s\n\n",
              static_cast<int>(pid), sysconf(_SC_NPROCESSORS_ONLN), load[0],
              absl::ToDoubleSeconds(duration),
              (*vaultd)->workload_socket().c_str());
  std::fflush(stdout);
  std::printf("%-17s %7s %9s %11s %9s %9s %9s %12s %14s\n", "rpc", "clients",
              "calls", "calls/s", "p50 us", "p99 us", "mean us",
              "srv CPU/call", "cost vs Ping");

  std::map<std::pair<Rpc, int>, Cell> cells;
  bool failed = false;
  for (int clients : client_counts) {
    for (Rpc rpc : {Rpc::kPing, Rpc::kIssueToken, Rpc::kGetSpend}) {
      auto cell = RunCell(**vaultd, rpc, clients, duration);
      if (!cell.ok()) {
        std::fprintf(stderr, "%s x%d: %s\n", Name(rpc), clients,
                     cell.status().ToString().c_str());
        failed = true;
        continue;
      }
      cells[{rpc, clients}] = *cell;
      const Cell& ping = cells[{Rpc::kPing, clients}];
      // Per-call cost at this concurrency: wall time a client spends per
      // call (= clients / throughput).
      double ratio = ping.throughput > 0 ? ping.throughput / cell->throughput
                                         : 0;
      std::printf("%-17s %7d %9" PRId64 " %11.0f %9.0f %9.0f %9.0f %9.1f us %13.2fx\n",
                  Name(rpc), clients, cell->calls, cell->throughput,
                  cell->p50_us, cell->p99_us, cell->mean_us,
                  cell->server_cpu_us_per_call, ratio);
      std::printf("BENCH bench=vaultd rpc=%s clients=%d calls_per_s=%.0f "
                  "p50_us=%.0f p99_us=%.0f srv_cpu_us=%.1f cost_vs_ping=%.2f "
                  "errors=%" PRId64 "\n",
                  rpc == Rpc::kGetSpend ? "GetSpend" : Name(rpc), clients,
                  cell->throughput, cell->p50_us, cell->p99_us,
                  cell->server_cpu_us_per_call, ratio, cell->errors);
      std::fflush(stdout);
      if (cell->errors > 0) {
        std::printf("  !! %" PRId64 " errors, first: %s\n", cell->errors,
                    cell->first_error.c_str());
        failed = true;
      }
    }
  }

  // Idle: let gRPC's threads and allocator settle.
  absl::SleepFor(absl::Seconds(2));
  const int64_t rss_kb = StatusKb(pid, "VmRSS");
  const int64_t hwm_kb = StatusKb(pid, "VmHWM");

  std::printf("\nvaultd RSS: %.1f MiB at start, %.1f MiB idle after the load "
              "(peak %.1f MiB)\n",
              rss_start_kb / 1024.0, rss_kb / 1024.0, hwm_kb / 1024.0);
  std::printf("BENCH bench=vaultd_idle rss_kib=%" PRId64 " start_rss_kib=%"
              PRId64 " peak_kib=%" PRId64 "\n",
              rss_kb, rss_start_kb, hwm_kb);

  std::printf("\nTargets (issue 4):\n");
  for (int clients : client_counts) {
    auto p = cells.find({Rpc::kPing, clients});
    auto i = cells.find({Rpc::kIssueToken, clients});
    if (p == cells.end() || i == cells.end()) continue;
    double ratio = p->second.throughput / i->second.throughput;
    double cpu_ratio = i->second.server_cpu_us_per_call /
                       p->second.server_cpu_us_per_call;
    std::printf("  IssueToken per-call cost within 1.5x of Ping, %2d "
                "client(s): %.2fx (server CPU %.2fx)  %s\n",
                clients, ratio, cpu_ratio, ratio <= 1.5 ? "MET" : "MISSED");
  }
  if (cells.count({Rpc::kPing, 16}) != 0) {
    for (Rpc rpc : {Rpc::kPing, Rpc::kIssueToken, Rpc::kGetSpend}) {
      auto c = cells.find({rpc, 16});
      if (c == cells.end()) continue;
      std::printf("  p99 under 2 ms at 16 clients, %-16s: %.2f ms  %s\n",
                  Name(rpc), c->second.p99_us / 1000,
                  c->second.p99_us < 2000 ? "MET" : "MISSED");
    }
  }
  std::printf("  idle RSS under 30 MiB: %.1f MiB  %s\n", rss_kb / 1024.0,
              rss_kb >= 0 && rss_kb < 30 * 1024 ? "MET" : "MISSED");

  if (absl::Status s = (*vaultd)->Stop(); !s.ok()) {
    std::fprintf(stderr, "vaultd did not stop cleanly: %s\n",
                 s.ToString().c_str());
    return 1;
  }
  return failed ? 1 : 0;
}

}  // namespace
}  // namespace layer_vault::bench

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "benchmarks vaultd over its workload socket: Ping, IssueToken, GetSpend "
      "with 1, 4 and 16 clients, then idle RSS");
  absl::ParseCommandLine(argc, argv);
  return layer_vault::bench::Main();
}
