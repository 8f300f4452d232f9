// hostile_peer: another process that presents a token it was handed (on
// stdin) to vaultd, for the replay rows of the hostile-input suites: a
// forked child of the token's holder, or such a child that first drops to
// another uid. Prints "code=<gRPC code>" and, on the next line, vaultd's
// message; exits 0 when the call was made, 2 on bad usage or setup failure.
//
//   --socket=PATH     vaultd's workload socket
//   --rpc=NAME        spend (GetSpend) or call (CallLayer workspaces.get
//                     with --workspace) with the token from stdin; or
//                     issue_and_spend: IssueToken (layer:read) for itself,
//                     then GetSpend with it (the control: this process may
//                     use vaultd, just not another's token)
//   --workspace=ID    for --rpc=call
//   --uid=N --gid=N   drop to this uid and gid (no supplementary groups)
//                     before connecting; needs root

#include <grp.h>
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <iostream>
#include <iterator>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "proto/vault.grpc.pb.h"

ABSL_FLAG(std::string, socket, "", "workload socket path");
ABSL_FLAG(std::string, rpc, "", "spend|call|issue_and_spend");
ABSL_FLAG(std::string, workspace, "", "workspace id for --rpc=call");
ABSL_FLAG(int64_t, uid, -1, "uid to drop to");
ABSL_FLAG(int64_t, gid, -1, "gid to drop to");

namespace v1 = layer::vault::v1;

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string socket = absl::GetFlag(FLAGS_socket);
  const std::string rpc = absl::GetFlag(FLAGS_rpc);
  const int64_t uid = absl::GetFlag(FLAGS_uid), gid = absl::GetFlag(FLAGS_gid);
  if (socket.empty() || (rpc != "spend" && rpc != "call" && rpc != "issue_and_spend") ||
      (uid < 0) != (gid < 0)) {
    std::cerr << "usage: hostile_peer --socket=PATH --rpc=spend|call|issue_and_spend "
                 "[--workspace=ID] [--uid=N --gid=N] < token\n";
    return 2;
  }
  std::string token((std::istreambuf_iterator<char>(std::cin)),
                    std::istreambuf_iterator<char>());
  if (uid >= 0) {
    // Before any gRPC thread exists; SO_PEERCRED records the credentials
    // at connect(2).
    if (setgroups(0, nullptr) != 0 || setgid(static_cast<gid_t>(gid)) != 0 ||
        setuid(static_cast<uid_t>(uid)) != 0) {
      std::cerr << "cannot drop to " << uid << ":" << gid << ": "
                << std::strerror(errno) << "\n";
      return 2;
    }
  }
  auto stub = v1::Workload::NewStub(grpc::CreateChannel(
      "unix:" + socket, grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  grpc::Status status;
  if (rpc == "issue_and_spend") {
    grpc::ClientContext issue_ctx;
    issue_ctx.set_deadline(std::chrono::system_clock::now() +
                           std::chrono::seconds(20));
    v1::IssueTokenRequest req;
    req.add_scopes("layer:read");
    v1::IssueTokenResponse resp;
    status = stub->IssueToken(&issue_ctx, req, &resp);
    token = resp.token();
  }
  if (!status.ok()) {
    // The issue step's refusal.
  } else if (rpc == "spend" || rpc == "issue_and_spend") {
    v1::GetSpendRequest req;
    req.set_token(token);
    v1::GetSpendResponse resp;
    status = stub->GetSpend(&ctx, req, &resp);
  } else {
    v1::CallLayerRequest req;
    req.set_token(token);
    req.set_operation("workspaces.get");
    req.set_params_json("{\"workspace_id\":\"" + absl::GetFlag(FLAGS_workspace) +
                        "\"}");
    v1::CallLayerResponse resp;
    status = stub->CallLayer(&ctx, req, &resp);
  }
  std::cout << "code=" << status.error_code() << "\n"
            << status.error_message() << std::endl;
  return 0;
}
