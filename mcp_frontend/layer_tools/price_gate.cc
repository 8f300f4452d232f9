#include "mcp_frontend/layer_tools/price_gate.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "mcp_frontend/layer_tools/tool_support.h"

namespace layer_vault::mcp::layer_tools {
namespace {

std::string HowToConfirm(double price) {
  return absl::StrCat(
      "If the user agrees to spend it, call again with the same arguments "
      "and confirm_price: ",
      FormatCu(price), " (the most Creative Units they accept).");
}

}  // namespace

absl::string_view ConfirmationName(Confirmation confirmation) {
  switch (confirmation) {
    case Confirmation::kNotNeeded:
      return "not_needed";
    case Confirmation::kArgument:
      return "confirm_price";
    case Confirmation::kElicitation:
      return "elicitation";
  }
  return "not_needed";
}

absl::StatusOr<PriceDecision> ConfirmPrice(double price,
                                           std::optional<double> confirm_price,
                                           double threshold,
                                           absl::string_view what,
                                           absl::string_view note,
                                           ToolContext& context) {
  PriceDecision decision;
  if (price <= threshold) {
    decision.proceed = true;
    decision.confirmation = Confirmation::kNotNeeded;
    return decision;
  }
  if (confirm_price.has_value() && *confirm_price >= price) {
    decision.proceed = true;
    decision.confirmation = Confirmation::kArgument;
    return decision;
  }
  const std::string price_text = absl::StrCat(
      "The estimated price of ", what, " is ", FormatCu(price),
      " Creative Units, above the confirmation threshold of ",
      FormatCu(threshold), ".");
  const std::string low_confirm =
      confirm_price.has_value()
          ? absl::StrCat(" confirm_price ", FormatCu(*confirm_price),
                         " does not cover it.")
          : "";
  if (!context.CanElicit()) {
    decision.refusal = absl::StrCat("Not run: ", price_text, low_confirm,
                                    " Ask the user. ", HowToConfirm(price));
    return decision;
  }

  ElicitRequest request;
  request.message = absl::StrCat(
      price_text, note.empty() ? "" : absl::StrCat(" ", note),
      " Spend it?");
  request.requested_schema = {
      {"type", "object"},
      {"properties",
       {{"confirm",
         {{"type", "boolean"},
          {"title", "Spend the Creative Units"},
          {"description",
           absl::StrCat("Run it for about ", FormatCu(price),
                        " Creative Units")}}}}},
      {"required", {"confirm"}}};
  absl::StatusOr<ElicitResult> answer = context.Elicit(request);
  if (!answer.ok()) {
    if (answer.status().code() == absl::StatusCode::kCancelled ||
        context.cancelled()) {
      return absl::CancelledError("cancelled while asking the user");
    }
    decision.refusal = absl::StrCat(
        "Not run: ", price_text, " The user could not be asked (",
        answer.status().message(), "). ", HowToConfirm(price));
    return decision;
  }
  switch (answer->action) {
    case ElicitResult::Action::kAccept: {
      if (BoolAt(answer->content, "confirm").value_or(false)) {
        decision.proceed = true;
        decision.confirmation = Confirmation::kElicitation;
        return decision;
      }
      decision.refusal = absl::StrCat(
          "Not run: the user did not confirm spending ", FormatCu(price),
          " Creative Units. Nothing was charged.");
      return decision;
    }
    case ElicitResult::Action::kDecline:
      decision.refusal = absl::StrCat(
          "Not run: the user declined spending ", FormatCu(price),
          " Creative Units. Nothing was charged.");
      return decision;
    case ElicitResult::Action::kCancel:
      decision.refusal = absl::StrCat(
          "Not run: the user dismissed the question about spending ",
          FormatCu(price), " Creative Units. Nothing was charged.");
      return decision;
  }
  decision.refusal = "Not run: no answer from the user.";
  return decision;
}

}  // namespace layer_vault::mcp::layer_tools
