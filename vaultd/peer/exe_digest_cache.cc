#include "vaultd/peer/exe_digest_cache.h"

#include <errno.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace layer_vault::peer {
namespace {

constexpr size_t kChunkBytes = size_t{1} << 20;

int64_t ToNanos(const struct timespec& ts) {
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

}  // namespace

ExeDigestCache::ExeDigestCache(Options options) : options_(options) {}

std::shared_ptr<ExeDigestCache> ExeDigestCache::Default() {
  static auto* const cache =
      new std::shared_ptr<ExeDigestCache>(std::make_shared<ExeDigestCache>());
  return *cache;
}

absl::StatusOr<std::string> ExeDigestCache::Sha256Hex(int fd) {
  struct stat before;
  if (fstat(fd, &before) != 0) {
    return absl::InternalError(
        absl::StrCat("fstat executable: ", std::strerror(errno)));
  }
  if (!S_ISREG(before.st_mode)) {
    return absl::InvalidArgumentError("executable is not a regular file");
  }
  if (before.st_size < 0 ||
      static_cast<uint64_t>(before.st_size) > options_.max_file_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("executable is ", before.st_size,
                     " bytes, over the hashing limit of ",
                     options_.max_file_bytes));
  }
  const Key key{before.st_dev, before.st_ino, before.st_size,
                ToNanos(before.st_mtim), ToNanos(before.st_ctim)};
  {
    absl::MutexLock lock(&mu_);
    auto it = digests_.find(key);
    if (it != digests_.end()) {
      ++hits_;
      return it->second;
    }
    ++misses_;
  }

  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  if (ctx == nullptr || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    return absl::InternalError("SHA-256 init failed");
  }
  std::vector<unsigned char> buf(kChunkBytes);
  uint64_t offset = 0;
  for (;;) {
    const ssize_t n = pread(fd, buf.data(), buf.size(), static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::InternalError(
          absl::StrCat("read executable: ", std::strerror(errno)));
    }
    if (n == 0) break;
    offset += static_cast<uint64_t>(n);
    if (offset > options_.max_file_bytes) {
      return absl::ResourceExhaustedError(
          "executable grew over the hashing limit while being read");
    }
    if (EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<size_t>(n)) != 1) {
      return absl::InternalError("SHA-256 update failed");
    }
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  if (EVP_DigestFinal_ex(ctx.get(), digest, &digest_len) != 1 ||
      digest_len != 32) {
    return absl::InternalError("SHA-256 final failed");
  }

  struct stat after;
  if (fstat(fd, &after) != 0) {
    return absl::InternalError(
        absl::StrCat("fstat executable: ", std::strerror(errno)));
  }
  const Key after_key{after.st_dev, after.st_ino, after.st_size,
                      ToNanos(after.st_mtim), ToNanos(after.st_ctim)};
  if (!(after_key == key) || offset != static_cast<uint64_t>(before.st_size)) {
    return absl::AbortedError("executable changed while it was being hashed");
  }

  std::string hex = absl::BytesToHexString(absl::string_view(
      reinterpret_cast<const char*>(digest), digest_len));
  absl::MutexLock lock(&mu_);
  if (digests_.emplace(key, hex).second) {
    order_.push_back(key);
    while (order_.size() > options_.max_entries && !order_.empty()) {
      digests_.erase(order_.front());
      order_.pop_front();
    }
  }
  return hex;
}

uint64_t ExeDigestCache::hits() const {
  absl::MutexLock lock(&mu_);
  return hits_;
}

uint64_t ExeDigestCache::misses() const {
  absl::MutexLock lock(&mu_);
  return misses_;
}

}  // namespace layer_vault::peer
