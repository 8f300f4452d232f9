// Fuzz target: the relay's request builder (vaultd/relay/registry.h) over
// the real allow-list in vaultd/relay/operations/, with a fuzzed operation
// name and caller params parsed as Relay::Call parses them.
//
// Input: a line naming the operation ("#N" picks the N-th registered name,
// anything else is used as the name), then the params JSON text.
// Properties: a built REST URL is the base URL, the operation's path
// template with only [A-Za-z0-9_-] in its placeholders (so no "..", no
// encoded or raw separators, no "?" or "#" from params), then only declared
// query parameters with encoded values; a GraphQL request goes to the fixed
// endpoint with exactly the validated variables; the forwarded body is the
// validated body; errors never quote a parameter value.
//
// The registry directory: $TEST_SRCDIR/$TEST_WORKSPACE/vaultd/relay/
// operations under `bazel test`, else $LAYER_VAULT_OPERATIONS_DIR, else
// vaultd/relay/operations relative to the current directory.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "common/json_parse.h"
#include "fuzz/fuzz_util.h"
#include "nlohmann/json.hpp"
#include "vaultd/relay/http_types.h"
#include "vaultd/relay/registry.h"

namespace layer_vault::fuzz {
namespace {

using nlohmann::json;
using relay::HttpRequest;
using relay::Operation;
using relay::Registry;

std::string OperationsDir() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (srcdir != nullptr && workspace != nullptr) {
    return std::string(srcdir) + "/" + workspace + "/vaultd/relay/operations";
  }
  const char* dir = std::getenv("LAYER_VAULT_OPERATIONS_DIR");
  return dir != nullptr ? dir : "vaultd/relay/operations";
}

struct State {
  std::unique_ptr<Registry> registry;
  std::vector<std::string> names;
};

const State& GetState() {
  static const State* state = [] {
    auto* s = new State();
    absl::StatusOr<std::unique_ptr<Registry>> registry =
        Registry::LoadFromDirectory(OperationsDir());
    if (!registry.ok()) {
      std::fprintf(stderr, "registry_fuzzer: %s\n",
                   std::string(registry.status().message()).c_str());
      std::abort();
    }
    s->registry = *std::move(registry);
    s->names = s->registry->OperationNames();
    return s;
  }();
  return *state;
}

bool IsIdChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' ||
         c == '-';
}

bool IsEncodedQueryValue(absl::string_view v) {
  for (size_t i = 0; i < v.size(); ++i) {
    const char c = v[i];
    if (absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      continue;
    }
    if (c != '%' || i + 2 >= v.size()) return false;
    const char h1 = v[i + 1], h2 = v[i + 2];
    auto upper_hex = [](char h) {
      return (h >= '0' && h <= '9') || (h >= 'A' && h <= 'F');
    };
    if (!upper_hex(h1) || !upper_hex(h2)) return false;
    i += 2;
  }
  return true;
}

// The URL path must be the template with each placeholder replaced by an
// id: literal text equal, placeholders 1..256 of [A-Za-z0-9_-].
void CheckPath(const Operation& op, absl::string_view path) {
  FUZZ_CHECK(!absl::StrContains(path, ".."), "\"..\" in a built path");
  FUZZ_CHECK(!absl::StrContains(absl::AsciiStrToLower(path), "%2e") &&
                 !absl::StrContains(absl::AsciiStrToLower(path), "%2f"),
             "an encoded dot or slash in a built path");
  FUZZ_CHECK(!absl::StrContains(path, "#") && !absl::StrContains(path, "?"),
             "\"#\" or \"?\" in a built path");
  absl::string_view tmpl = op.path_template;
  size_t t = 0, p = 0;
  while (t < tmpl.size()) {
    if (tmpl[t] == '{') {
      const size_t close = tmpl.find('}', t);
      FUZZ_CHECK(close != absl::string_view::npos, "bad template");
      size_t n = 0;
      while (p + n < path.size() && IsIdChar(path[p + n])) ++n;
      FUZZ_CHECK(n >= 1 && n <= 256,
                 "a path placeholder is not 1..256 id characters");
      p += n;
      t = close + 1;
    } else {
      FUZZ_CHECK(p < path.size() && path[p] == tmpl[t],
                 "a built path differs from its template");
      ++p;
      ++t;
    }
  }
  FUZZ_CHECK(p == path.size(), "a built path is longer than its template");
}

void CheckQuery(const Operation& op, absl::string_view query) {
  std::string last;
  for (absl::string_view pair : absl::StrSplit(query, '&')) {
    const size_t eq = pair.find('=');
    FUZZ_CHECK(eq != absl::string_view::npos, "query pair without '='");
    const std::string name(pair.substr(0, eq));
    FUZZ_CHECK(std::find(op.query_params.begin(), op.query_params.end(),
                         name) != op.query_params.end(),
               "an undeclared query parameter");
    FUZZ_CHECK(last.empty() || last < name,
               "query parameters repeated or out of order");
    last = name;
    FUZZ_CHECK(IsEncodedQueryValue(pair.substr(eq + 1)),
               "a query value is not percent-encoded");
  }
}

