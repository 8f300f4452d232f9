// Runs a libFuzzer target without libFuzzer, as a regression test: calls
// LLVMFuzzerInitialize (if the target has one) once, then
// LLVMFuzzerTestOneInput on every regular file under the directories (or
// files) named on the command line, in sorted order. A crash or a failed
// property aborts the test with the input's path printed just before.
//
// Paths are relative to the workspace root: under `bazel test` they are
// resolved in the runfiles tree ($TEST_SRCDIR/$TEST_WORKSPACE); otherwise
// against the current directory (run it from the repository root).
//
// The first path is the seed corpus and must hold at least one file, so a
// broken `data` declaration cannot turn the test into a no-op; later paths
// (regression inputs) may be missing.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc,
                                                          char*** argv);

namespace {

namespace fs = std::filesystem;

std::string Resolve(const std::string& path) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (srcdir == nullptr || workspace == nullptr) return path;
  return std::string(srcdir) + "/" + workspace + "/" + path;
}

// Appends the regular files at or under `root` to `out`. False if `root`
// does not exist or cannot be walked.
bool CollectFiles(const fs::path& root, std::vector<fs::path>& out) {
  std::error_code ec;
  if (fs::is_regular_file(root, ec)) {
    out.push_back(root);
    return true;
  }
  if (!fs::is_directory(root, ec)) return false;
  // Runfiles are symlinks: follow them.
  fs::recursive_directory_iterator it(
      root, fs::directory_options::follow_directory_symlink, ec);
  if (ec) return false;
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) return false;
    if (fs::is_regular_file(it->path(), ec)) out.push_back(it->path());
  }
  return !ec;
}

bool ReadFile(const fs::path& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out.assign(std::istreambuf_iterator<char>(in),
             std::istreambuf_iterator<char>());
  return !in.bad();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR [REGRESSION_DIR...]\n",
                 argv[0]);
    return 2;
  }
  if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);

  size_t ran = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string root = Resolve(argv[i]);
    std::vector<fs::path> files;
    if (!CollectFiles(root, files)) {
      if (i == 1) {
        std::fprintf(stderr, "replay: cannot read corpus %s\n", root.c_str());
        return 1;
      }
      continue;  // no regression inputs yet
    }
    if (i == 1 && files.empty()) {
      std::fprintf(stderr, "replay: corpus %s is empty\n", root.c_str());
      return 1;
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& file : files) {
      std::string bytes;
      if (!ReadFile(file, bytes)) {
        std::fprintf(stderr, "replay: cannot read %s\n", file.c_str());
        return 1;
      }
      std::fprintf(stderr, "replay: %s\n", file.c_str());
      std::fflush(stderr);
      // An exact-size heap copy, so that AddressSanitizer sees overreads.
      std::unique_ptr<uint8_t[]> data(new uint8_t[bytes.size()]);
      std::copy(bytes.begin(), bytes.end(), data.get());
      LLVMFuzzerTestOneInput(data.get(), bytes.size());
      ++ran;
    }
  }
  std::fprintf(stderr, "replay: %zu inputs OK\n", ran);
  return 0;
}
