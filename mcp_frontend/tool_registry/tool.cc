#include "mcp_frontend/tool_registry/tool.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"

namespace layer_vault::mcp {

ContentBlock ContentBlock::Text(std::string text) {
  ContentBlock block;
  block.kind = Kind::kText;
  block.text = std::move(text);
  return block;
}

ContentBlock ContentBlock::Image(absl::string_view bytes,
                                 std::string mime_type) {
  ContentBlock block;
  block.kind = Kind::kImage;
  block.data = absl::Base64Escape(bytes);
  block.mime_type = std::move(mime_type);
  return block;
}

nlohmann::json ContentBlock::ToJson() const {
  switch (kind) {
    case Kind::kText:
      return {{"type", "text"}, {"text", text}};
    case Kind::kImage:
      return {{"type", "image"}, {"data", data}, {"mimeType", mime_type}};
  }
  return nullptr;
}

ToolResult ToolResult::Error(std::string text) {
  ToolResult result;
  result.is_error = true;
  result.content.push_back(ContentBlock::Text(std::move(text)));
  return result;
}

ToolResult ToolResult::Structured(nlohmann::json structured,
                                  std::string text) {
  ToolResult result;
  if (text.empty()) {
    text = structured.dump(-1, ' ', false,
                           nlohmann::json::error_handler_t::replace);
  }
  result.content.push_back(ContentBlock::Text(std::move(text)));
  result.structured_content = std::move(structured);
  return result;
}

nlohmann::json ToolResult::ToJson() const {
  nlohmann::json blocks = nlohmann::json::array();
  for (const ContentBlock& block : content) blocks.push_back(block.ToJson());
  nlohmann::json json = {{"content", std::move(blocks)}, {"isError", is_error}};
  if (!structured_content.is_null()) {
    json["structuredContent"] = structured_content;
  }
  return json;
}

ToolContext::ToolContext(CancellationToken cancellation, Hooks hooks)
    : cancellation_(std::move(cancellation)), hooks_(std::move(hooks)) {}

void ToolContext::ReportProgress(double progress, std::optional<double> total,
                                 absl::string_view message) {
  if (hooks_.progress) hooks_.progress(progress, total, message);
}

bool ToolContext::CanElicit() const {
  return hooks_.can_elicit && hooks_.can_elicit();
}

absl::StatusOr<ElicitResult> ToolContext::Elicit(
    const ElicitRequest& request) {
  if (!hooks_.elicit) {
    return absl::UnimplementedError("elicitation is not available here");
  }
  return hooks_.elicit(request, cancellation_);
}

void ToolContext::Log(LogLevel level, absl::string_view message) {
  if (hooks_.log) hooks_.log(level, message);
}

namespace {

class FunctionTool : public Tool {
 public:
  FunctionTool(ToolDefinition definition,
               std::function<absl::StatusOr<ToolResult>(const nlohmann::json&,
                                                        ToolContext&)>
                   handler)
      : definition_(std::move(definition)), handler_(std::move(handler)) {}

  const ToolDefinition& definition() const override { return definition_; }

  absl::StatusOr<ToolResult> Call(const nlohmann::json& arguments,
                                  ToolContext& context) override {
    return handler_(arguments, context);
  }

 private:
  const ToolDefinition definition_;
  const std::function<absl::StatusOr<ToolResult>(const nlohmann::json&,
                                                 ToolContext&)>
      handler_;
};

}  // namespace

std::unique_ptr<Tool> MakeTool(
    ToolDefinition definition,
    std::function<absl::StatusOr<ToolResult>(const nlohmann::json&,
                                             ToolContext&)>
        handler) {
  return std::make_unique<FunctionTool>(std::move(definition),
                                        std::move(handler));
}

}  // namespace layer_vault::mcp
