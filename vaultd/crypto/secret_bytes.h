#ifndef LAYER_VAULT_VAULTD_CRYPTO_SECRET_BYTES_H_
#define LAYER_VAULT_VAULTD_CRYPTO_SECRET_BYTES_H_

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace layer_vault::crypto {

// SecretBytes is the only holder of secret material (PAT, keys, seeds,
// passphrases, decrypted records).
//
// Memory is page-aligned, locked with mlock(2) and excluded from core dumps
// (MADV_DONTDUMP) and from forked children (MADV_WIPEONFORK, where the
// kernel has it); it is wiped with OPENSSL_cleanse on destruction and on
// move-from. If mlock fails (RLIMIT_MEMLOCK), the bytes are still excluded
// from core dumps and wiped; `locked()` reports false so the daemon can warn.
//
// Not copyable (use Clone()); movable. Never printed: there is no operator<<
// and no implicit conversion. Raw access is explicit: every use of the bytes
// goes through a method whose name starts with `Unsafe`, so that
// `grep -rn Unsafe` lists every place a secret leaves this type.
//
// Not thread-safe for concurrent mutation; concurrent const access is fine.
class SecretBytes {
 public:
  // An empty secret.
  SecretBytes() = default;
  // `size` zero bytes. Crashes only if memory cannot be mapped at all.
  explicit SecretBytes(size_t size);
  // Copies `data` into locked memory. The caller remains responsible for
  // wiping its own copy of `data`.
  static SecretBytes CopyFrom(absl::string_view data);

  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  ~SecretBytes();

  // An explicit deep copy into new locked memory.
  SecretBytes Clone() const;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // True when the bytes are mlock-ed (always true for an empty secret).
  bool locked() const { return locked_; }

  // Raw access. The view is valid until this object is destroyed, moved
  // from, or resized.
  const uint8_t* UnsafeData() const { return data_; }
  uint8_t* UnsafeMutableData() { return data_; }
  absl::string_view UnsafeView() const {
    return absl::string_view(reinterpret_cast<const char*>(data_), size_);
  }

  // Shrinks the logical size to `new_size` (<= size()); bytes past it are
  // wiped. Useful after reading into an over-sized buffer.
  void Truncate(size_t new_size);

 private:
  void Release();

  uint8_t* data_ = nullptr;
  size_t size_ = 0;
  size_t mapped_ = 0;
  bool locked_ = true;
};

// Constant-time equality of two byte strings (CRYPTO_memcmp). Lengths are not
// secret: different lengths compare unequal immediately.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

}  // namespace layer_vault::crypto

#endif  // LAYER_VAULT_VAULTD_CRYPTO_SECRET_BYTES_H_
