#include "tests/hostile/frontend_sandbox.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <functional>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace layer_vault::tests::hostile {
namespace {

// The fake's "My Studio" workspace (tests/fake_layer/lib/state.js).
constexpr char kDefaultWorkspace[] = "00000000-0000-4000-8000-000000000001";

void Walk(const std::string& root, const std::string& relative,
          Snapshot& out) {
  const std::string dir = relative.empty() ? root : root + "/" + relative;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return;
  while (dirent* entry = readdir(d)) {
    const std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    const std::string rel = relative.empty() ? name : relative + "/" + name;
    const std::string path = root + "/" + rel;
    struct stat st;
    if (lstat(path.c_str(), &st) != 0) continue;
    std::string description = absl::StrCat(
        "mode=", st.st_mode, " ino=", st.st_ino, " size=", st.st_size,
        " mtime=", st.st_mtim.tv_sec, ".", st.st_mtim.tv_nsec,
        " nlink=", st.st_nlink);
    if (S_ISREG(st.st_mode)) {
      absl::StrAppend(&description, " hash=",
                      std::hash<std::string>()(ReadFileOrEmpty(path)));
    } else if (S_ISLNK(st.st_mode)) {
      char target[4096];
      const ssize_t n = readlink(path.c_str(), target, sizeof(target));
      if (n >= 0) {
        absl::StrAppend(&description, " -> ",
                        std::string(target, static_cast<size_t>(n)));
      }
    }
    out[rel] = description;
    if (S_ISDIR(st.st_mode)) Walk(root, rel, out);
  }
  closedir(d);
}

int RemoveEntry(const char* path, const struct stat*, int, struct FTW*) {
  remove(path);
  return 0;
}

}  // namespace

std::string PngBytes() {
  std::string bytes("\x89PNG\r\n\x1a\n", 8);
  bytes.resize(64, 'p');
  return bytes;
}

std::string JpegBytes() {
  std::string bytes("\xff\xd8\xff\xe0", 4);
  bytes.resize(64, 'j');
  return bytes;
}

std::string GifBytes() {
  std::string bytes("GIF89a", 6);
  bytes.resize(64, 'g');
  return bytes;
}

absl::StatusOr<std::unique_ptr<FrontendSandbox>> FrontendSandbox::Create() {
  char pattern[] = "/tmp/lvhXXXXXX";
  if (mkdtemp(pattern) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp: ", strerror(errno)));
  }
  std::unique_ptr<FrontendSandbox> sandbox(new FrontendSandbox(pattern));
  for (const std::string& dir :
       {sandbox->tree(), sandbox->assets(), sandbox->inputs(),
        sandbox->outside()}) {
    if (mkdir(dir.c_str(), 0755) != 0) {
      return absl::InternalError(absl::StrCat("mkdir ", dir));
    }
  }
  WriteFileOrFail(sandbox->outside() + "/x.png", JpegBytes());
  return sandbox;
}

FrontendSandbox::~FrontendSandbox() {
  nftw(dir_.c_str(), RemoveEntry, 16, FTW_DEPTH | FTW_PHYS);
}

std::vector<std::string> FrontendSandbox::Flags(
    const std::string& vaultd_socket, const std::string& media_hosts) const {
  return {"--vaultd_socket=" + vaultd_socket,
          "--asset_root=" + assets(),
          "--input_root=" + inputs(),
          "--allowed_media_hosts=" + media_hosts,
          std::string("--default_workspace=") + kDefaultWorkspace,
          "--worker_threads=4"};
}

Snapshot TakeSnapshot(const std::string& dir) {
  Snapshot snapshot;
  Walk(dir, "", snapshot);
  return snapshot;
}

std::string SnapshotDiff(const Snapshot& before, const Snapshot& after) {
  std::string diff;
  for (const auto& [path, description] : before) {
    const auto it = after.find(path);
    if (it == after.end()) {
      absl::StrAppend(&diff, "removed: ", path, "\n");
    } else if (it->second != description) {
      absl::StrAppend(&diff, "changed: ", path, " (", description, " -> ",
                      it->second, ")\n");
    }
  }
  for (const auto& [path, description] : after) {
    if (before.count(path) == 0) {
      absl::StrAppend(&diff, "added: ", path, " (", description, ")\n");
    }
  }
  return diff;
}

void WriteFileOrFail(const std::string& path, absl::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  EXPECT_TRUE(out.good()) << "cannot write " << path;
}

void MakeDirOrFail(const std::string& path) {
  EXPECT_EQ(mkdir(path.c_str(), 0755), 0)
      << "mkdir " << path << ": " << strerror(errno);
}

void SymlinkOrFail(const std::string& target, const std::string& link) {
  EXPECT_EQ(symlink(target.c_str(), link.c_str()), 0)
      << "symlink " << link << ": " << strerror(errno);
}

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream data;
  data << in.rdbuf();
  return data.str();
}

std::vector<std::string> ListFiles(const std::string& dir) {
  std::vector<std::string> files;
  for (const auto& entry : TakeSnapshot(dir)) {
    struct stat st;
    if (lstat((dir + "/" + entry.first).c_str(), &st) == 0 &&
        S_ISREG(st.st_mode)) {
      files.push_back(entry.first);
    }
  }
  return files;
}

void FrontendSandboxTest::SetUp() {
  auto sandbox = FrontendSandbox::Create();
  ASSERT_TRUE(sandbox.ok()) << sandbox.status();
  sandbox_ = *std::move(sandbox);
}

std::unique_ptr<FrontendProcess> FrontendSandboxTest::StartFrontendWith(
    const std::vector<std::string>& flags, bool initialize) {
  auto frontend =
      FrontendProcess::Start(flags, sandbox_->dir(), sandbox_->stderr_path());
  EXPECT_TRUE(frontend.ok()) << frontend.status();
  if (!frontend.ok()) return nullptr;
  if (initialize) {
    const absl::Status initialized = (*frontend)->Initialize();
    EXPECT_TRUE(initialized.ok()) << initialized;
  }
  return *std::move(frontend);
}

std::unique_ptr<FrontendProcess> FrontendSandboxTest::StartFrontend(
    bool initialize) {
  return StartFrontendWith(
      sandbox_->Flags(sandbox_->dir() + "/no-vaultd/workload.sock",
                      "media.app.layer.ai"),
      initialize);
}

ToolOutcome CallTool(FrontendProcess& frontend, const std::string& tool,
                     const nlohmann::json& arguments, absl::Duration timeout) {
  auto answer = frontend.Request(
      "tools/call", {{"name", tool}, {"arguments", arguments}}, timeout);
  EXPECT_TRUE(answer.ok()) << answer.status();
  if (!answer.ok()) return {true, answer.status().ToString(), nullptr};
  return OutcomeOf(answer->back());
}

void ExpectStillServing(FrontendProcess& frontend) {
  auto ping = frontend.Request("ping", nlohmann::json::object());
  ASSERT_TRUE(ping.ok()) << ping.status();
  EXPECT_EQ(ping->back()["result"], nlohmann::json::object());
  auto list = frontend.Request("tools/list", nlohmann::json::object());
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_GE(list->back()["result"]["tools"].size(), 10u);
}

}  // namespace layer_vault::tests::hostile
