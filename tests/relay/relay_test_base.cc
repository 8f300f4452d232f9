#include "tests/relay/relay_test_base.h"

#include "absl/strings/str_cat.h"

namespace layer_vault::tests::relay {

std::string TypeOf(const absl::Status& status) {
  std::optional<common::ErrorType> type = common::ErrorTypeOf(status);
  if (!type) return "";
  return absl::StrCat("[", type->domain, ":", type->type, "]");
}

}  // namespace layer_vault::tests::relay
