// vaultd_test_client: a separate process that calls vaultd once, for the
// integration tests (a token copied to another process, a caller with
// another uid). Prints one line on stdout and exits 0 when the call was
// made, whatever its outcome; exits 2 on bad usage or setup failure.
//
//   --socket=PATH     socket to call (workload or admin)
//   --rpc=NAME        ping             Workload.Ping
//                     spend            Workload.GetSpend with the token
//                                      read from stdin
//                     issue_and_spend  Workload.IssueToken (layer:read),
//                                      then GetSpend with that token
//                     admin_status     Admin.Status
//                     connect          connect(2) only
//   --uid=N --gid=N   drop to this uid and gid (no supplementary groups)
//                     before anything else; needs root
//
// Output: "code=<gRPC status code>" for RPCs (for issue_and_spend the first
// failing call's code, or 0), "errno=<n>" for connect (0: connected).

#include <errno.h>
#include <grp.h>
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <cstring>
#include <iostream>
#include <iterator>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "proto/vault.grpc.pb.h"
#include "tests/vaultd/vaultd_harness.h"

ABSL_FLAG(std::string, socket, "", "socket path");
ABSL_FLAG(std::string, rpc, "", "ping|spend|issue_and_spend|admin_status|connect");
ABSL_FLAG(int64_t, uid, -1, "uid to drop to");
ABSL_FLAG(int64_t, gid, -1, "gid to drop to");

namespace {

namespace v1 = layer::vault::v1;
using layer_vault::tests::vaultd::Call;

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string path = absl::GetFlag(FLAGS_socket);
  const std::string rpc = absl::GetFlag(FLAGS_rpc);
  const int64_t uid = absl::GetFlag(FLAGS_uid), gid = absl::GetFlag(FLAGS_gid);
  if (path.empty() || rpc.empty() || (uid < 0) != (gid < 0)) {
    std::cerr << "usage: vaultd_test_client --socket=PATH --rpc=NAME "
                 "[--uid=N --gid=N]\n";
    return 2;
  }
  if (uid >= 0) {
    // Before any gRPC thread exists; SO_PEERCRED records the credentials at
    // connect(2), so this is the identity vaultd sees.
    if (setgroups(0, nullptr) != 0 || setgid(static_cast<gid_t>(gid)) != 0 ||
        setuid(static_cast<uid_t>(uid)) != 0) {
      std::cerr << "cannot drop to " << uid << ":" << gid << ": "
                << std::strerror(errno) << "\n";
      return 2;
    }
  }
  if (rpc == "connect") {
    std::cout << "errno=" << layer_vault::tests::vaultd::ConnectErrno(path)
              << std::endl;
    return 0;
  }

  auto channel = layer_vault::tests::vaultd::UnixChannel(path);
  grpc::Status status;
  if (rpc == "ping") {
    auto stub = v1::Workload::NewStub(channel);
    v1::PingResponse resp;
    status = Call(&v1::Workload::Stub::Ping, *stub, v1::PingRequest(), &resp);
  } else if (rpc == "spend") {
    std::string token((std::istreambuf_iterator<char>(std::cin)),
                      std::istreambuf_iterator<char>());
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) {
      token.pop_back();
    }
    auto stub = v1::Workload::NewStub(channel);
    v1::GetSpendRequest req;
    req.set_token(token);
    v1::GetSpendResponse resp;
    status = Call(&v1::Workload::Stub::GetSpend, *stub, req, &resp);
  } else if (rpc == "issue_and_spend") {
    auto stub = v1::Workload::NewStub(channel);
    v1::IssueTokenRequest issue;
    issue.add_scopes("layer:read");
    v1::IssueTokenResponse issued;
    status = Call(&v1::Workload::Stub::IssueToken, *stub, issue, &issued);
    if (status.ok()) {
      v1::GetSpendRequest req;
      req.set_token(issued.token());
      v1::GetSpendResponse resp;
      status = Call(&v1::Workload::Stub::GetSpend, *stub, req, &resp);
    }
  } else if (rpc == "admin_status") {
    auto stub = v1::Admin::NewStub(channel);
    v1::StatusResponse resp;
    status = Call(&v1::Admin::Stub::Status, *stub, v1::StatusRequest(), &resp);
  } else {
    std::cerr << "unknown --rpc " << rpc << "\n";
    return 2;
  }
  std::cout << "code=" << static_cast<int>(status.error_code()) << std::endl;
  return 0;
}
