#ifndef LAYER_VAULT_TESTS_HOSTILE_FRONTEND_SANDBOX_H_
#define LAYER_VAULT_TESTS_HOSTILE_FRONTEND_SANDBOX_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/hostile/frontend_process.h"

namespace layer_vault::tests::hostile {

// The bytes of a minimal PNG / JPEG / GIF header that the frontend's
// content sniffing recognises (padded to 64 bytes).
std::string PngBytes();
std::string JpegBytes();
std::string GifBytes();

// FrontendSandbox is the directory tree a hostile frontend test runs in,
// from mkdtemp (short, under /tmp):
//   /tmp/lvhXXXXXX/
//     tree/                 everything the attacks may touch (Snapshot)
//       assets/             --asset_root (exists from the start)
//       inputs/             --input_root
//       outside/            neither root: must never change or be read
//         x.png             JPEG bytes under a PNG name: a sniffed
//                           "image/jpeg" in any answer means it was read
//     frontend.stderr       the frontend's stderr
// The destructor removes it all (never following symlinks).
class FrontendSandbox {
 public:
  static absl::StatusOr<std::unique_ptr<FrontendSandbox>> Create();
  ~FrontendSandbox();
  FrontendSandbox(const FrontendSandbox&) = delete;
  FrontendSandbox& operator=(const FrontendSandbox&) = delete;

  const std::string& dir() const { return dir_; }
  std::string tree() const { return dir_ + "/tree"; }
  std::string assets() const { return dir_ + "/tree/assets"; }
  std::string inputs() const { return dir_ + "/tree/inputs"; }
  std::string outside() const { return dir_ + "/tree/outside"; }
  std::string stderr_path() const { return dir_ + "/frontend.stderr"; }

  // Flags for mcp_frontend: these roots, `vaultd_socket`, `media_hosts`,
  // a default workspace, 4 worker threads.
  std::vector<std::string> Flags(const std::string& vaultd_socket,
                                 const std::string& media_hosts) const;

 private:
  explicit FrontendSandbox(std::string dir) : dir_(std::move(dir)) {}
  const std::string dir_;
};

// Snapshot describes every entry beneath `dir` (not following symlinks):
// relative path -> type, mode, size, inode, mtime and, for regular files,
// a hash of the contents; for symlinks, the target.
using Snapshot = std::map<std::string, std::string>;
Snapshot TakeSnapshot(const std::string& dir);

// A readable list of the differences between two snapshots ("" if none).
std::string SnapshotDiff(const Snapshot& before, const Snapshot& after);

// Helpers that EXPECT-fail the current test on error.
void WriteFileOrFail(const std::string& path, absl::string_view data);
void MakeDirOrFail(const std::string& path);
void SymlinkOrFail(const std::string& target, const std::string& link);
std::string ReadFileOrEmpty(const std::string& path);
// Every regular file beneath `dir`, relative, sorted.
std::vector<std::string> ListFiles(const std::string& dir);

// FrontendSandboxTest is the gtest fixture base of the frontend_* tests:
// SetUp gives each test a fresh sandbox_ (ASSERT-fails if it cannot be
// made). Parameterised suites also derive from WithParamInterface<Row>.
class FrontendSandboxTest : public ::testing::Test {
 protected:
  void SetUp() override;

  // Starts mcp_frontend with `flags` in sandbox_ (cwd dir(), stderr to
  // stderr_path()) and, if `initialize`, does the MCP handshake (a failed
  // handshake EXPECT-fails; the process is still returned). Returns nullptr
  // after EXPECT-failing if the process cannot start.
  std::unique_ptr<FrontendProcess> StartFrontendWith(
      const std::vector<std::string>& flags, bool initialize = true);

  // StartFrontendWith no vaultd (its socket path does not exist, so no
  // tool call gets past the frontend) and media host media.app.layer.ai.
  std::unique_ptr<FrontendProcess> StartFrontend(bool initialize = true);

  std::unique_ptr<FrontendSandbox> sandbox_;
};

// Calls `tool` with `arguments` (tools/call) and returns the outcome. No
// answer within `timeout` EXPECT-fails and comes back as is_error with the
// status as text.
ToolOutcome CallTool(FrontendProcess& frontend, const std::string& tool,
                     const nlohmann::json& arguments,
                     absl::Duration timeout = absl::Seconds(30));

// Fails the test unless ping answers {} and tools/list lists 10 or more
// tools.
void ExpectStillServing(FrontendProcess& frontend);

}  // namespace layer_vault::tests::hostile

#endif  // LAYER_VAULT_TESTS_HOSTILE_FRONTEND_SANDBOX_H_
