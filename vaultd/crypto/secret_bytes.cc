#include "vaultd/crypto/secret_bytes.h"

#include <openssl/crypto.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>

namespace layer_vault::crypto {
namespace {

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "SecretBytes: %s\n", what);
  std::abort();
}

// mlock/munlock through the raw system call: sanitizer runtimes replace the
// libc wrappers with no-ops that report success, which would make locked()
// lie in ASan builds.
bool LockPages(void* addr, size_t len) {
  return syscall(SYS_mlock, addr, len) == 0;
}

void UnlockPages(void* addr, size_t len) { syscall(SYS_munlock, addr, len); }

size_t PageSize() {
  static const size_t page_size = [] {
    long size = sysconf(_SC_PAGESIZE);
    return size > 0 ? static_cast<size_t>(size) : size_t{4096};
  }();
  return page_size;
}

}  // namespace

SecretBytes::SecretBytes(size_t size) {
  if (size == 0) return;
  const size_t page = PageSize();
  if (size > std::numeric_limits<size_t>::max() - (page - 1)) {
    Die("size overflows the page rounding");
  }
  const size_t mapped = (size + page - 1) / page * page;
  void* p = mmap(nullptr, mapped, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) Die("mmap failed");
  // Exclusion from core dumps is part of the contract: no fallback.
  if (madvise(p, mapped, MADV_DONTDUMP) != 0) {
    munmap(p, mapped);
    Die("madvise(MADV_DONTDUMP) failed");
  }
#ifdef MADV_WIPEONFORK
  // A forked child (e.g. a helper process) sees zeros, never the secret.
  // Best effort: kernels before 4.14 lack it.
  (void)madvise(p, mapped, MADV_WIPEONFORK);
#endif
  data_ = static_cast<uint8_t*>(p);
  size_ = size;
  mapped_ = mapped;
  // Anonymous mappings start zeroed. mlock may fail under RLIMIT_MEMLOCK; the
  // secret is then still excluded from dumps and wiped, and locked() says so.
  locked_ = LockPages(p, mapped);
}

SecretBytes SecretBytes::CopyFrom(absl::string_view data) {
  SecretBytes secret(data.size());
  if (!data.empty()) std::memcpy(secret.data_, data.data(), data.size());
  return secret;
}

SecretBytes::SecretBytes(SecretBytes&& other) noexcept
    : data_(other.data_),
      size_(other.size_),
      mapped_(other.mapped_),
      locked_(other.locked_) {
  other.data_ = nullptr;
  other.size_ = 0;
  other.mapped_ = 0;
  other.locked_ = true;
}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    Release();
    data_ = other.data_;
    size_ = other.size_;
    mapped_ = other.mapped_;
    locked_ = other.locked_;
    other.data_ = nullptr;
    other.size_ = 0;
    other.mapped_ = 0;
    other.locked_ = true;
  }
  return *this;
}

SecretBytes::~SecretBytes() { Release(); }

SecretBytes SecretBytes::Clone() const { return CopyFrom(UnsafeView()); }

void SecretBytes::Truncate(size_t new_size) {
  if (new_size > size_) Die("Truncate beyond size()");
  if (new_size == 0) {
    Release();
    return;
  }
  OPENSSL_cleanse(data_ + new_size, size_ - new_size);
  size_ = new_size;
}

void SecretBytes::Release() {
  if (data_ != nullptr) {
    // The whole mapping, not only the first size_ bytes.
    OPENSSL_cleanse(data_, mapped_);
    if (locked_) UnlockPages(data_, mapped_);
    munmap(data_, mapped_);
  }
  data_ = nullptr;
  size_ = 0;
  mapped_ = 0;
  locked_ = true;
}

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace layer_vault::crypto
