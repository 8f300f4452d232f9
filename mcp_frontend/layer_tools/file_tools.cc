#include "mcp_frontend/layer_tools/file_tools.h"

#include <unistd.h>

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "mcp_frontend/safe_files/content_types.h"
#include "mcp_frontend/safe_files/safe_files.h"

namespace layer_vault::mcp::layer_tools {
namespace {

using nlohmann::json;
using Env = std::shared_ptr<const ToolEnv>;

// What files.upload_url accepts (REST.md 4.1).
constexpr const char* kUploadTypes[] = {"audio/mpeg", "audio/wav",
                                        "image/jpeg", "image/png",
                                        "image/webp", "video/mp4"};
constexpr uint64_t kMaxUploadBytes = 64ull * 1024 * 1024;

bool IsUploadType(absl::string_view type) {
  for (const char* t : kUploadTypes) {
    if (type == t) return true;
  }
  return false;
}

// One spelling per type, as Layer.ai lists them.
std::string Canonical(std::string type) {
  if (type == "audio/x-wav" || type == "audio/wave" ||
      type == "audio/vnd.wave") {
    return "audio/wav";
  }
  if (type == "audio/mp3") return "audio/mpeg";
  if (type == "image/jpg") return "image/jpeg";
  return type;
}

std::unique_ptr<Tool> UploadFile(Env env) {
  ToolDefinition d;
  d.name = "upload_file";
  d.title = "Upload a local file to Layer.ai";
  d.description =
      "Uploads a local image, audio or video file from the input root to "
      "Layer.ai (signed upload URL; at most 64 MiB) and returns its file_id, "
      "to use in generate's guidance_files or mask, or as a workflow file "
      "input. path is relative to the input root; the file's content must "
      "match its type (PNG, JPEG, WebP, WAV, MP3, MP4). Outputs of earlier "
      "runs already have a file_id: do not upload them again.";
  json types = json::array();
  for (const char* t : kUploadTypes) types.push_back(t);
  d.input_schema = {
      {"type", "object"},
      {"additionalProperties", false},
      {"required", {"path"}},
      {"properties",
       {{"workspace_id", WorkspaceIdSchema()},
        {"path",
         {{"type", "string"},
          {"minLength", 1},
          {"maxLength", 4096},
          {"description",
           "The file, relative to the input root (no absolute paths, no "
           "\"..\", no symlinks)."}}},
        {"content_type",
         {{"type", "string"},
          {"enum", types},
          {"description", "Default: from the file name's extension."}}},
        {"file_name",
         {{"type", "string"},
          {"minLength", 1},
          {"maxLength", 255},
          {"description", "Name shown in Layer.ai; default: the file's."}}}}}};
  d.output_schema =
      ObjectSchema({{"workspace_id", {{"type", "string"}}},
                    {"file_id", {{"type", "string"}}},
                    {"content_type", {{"type", "string"}}},
                    {"size_bytes", {{"type", "integer"}, {"minimum", 0}}},
                    {"file_name", {{"type", "string"}}},
                    {"path", {{"type", "string"}}}},
                   {"workspace_id", "file_id", "content_type", "size_bytes"});
  d.annotations = RunAnnotations();
  return MakeTool(std::move(d), [env](const json& args, ToolContext& context)
                                    -> absl::StatusOr<ToolResult> {
    if (env->input_root == nullptr) {
      return absl::FailedPreconditionError(
          "uploads are off: the MCP server was started without an input "
          "root");
    }
    absl::StatusOr<std::string> workspace = ResolveWorkspace(args, *env);
    if (!workspace.ok()) return workspace.status();
    const std::string path = args["path"].get<std::string>();
    absl::StatusOr<std::vector<std::string>> parts = SplitRelativePath(path);
    if (!parts.ok()) return parts.status();
    const std::string base_name = parts->back();

    std::string type;
    if (std::optional<std::string> given = StringAt(args, "content_type")) {
      type = *given;
    } else {
      const size_t dot = base_name.rfind('.');
      if (dot != std::string::npos) {
        type = Canonical(ContentTypeForExtension(base_name.substr(dot + 1)));
      }
      if (!IsUploadType(type)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "cannot tell the type of ", path,
            " from its name; Layer.ai takes PNG, JPEG, WebP, WAV, MP3 and "
            "MP4 files (pass content_type)"));
      }
    }

    absl::StatusOr<OpenedFile> file = env->input_root->OpenForRead(path);
    if (!file.ok()) return file.status();
    if (file->size == 0) {
      return absl::InvalidArgumentError(absl::StrCat(path, " is empty"));
    }
    if (file->size > kMaxUploadBytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, " is ", file->size, " bytes; Layer.ai takes at most 64 MiB"));
    }
    char head[64];
    const ssize_t n = pread(file->fd.get(), head, sizeof(head), 0);
    if (n <= 0) {
      return absl::InternalError(absl::StrCat("cannot read ", path));
    }
    const std::string sniffed =
        Canonical(SniffContentType(absl::string_view(head, n)));
    if (sniffed != type) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, " does not look like a ", type, " file",
          sniffed.empty() ? "" : absl::StrCat(" (it looks like ", sniffed, ")"),
          "; only image, audio and video files of the declared type are "
          "uploaded"));
    }

    ProgressSteps progress(context);
    progress.Step("requesting an upload URL");
    const std::string file_name =
        StringAt(args, "file_name").value_or(base_name.substr(0, 255));
    absl::StatusOr<json> signed_upload = env->api->Call(
        "files.upload_url",
        {{"workspace_id", *workspace},
         {"body",
          {{"content_type", type},
           {"file_size_bytes", file->size},
           {"file_name", file_name}}}});
    if (!signed_upload.ok()) return signed_upload.status();
    std::optional<std::string> file_id = StringAt(*signed_upload, "file_id");
    std::optional<std::string> url = StringAt(*signed_upload, "upload_url");
    if (!file_id.has_value() || !url.has_value()) {
      return absl::UnavailableError(
          "Layer.ai's answer has no file_id or upload_url");
    }
    const std::string upload_type =
        StringAt(*signed_upload, "content_type").value_or(type);
    progress.Step(absl::StrCat("uploading ", file->size, " bytes"));
    absl::StatusOr<UploadResult> uploaded =
        env->media->Upload(*url, *file, file->size, upload_type,
                           context.cancellation(), nullptr);
    if (!uploaded.ok()) return uploaded.status();
    progress.Step("uploaded");
    json out = {{"workspace_id", *workspace},
                {"file_id", *file_id},
                {"content_type", upload_type},
                {"size_bytes", file->size},
                {"file_name", file_name},
                {"path", path}};
    const std::string summary = absl::StrCat(
        "Uploaded ", path, " (", file->size, " bytes, ", upload_type,
        "): file_id ", *file_id,
        ". Use it in generate's guidance_files ({file_id, type}) or as a "
        "workflow file input.");
    return StructuredResult(std::move(out), summary);
  });
}

}  // namespace

std::vector<std::unique_ptr<Tool>> MakeFileTools(Env env) {
  std::vector<std::unique_ptr<Tool>> tools;
  tools.push_back(UploadFile(env));
  return tools;
}

}  // namespace layer_vault::mcp::layer_tools
