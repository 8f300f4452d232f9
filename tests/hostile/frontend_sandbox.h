#ifndef LAYER_VAULT_TESTS_HOSTILE_FRONTEND_SANDBOX_H_
#define LAYER_VAULT_TESTS_HOSTILE_FRONTEND_SANDBOX_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

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

}  // namespace layer_vault::tests::hostile

#endif  // LAYER_VAULT_TESTS_HOSTILE_FRONTEND_SANDBOX_H_