void CheckRequest(const State& s, const Operation& op, const json& params,
                  const HttpRequest& r) {
  FUZZ_CHECK(!absl::StrContains(r.url, "#"), "\"#\" in a built URL");
  if (op.protocol == relay::Protocol::kGraphql) {
    FUZZ_CHECK(r.method == "POST", "GraphQL method");
    FUZZ_CHECK(r.url == s.registry->graphql_url(), "GraphQL URL moved");
    json body = json::parse(r.body, nullptr, /*allow_exceptions=*/false);
    FUZZ_CHECK(body.is_object() && body.size() == 3, "GraphQL body shape");
    FUZZ_CHECK(body["variables"] == params,
               "GraphQL variables differ from the validated params");
    FUZZ_CHECK(body["operationName"] == op.graphql_operation_name,
               "GraphQL operation name");
    return;
  }
  FUZZ_CHECK(r.method == op.method, "REST method");
  const std::string& base = s.registry->rest_base_url();
  FUZZ_CHECK(absl::StartsWith(r.url, base), "URL outside the base URL");
  absl::string_view rest = absl::string_view(r.url).substr(base.size());
  const size_t q = rest.find('?');
  CheckPath(op, rest.substr(0, q));
  if (q != absl::string_view::npos) CheckQuery(op, rest.substr(q + 1));
  if (op.has_body) {
    json body = json::parse(r.body, nullptr, /*allow_exceptions=*/false);
    const json expected =
        params.contains("body") ? params["body"] : json::object();
    FUZZ_CHECK(!body.is_discarded() && body == expected,
               "the forwarded body differs from the validated body");
  } else {
    FUZZ_CHECK(r.body.empty(), "a body on an operation without one");
  }
}

void CheckErrorQuotesNoValue(const json& params, absl::string_view message) {
  std::vector<const json*> stack = {&params};
  while (!stack.empty()) {
    const json* v = stack.back();
    stack.pop_back();
    if (v->is_string()) {
      const std::string& text = v->get_ref<const std::string&>();
      if (absl::StartsWith(text, "SECRET") && text.size() >= 10 &&
          !params.contains(text)) {
        FUZZ_CHECK(!absl::StrContains(message, text),
                   "an error quotes a parameter value");
      }
    } else if (v->is_structured()) {
      for (const json& child : *v) stack.push_back(&child);
    }
  }
}

}  // namespace
}  // namespace layer_vault::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace layer_vault;
  using namespace layer_vault::fuzz;
  const State& s = GetState();
  FuzzInput in(data, size);
  std::string name(in.TakeLine());
  uint32_t index = 0;
  if (absl::StartsWith(name, "#") &&
      absl::SimpleAtoi(absl::string_view(name).substr(1), &index)) {
    name = s.names[index % s.names.size()];
  }
  const absl::string_view raw = in.Rest();

  // As Relay::Call parses params_json.
  common::JsonParseLimits limits;
  limits.max_bytes = 64 * 1024;
  limits.max_depth = 32;
  limits.reject_duplicate_keys = true;
  absl::StatusOr<json> params = common::ParseJsonBounded(raw, limits, "params");
  if (!params.ok() || !params->is_object()) return 0;

  const Operation* op = s.registry->Find(name);
  absl::StatusOr<relay::HttpRequest> with_raw =
      s.registry->BuildRequest(name, *params, raw);
  absl::StatusOr<relay::HttpRequest> parsed_only =
      s.registry->BuildRequest(name, *params);
  FUZZ_CHECK(with_raw.ok() == parsed_only.ok(),
             "raw params changed whether the request builds");
  if (!with_raw.ok()) {
    FUZZ_CHECK(with_raw.status().code() == absl::StatusCode::kInvalidArgument,
               "BuildRequest failed with a code other than INVALID_ARGUMENT");
    // (An unknown operation's error quotes the name it was given.)
    if (op != nullptr) {
      CheckErrorQuotesNoValue(*params, with_raw.status().message());
    }
    return 0;
  }
  FUZZ_CHECK(op != nullptr, "built a request for an unknown operation");
  FUZZ_CHECK(with_raw->url == parsed_only->url,
             "raw params changed the URL");
  CheckRequest(s, *op, *params, *with_raw);
  CheckRequest(s, *op, *params, *parsed_only);

  if (op->is_execute()) {
    absl::StatusOr<json> estimate = s.registry->EstimateParams(*op, *params);
    const Operation* est = s.registry->Find(op->estimate_operation);
    if (estimate.ok() && est != nullptr) {
      absl::StatusOr<relay::HttpRequest> r =
          s.registry->BuildRequest(est->name, *estimate);
      if (r.ok()) CheckRequest(s, *est, *estimate, *r);
    }
  }
  return 0;
}
