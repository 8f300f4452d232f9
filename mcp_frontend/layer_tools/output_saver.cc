#include "mcp_frontend/layer_tools/output_saver.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "mcp_frontend/safe_files/content_types.h"
#include "mcp_frontend/safe_files/safe_files.h"

namespace layer_vault::mcp::layer_tools {
namespace {

// MCP image content types that clients render.
bool IsInlineImageType(absl::string_view content_type) {
  return content_type == "image/png" || content_type == "image/jpeg" ||
         content_type == "image/gif" || content_type == "image/webp";
}

std::string JoinPath(absl::string_view directory, absl::string_view name) {
  if (directory.empty()) return std::string(name);
  return absl::StrCat(absl::StripSuffix(directory, "/"), "/", name);
}

}  // namespace

std::vector<RunOutput> OutputsOf(const nlohmann::json& run) {
  std::vector<RunOutput> outputs;
  if (!run.is_object()) return outputs;
  const auto it = run.find("outputs");
  if (it == run.end() || !it->is_array()) return outputs;
  for (const nlohmann::json& item : *it) {
    std::optional<std::string> url = StringAt(item, "url");
    if (!url.has_value()) url = StringAt(item, "download_url");
    if (!url.has_value() || url->empty()) continue;
    RunOutput output;
    output.url = *url;
    output.file_id = StringAt(item, "file_id").value_or("");
    output.content_type = StringAt(item, "content_type").value_or("");
    output.output_name = StringAt(item, "output_name").value_or("");
    if (std::optional<int64_t> size = IntegerAt(item, "size_bytes");
        size.has_value() && *size >= 0) {
      output.size_bytes = static_cast<uint64_t>(*size);
    }
    output.width = IntegerAt(item, "width");
    output.height = IntegerAt(item, "height");
    outputs.push_back(std::move(output));
  }
  return outputs;
}

std::string Slug(absl::string_view text, size_t max_size,
                 absl::string_view fallback) {
  std::string slug;
  bool dash = false;
  for (char c : text) {
    if (slug.size() >= max_size) break;
    if (absl::ascii_isalnum(static_cast<unsigned char>(c))) {
      if (dash && !slug.empty()) slug += '-';
      dash = false;
      slug += absl::ascii_tolower(static_cast<unsigned char>(c));
    } else {
      dash = true;
    }
  }
  while (slug.size() > max_size) slug.pop_back();
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  return slug.empty() ? std::string(fallback) : slug;
}

std::string OutputExtension(const RunOutput& output) {
  std::string extension = ExtensionForContentType(output.content_type);
  if (!extension.empty()) return extension;
  absl::string_view path = output.url;
  path = path.substr(0, path.find_first_of("?#"));
  const size_t slash = path.rfind('/');
  if (slash != absl::string_view::npos) path.remove_prefix(slash + 1);
  const size_t dot = path.rfind('.');
  if (dot != absl::string_view::npos) {
    const absl::string_view candidate = path.substr(dot + 1);
    if (!ContentTypeForExtension(candidate).empty()) {
      return absl::AsciiStrToLower(candidate);
    }
  }
  return "bin";
}

std::string OutputFileName(absl::string_view stem, absl::string_view run_id,
                           size_t index, absl::string_view extension) {
  std::string id = Slug(run_id, 128, "run");
  id.erase(std::remove(id.begin(), id.end(), '-'), id.end());
  if (id.size() > 8) id = id.substr(id.size() - 8);
  return absl::StrCat(stem, "-", id, "-", index + 1, ".", extension);
}

absl::StatusOr<SaveResult> SaveOutputs(const ToolEnv& env,
                                       const std::vector<RunOutput>& outputs,
                                       const SaveRequest& request,
                                       ToolContext& context,
                                       ProgressSteps& progress) {
  SaveResult result;
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (context.cancelled()) {
      return absl::CancelledError("cancelled while saving the outputs");
    }
    const RunOutput& output = outputs[i];
    SavedOutput saved;
    saved.output = output;
    const std::string relative = JoinPath(
        request.directory, OutputFileName(request.stem, request.run_id, i,
                                          OutputExtension(output)));
    // A URL Download would refuse is refused before a file is created.
    absl::Status failure = env.media->CheckDownloadUrl(output.url);
    absl::StatusOr<std::unique_ptr<PendingFile>> file =
        failure.ok() ? env.asset_root->CreateFile(relative)
                     : absl::StatusOr<std::unique_ptr<PendingFile>>(failure);
    if (!file.ok()) {
      failure = file.status();
    } else {
      absl::StatusOr<DownloadResult> download = env.media->Download(
          output.url, **file, context.cancellation(), nullptr);
      if (!download.ok()) {
        if (download.status().code() == absl::StatusCode::kCancelled ||
            context.cancelled()) {
          return absl::CancelledError("cancelled while downloading");
        }
        failure = download.status();
      } else {
        absl::StatusOr<SavedFile> committed =
            (*file)->Commit(request.overwrite);
        if (!committed.ok()) {
          failure = committed.status();
        } else {
          saved.path = committed->relative_path;
          saved.absolute_path = committed->absolute_path;
          saved.bytes = committed->size;
          if (saved.output.content_type.empty()) {
            saved.output.content_type = download->content_type;
          }
        }
      }
    }
    if (!failure.ok()) {
      saved.error = std::string(failure.message());
      ++result.failures;
      progress.Step(absl::StrCat("output ", i + 1, "/", outputs.size(),
                                 " not saved: ", saved.error));
    } else {
      progress.Step(absl::StrCat("saved output ", i + 1, "/", outputs.size(),
                                 ": ", saved.path));
      const std::string type =
          absl::AsciiStrToLower(saved.output.content_type);
      if (IsInlineImageType(type) &&
          saved.bytes <= env.options.max_inline_image_bytes) {
        absl::StatusOr<std::string> bytes = env.asset_root->ReadFile(
            saved.path, env.options.max_inline_image_bytes);
        if (bytes.ok()) {
          result.images.push_back(ContentBlock::Image(*bytes, type));
        }
      }
    }
    result.files.push_back(std::move(saved));
  }
  return result;
}

