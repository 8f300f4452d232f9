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
//
// Then, with --mutations=N (first argument), a deterministic fuzzing pass
// that needs neither clang nor libFuzzer, so CI runs every target for a
// bounded, reproducible amount of work: N inputs derived from the replayed
// ones by libFuzzer-style mutations (bit flips, byte changes, insertions,
// deletions, duplicated ranges, splices, interesting bytes) drawn from a
// fixed-seed generator (--seed=S, default 1). Before each input runs it is
// written to $TEST_UNDECLARED_OUTPUTS_DIR/last_input (when set), so a crash
// leaves the input behind for fuzz/regressions/; the log names the mutant's
// number, and the same seed and count reproduce it.

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

// splitmix64: small, fast and the same on every platform.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform-enough in [0, n); n > 0.
  size_t Below(size_t n) { return static_cast<size_t>(Next() % n); }

 private:
  uint64_t state_;
};

// Bytes that tend to matter to parsers of JSON, base64, paths and tokens.
constexpr char kInteresting[] = {
    '\0', '\xff', '\x7f', '\x80', '\xc0', '\xed', '"',  '\\', '{', '}',
    '[',  ']',    ',',    ':',    '.',    '/',    '%',  '=',  '+', '-',
    '_',  '0',    '9',    'e',    ' ',    '\n',   '\r', '\t'};

// One libFuzzer-style mutation of `in` (possibly several stacked), using
// `other` for splices; the result is at most max_len bytes.
std::string Mutate(const std::string& in, const std::string& other, Rng& rng,
                   size_t max_len) {
  std::string out = in;
  const int stacked = 1 + static_cast<int>(rng.Below(4));
  for (int k = 0; k < stacked; ++k) {
    const size_t n = out.size();
    switch (rng.Below(9)) {
      case 0:  // flip a bit
        if (n > 0) out[rng.Below(n)] ^= static_cast<char>(1u << rng.Below(8));
        break;
      case 1:  // random byte
        if (n > 0) out[rng.Below(n)] = static_cast<char>(rng.Below(256));
        break;
      case 2:  // interesting byte
        if (n > 0) {
          out[rng.Below(n)] = kInteresting[rng.Below(sizeof(kInteresting))];
        }
        break;
      case 3:  // insert bytes
        out.insert(rng.Below(n + 1),
                   std::string(1 + rng.Below(8),
                               kInteresting[rng.Below(sizeof(kInteresting))]));
        break;
      case 4:  // delete a range
        if (n > 0) {
          const size_t at = rng.Below(n);
          out.erase(at, 1 + rng.Below(std::min<size_t>(n - at, 64)));
        }
        break;
      case 5:  // duplicate a range
        if (n > 0) {
          const size_t at = rng.Below(n);
          const size_t len = 1 + rng.Below(std::min<size_t>(n - at, 64));
          out.insert(rng.Below(n + 1), out.substr(at, len));
        }
        break;
      case 6:  // splice with another input
        if (!other.empty()) {
          const size_t cut = rng.Below(n + 1);
          const size_t from = rng.Below(other.size());
          out = out.substr(0, cut) + other.substr(from);
        }
        break;
      case 7:  // truncate
        if (n > 0) out.resize(rng.Below(n));
        break;
      default:  // swap two bytes
        if (n > 1) std::swap(out[rng.Below(n)], out[rng.Below(n)]);
        break;
    }
  }
  if (out.size() > max_len) out.resize(max_len);
  return out;
}

// Runs the target on an exact-size heap copy, so that AddressSanitizer sees
// overreads.
void RunOne(const std::string& bytes) {
  std::unique_ptr<uint8_t[]> data(new uint8_t[bytes.size()]);
  std::copy(bytes.begin(), bytes.end(), data.get());
  LLVMFuzzerTestOneInput(data.get(), bytes.size());
}

bool ReadFile(const fs::path& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out.assign(std::istreambuf_iterator<char>(in),
             std::istreambuf_iterator<char>());
  return !in.bad();
}

// Parses a leading "--name=N" argument; false if argv[*i] is not one.
bool Flag(char** argv, int argc, int* i, const char* name, uint64_t* value) {
  if (*i >= argc) return false;
  const std::string arg = argv[*i];
  const std::string prefix = std::string("--") + name + "=";
  if (arg.rfind(prefix, 0) != 0) return false;
  char* end = nullptr;
  *value = std::strtoull(arg.c_str() + prefix.size(), &end, 10);
  if (end == nullptr || *end != '\0') {
    std::fprintf(stderr, "replay: bad %s\n", arg.c_str());
    std::exit(2);
  }
  ++*i;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t mutations = 0, seed = 1, max_len = 8192;
  int first = 1;
  while (Flag(argv, argc, &first, "mutations", &mutations) ||
         Flag(argv, argc, &first, "seed", &seed) ||
         Flag(argv, argc, &first, "max_len", &max_len)) {
  }
  if (argc - first < 1) {
    std::fprintf(stderr,
                 "usage: %s [--mutations=N] [--seed=S] [--max_len=B] "
                 "CORPUS_DIR [REGRESSION_DIR...]\n",
                 argv[0]);
    return 2;
  }
  if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);

  size_t ran = 0;
  std::vector<std::string> inputs;
  for (int i = first; i < argc; ++i) {
    const std::string root = Resolve(argv[i]);
    std::vector<fs::path> files;
    if (!CollectFiles(root, files)) {
      if (i == first) {
        std::fprintf(stderr, "replay: cannot read corpus %s\n", root.c_str());
        return 1;
      }
      continue;  // no regression inputs yet
    }
    if (i == first && files.empty()) {
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
      RunOne(bytes);
      inputs.push_back(std::move(bytes));
      ++ran;
    }
  }
  std::fprintf(stderr, "replay: %zu inputs OK\n", ran);
  if (mutations == 0) return 0;

  const char* out_dir = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR");
  const std::string last =
      out_dir != nullptr ? std::string(out_dir) + "/last_input" : "";
  Rng rng(seed);
  for (uint64_t m = 0; m < mutations; ++m) {
    const std::string& base = inputs[rng.Below(inputs.size())];
    const std::string& other = inputs[rng.Below(inputs.size())];
    const std::string mutant = Mutate(base, other, rng, max_len);
    if (!last.empty()) {
      std::ofstream(last, std::ios::binary | std::ios::trunc) << mutant;
    }
    if (m % 1000 == 0) {
      std::fprintf(stderr, "replay: mutant %llu\n",
                   static_cast<unsigned long long>(m));
      std::fflush(stderr);
    }
    RunOne(mutant);
  }
  std::fprintf(stderr, "replay: %llu mutants (seed %llu) OK\n",
               static_cast<unsigned long long>(mutations),
               static_cast<unsigned long long>(seed));
  if (!last.empty()) std::remove(last.c_str());
  return 0;
}
