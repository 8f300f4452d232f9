#ifndef LAYER_VAULT_VAULTD_PEER_EXE_DIGEST_CACHE_H_
#define LAYER_VAULT_VAULTD_PEER_EXE_DIGEST_CACHE_H_

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace layer_vault::peer {

// ExeDigestCache computes SHA-256 digests of executables and remembers them
// by file identity, so that attesting the same binary again costs one
// fstat(2) instead of reading it.
//
// The cache key is (st_dev, st_ino, st_size, st_mtim, st_ctim). The ctime is
// part of it because an owner can set the mtime back with utimensat(2) after
// rewriting a file in place, but cannot set the ctime.
//
// Thread-safe: all methods may be called concurrently. Files are hashed
// outside the lock; two threads that miss on the same file both hash it.
class ExeDigestCache {
 public:
  struct Options {
    // Files larger than this are refused (RESOURCE_EXHAUSTED) instead of
    // hashed: attestation must not be an unbounded read.
    uint64_t max_file_bytes = uint64_t{512} << 20;
    // Entries kept; the oldest insertion is evicted first.
    size_t max_entries = 256;
  };

  ExeDigestCache() : ExeDigestCache(Options()) {}
  explicit ExeDigestCache(Options options);

  ExeDigestCache(const ExeDigestCache&) = delete;
  ExeDigestCache& operator=(const ExeDigestCache&) = delete;

  // Process-wide cache used when ReadPeerOptions names none. Never destroyed.
  static std::shared_ptr<ExeDigestCache> Default();

  // Sha256Hex returns the lower-case hex SHA-256 of the regular file open on
  // `fd` (read with pread(2) from offset 0 in 1 MiB chunks; the fd's offset is
  // not used and not changed). The caller keeps ownership of `fd`.
  //
  // Errors: INVALID_ARGUMENT if `fd` is not a regular file;
  // RESOURCE_EXHAUSTED if it is larger than max_file_bytes; ABORTED if it
  // changed while being read (the result is then not cached);
  // INTERNAL for read errors.
  absl::StatusOr<std::string> Sha256Hex(int fd);

  // Counters, for tests and status output.
  uint64_t hits() const;
  uint64_t misses() const;

 private:
  struct Key {
    dev_t dev;
    ino_t ino;
    off_t size;
    int64_t mtime_ns;
    int64_t ctime_ns;

    bool operator==(const Key& o) const {
      return dev == o.dev && ino == o.ino && size == o.size &&
             mtime_ns == o.mtime_ns && ctime_ns == o.ctime_ns;
    }
    template <typename H>
    friend H AbslHashValue(H h, const Key& k) {
      return H::combine(std::move(h), k.dev, k.ino, k.size, k.mtime_ns,
                        k.ctime_ns);
    }
  };

  const Options options_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<Key, std::string> digests_ ABSL_GUARDED_BY(mu_);
  std::deque<Key> order_ ABSL_GUARDED_BY(mu_);
  uint64_t hits_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t misses_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace layer_vault::peer

#endif  // LAYER_VAULT_VAULTD_PEER_EXE_DIGEST_CACHE_H_
