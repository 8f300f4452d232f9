#ifndef LAYER_VAULT_MCP_FRONTEND_LAYER_TOOLS_PRICE_GATE_H_
#define LAYER_VAULT_MCP_FRONTEND_LAYER_TOOLS_PRICE_GATE_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mcp_frontend/tool_registry/tool.h"

namespace layer_vault::mcp::layer_tools {

// How a run's price came to be accepted.
enum class Confirmation {
  kNotNeeded,    // at or below the threshold
  kArgument,     // the call's confirm_price covers it
  kElicitation,  // the user accepted through elicitation/create
};

// "not_needed", "confirm_price", "elicitation".
absl::string_view ConfirmationName(Confirmation confirmation);

// PriceDecision is the outcome of ConfirmPrice.
struct PriceDecision {
  bool proceed = false;
  Confirmation confirmation = Confirmation::kNotNeeded;
  // !proceed: why, and what to do, for an is_error result.
  std::string refusal;
};

// ConfirmPrice decides whether a run estimated at `price` Creative Units
// (`what` names it, e.g. "this generation") may start:
//   - price <= threshold: yes;
//   - confirm_price >= price (the caller passed the user's consent): yes;
//   - the client declared elicitation: the user is asked (a boolean
//     "confirm" form); accept with confirm true: yes; decline, cancel or
//     confirm false: no;
//   - otherwise, or if the question could not be asked: no, and the refusal
//     states the price and how to confirm with `confirm_price`.
// A confirm_price below the price is ignored but mentioned. `note` (may be
// empty) is added to the question, e.g. that guidance files are priced
// later. CANCELLED if the call was cancelled while the user was asked; no
// other error.
// vaultd's own spend caps apply after this, whatever the user said.
absl::StatusOr<PriceDecision> ConfirmPrice(double price,
                                           std::optional<double> confirm_price,
                                           double threshold,
                                           absl::string_view what,
                                           absl::string_view note,
                                           ToolContext& context);

}  // namespace layer_vault::mcp::layer_tools

#endif  // LAYER_VAULT_MCP_FRONTEND_LAYER_TOOLS_PRICE_GATE_H_
