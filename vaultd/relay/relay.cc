#include "vaultd/relay/relay.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/json_parse.h"
#include "common/redact.h"
#include "common/typed_error.h"
#include "vaultd/relay/error_map.h"

namespace layer_vault::relay {
namespace {

using nlohmann::json;

const json* At(const json& value, const std::string& pointer) {
  try {
    const json::json_pointer p(pointer);
    if (!value.contains(p)) return nullptr;
    return &value.at(p);
  } catch (const json::exception&) {
    return nullptr;
  }
}

std::optional<double> NumberAt(const json& value, const std::string& pointer) {
  const json* v = At(value, pointer);
  if (v == nullptr || !v->is_number()) return std::nullopt;
  double d = v->get<double>();
  if (!std::isfinite(d) || d < 0) return std::nullopt;
  return d;
}

std::optional<std::string> StringAt(const json& value, const std::string& pointer) {
  const json* v = At(value, pointer);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return v->get<std::string>();
}

bool Contains(const std::vector<std::string>& list, const std::string& s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

absl::Status BadAnswer(absl::string_view what) {
  return common::TypedError(absl::StatusCode::kUnavailable, "layer",
                            "BAD_RESPONSE", what);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Relay>> Relay::Create(const RelayOptions& options,
                                                     const RelayDeps& deps) {
  if (deps.registry == nullptr || deps.http_client == nullptr ||
      deps.spend == nullptr || deps.rate_limiter == nullptr ||
      deps.clock == nullptr || deps.sleeper == nullptr) {
    return absl::InvalidArgumentError("relay: every dependency is required");
  }
  if (options.max_params_bytes == 0 || options.max_params_depth < 1 ||
      options.max_response_depth < 1) {
    return absl::InvalidArgumentError("relay: limits must be positive");
  }
  auto retrier = Retrier::Create(options.retry, deps.sleeper, deps.clock);
  if (!retrier.ok()) return retrier.status();
  return std::unique_ptr<Relay>(new Relay(options, deps, *std::move(retrier)));
}

absl::StatusOr<RelayResult> Relay::Call(const CallerKey& caller,
                                        absl::string_view operation,
                                        absl::string_view params_json,
                                        const crypto::SecretBytes& pat) {
  if (caller.uid.empty()) {
    return absl::InvalidArgumentError("relay: caller is required");
  }
  common::JsonParseLimits limits;
  limits.max_bytes = options_.max_params_bytes;
  limits.max_depth = options_.max_params_depth;
  limits.reject_duplicate_keys = true;
  auto params = common::ParseJsonBounded(params_json, limits, "params_json");
  if (!params.ok()) return params.status();
  if (!params->is_object()) {
    return absl::InvalidArgumentError("params_json must be a JSON object");
  }
  const Operation* op = deps_.registry->Find(operation);
  if (op == nullptr) {
    return common::RedactStatus(absl::InvalidArgumentError(absl::StrCat(
        "unknown operation ",
        json(std::string(operation.substr(0, 128)))
            .dump(-1, ' ', false, json::error_handler_t::replace))));
  }
  if (pat.empty()) {
    return absl::FailedPreconditionError(
        "no Layer.ai credential is stored; run vaultctl set-token");
  }
  if (absl::Status s =
          deps_.rate_limiter->Acquire(caller.uid, 1.0, caller.limits);
      !s.ok()) {
    return s;
  }
  return CallOperation(caller, *op, *params, params_json, pat);
}

absl::StatusOr<HttpResponse> Relay::Exchange(const HttpRequest& request,
                                             bool idempotent, bool graphql,
                                             const crypto::SecretBytes& pat,
                                             RelayResult* accounting,
                                             int* http_status_out) {
  Retrier::Result result = retrier_->Run(
      idempotent, [&] { return deps_.http_client->Send(request, pat); });
  accounting->upstream_latency += result.upstream_latency;
  accounting->attempts = result.attempts;
  *http_status_out = 0;
  if (!result.outcome.ok()) {
    return common::RedactStatus(MapTransportError(result.outcome.status()));
  }
  *http_status_out = result.outcome->status;
  absl::Status mapped =
      MapUpstreamResponse(*result.outcome, graphql, deps_.clock->Now());
  if (!mapped.ok()) return common::RedactStatus(mapped);
  return std::move(result.outcome);
}

absl::StatusOr<json> Relay::ParseBody(const HttpResponse& response) const {
  if (absl::StripAsciiWhitespace(response.body).empty()) return json();
  common::JsonParseLimits limits;
  limits.max_bytes = std::max<size_t>(response.body.size(), 1);
  limits.max_depth = options_.max_response_depth;
  limits.reject_duplicate_keys = false;
  auto body = common::ParseJsonBounded(response.body, limits, "Layer.ai's answer");
  if (!body.ok()) return BadAnswer(body.status().message());
  return body;
}

void Relay::RecordRunCharge(const CallerKey& caller, const Operation& run_op,
                            const json& params, const json& body) {
  const Operation* execute = deps_.registry->ExecuteReadBy(run_op.name);
  if (execute == nullptr || !execute->cost) return;
  const CostTracking& cost = *execute->cost;
  auto status = StringAt(body, cost.status_field);
  if (!status) return;
  const std::string lower = absl::AsciiStrToLower(*status);
  if (!Contains(cost.terminal_statuses, lower)) return;
  auto run_id = params.find(cost.run_id_param);
  if (run_id == params.end() || !run_id->is_string()) return;
  std::optional<double> charged = NumberAt(body, cost.charged_price_field);
  if (!charged && !Contains(cost.success_statuses, lower)) {
    charged = 0;  // Layer.ai does not charge failed or cancelled runs.
  }
  // A ledger failure leaves the reservation counted (the safe side).
  deps_.spend->RecordCharge(caller.uid, run_id->get<std::string>(), charged)
      .IgnoreError();
}

absl::StatusOr<RelayResult> Relay::CallOperation(const CallerKey& caller,
                                                 const Operation& op,
                                                 const json& params,
                                                 absl::string_view params_json,
                                                 const crypto::SecretBytes& pat) {
  auto request = deps_.registry->BuildRequest(op.name, params, params_json);
  if (!request.ok()) return common::RedactStatus(request.status());
  const bool graphql = op.protocol == Protocol::kGraphql;
  RelayResult result;

  std::optional<std::string> reservation;
  if (op.is_execute()) {
    const Operation* estimate = deps_.registry->Find(op.estimate_operation);
    auto estimate_params = deps_.registry->EstimateParams(op, params);
    if (!estimate_params.ok()) return estimate_params.status();
    auto estimate_request =
        deps_.registry->BuildRequest(estimate->name, *estimate_params);
    if (!estimate_request.ok()) {
      return common::RedactStatus(absl::InvalidArgumentError(absl::StrCat(
          "the price estimate request is invalid: ",
          estimate_request.status().message())));
    }
    RelayResult estimate_accounting;
    int status = 0;
    auto estimate_response =
        Exchange(*estimate_request, estimate->idempotent, false, pat,
                 &estimate_accounting, &status);
    result.upstream_latency += estimate_accounting.upstream_latency;
    if (!estimate_response.ok()) return estimate_response.status();
    auto estimate_body = ParseBody(*estimate_response);
    if (!estimate_body.ok()) return estimate_body.status();
    std::optional<double> price = NumberAt(*estimate_body, estimate->price_field);
    if (!price) {
      return BadAnswer(absl::StrCat("Layer.ai's price estimate has no price at ",
                                    estimate->price_field,
                                    "; refusing to run without one"));
    }
    auto reserved =
        deps_.spend->CheckAndReserve(caller.uid, *price, caller.limits);
    if (!reserved.ok()) return reserved.status();
    reservation = *reserved;
    result.creative_units_charged = *price;
  }

  int status = 0;
  auto response = Exchange(*request, op.idempotent && !op.is_execute(), graphql,
                           pat, &result, &status);
  if (!response.ok()) {
    if (reservation && status >= 400 && status < 500) {
      // Layer.ai refused the run: nothing was started, nothing is owed.
      deps_.spend->Release(*reservation).IgnoreError();
    }
    return response.status();
  }
  auto body = ParseBody(*response);
  if (!body.ok()) return body.status();

  if (reservation) {
    const CostTracking& cost = *op.cost;
    std::optional<double> revised = NumberAt(*body, cost.reserved_price_field);
    if (auto run_id = StringAt(*body, cost.run_id_field)) {
      // A ledger failure leaves the reservation counted (the safe side).
      deps_.spend->BindRun(*reservation, *run_id, revised).IgnoreError();
    }
    if (revised && *revised > result.creative_units_charged) {
      result.creative_units_charged = *revised;
    }
  } else {
    RecordRunCharge(caller, op, params, *body);
  }

  common::RedactJsonInPlace(*body);
  result.http_status = response->status;
  result.body_json = body->dump(-1, ' ', false, json::error_handler_t::replace);
  return result;
}

}  // namespace layer_vault::relay