nlohmann::json SavedOutputJson(const SavedOutput& saved) {
  nlohmann::json json = {{"url", saved.output.url}};
  if (!saved.output.file_id.empty()) json["file_id"] = saved.output.file_id;
  if (!saved.output.content_type.empty()) {
    json["content_type"] = saved.output.content_type;
  }
  if (!saved.output.output_name.empty()) {
    json["output_name"] = saved.output.output_name;
  }
  if (saved.output.size_bytes) json["size_bytes"] = *saved.output.size_bytes;
  if (saved.output.width) json["width"] = *saved.output.width;
  if (saved.output.height) json["height"] = *saved.output.height;
  if (!saved.path.empty()) {
    json["saved_path"] = saved.path;
    json["absolute_path"] = saved.absolute_path;
    json["saved_bytes"] = saved.bytes;
  }
  if (!saved.error.empty()) json["error"] = saved.error;
  return json;
}

nlohmann::json SavedOutputSchema() {
  const nlohmann::json string = {{"type", "string"}};
  const nlohmann::json count = {{"type", "integer"}, {"minimum", 0}};
  return {
      {"type", "object"},
      {"required", {"url"}},
      {"properties",
       {{"url", {{"type", "string"}, {"description", "Where Layer.ai serves it."}}},
        {"file_id",
         {{"type", "string"},
          {"description", "Layer.ai file id; usable as guidance."}}},
        {"content_type", string},
        {"output_name",
         {{"type", "string"}, {"description", "Workflow output parameter."}}},
        {"size_bytes", count},
        {"width", count},
        {"height", count},
        {"saved_path",
         {{"type", "string"},
          {"description", "Where it was saved, relative to the asset root."}}},
        {"absolute_path", string},
        {"saved_bytes", count},
        {"error",
         {{"type", "string"}, {"description", "Why it was not saved."}}}}}};
}

}  // namespace layer_vault::mcp::layer_tools
