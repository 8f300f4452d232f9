#include "vaultd/store/permissions.h"

#include <pwd.h>
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace layer_vault::store {
namespace {

std::string UserName(uid_t uid) {
  struct passwd pw;
  struct passwd* result = nullptr;
  char buf[4096];
  if (getpwuid_r(uid, &pw, buf, sizeof(buf), &result) == 0 &&
      result != nullptr) {
    return result->pw_name;
  }
  return absl::StrCat(uid);
}

std::string Mode(mode_t mode) { return absl::StrFormat("%04o", mode & 07777); }

}  // namespace

absl::Status CheckOwner(const struct stat& st, absl::string_view path,
                        uid_t uid) {
  if (st.st_uid == uid) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "refusing ", ShellQuote(path), ": owned by uid ", st.st_uid, " (",
      UserName(st.st_uid), "), not by the running user uid ", uid, " (",
      UserName(uid), "); fix with: chown ", UserName(uid), " ",
      ShellQuote(path), " (or run vaultctl as its owner)"));
}

absl::Status CheckNoGroupOrOtherAccess(const struct stat& st,
                                       absl::string_view path) {
  if ((st.st_mode & 077) == 0) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "refusing ", ShellQuote(path), ": permissions ", Mode(st.st_mode),
      " are too open (group or others can access it); fix with: chmod ",
      S_ISDIR(st.st_mode) ? "0700 " : "0600 ", ShellQuote(path)));
}

std::string ShellQuote(absl::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  out += "'";
  return out;
}

absl::Status CheckPrivateDirectory(const struct stat& st,
                                   absl::string_view path, uid_t uid) {
  if (!S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("refusing ", ShellQuote(path), ": not a directory"));
  }
  if (absl::Status s = CheckOwner(st, path, uid); !s.ok()) return s;
  return CheckNoGroupOrOtherAccess(st, path);
}

absl::Status CheckPrivateFile(const struct stat& st, absl::string_view path,
                              uid_t uid) {
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("refusing ", ShellQuote(path), ": not a regular file"));
  }
  if (absl::Status s = CheckOwner(st, path, uid); !s.ok()) return s;
  return CheckNoGroupOrOtherAccess(st, path);
}

absl::Status CheckKeyFile(const struct stat& st, absl::string_view path,
                          uid_t uid) {
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "refusing key file ", ShellQuote(path), ": not a regular file"));
  }
  if (absl::Status s = CheckOwner(st, path, uid); !s.ok()) return s;
  mode_t mode = st.st_mode & 07777;
  if (mode != 0400 && mode != 0600) {
    return absl::FailedPreconditionError(absl::StrCat(
        "refusing key file ", ShellQuote(path), ": mode ", Mode(mode),
        " (must be 0400 or 0600); fix with: chmod 0600 ", ShellQuote(path)));
  }
  return absl::OkStatus();
}

}  // namespace layer_vault::store
