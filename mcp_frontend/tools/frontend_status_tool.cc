#include "mcp_frontend/tools/frontend_status_tool.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace layer_vault::mcp {
namespace {

constexpr char kName[] = "get_frontend_status";

nlohmann::json InputSchema() {
  return {{"type", "object"},
          {"properties", nlohmann::json::object()},
          {"additionalProperties", false}};
}

nlohmann::json OutputSchema() {
  const nlohmann::json string = {{"type", "string"}};
  const nlohmann::json boolean = {{"type", "boolean"}};
  return {
      {"type", "object"},
      {"properties",
       {{"server",
         {{"type", "object"},
          {"properties", {{"name", string}, {"version", string}}},
          {"required", {"name", "version"}}}},
        {"vaultd",
         {{"type", "object"},
          {"properties",
           {{"socket", string}, {"reachable", boolean}, {"problem", string}}},
          {"required", {"socket", "reachable"}}}},
        {"asset_root",
         {{"type", "object"},
          {"properties",
           {{"path", string}, {"exists", boolean}, {"writable", boolean}}},
          {"required", {"path", "exists", "writable"}}}},
        {"input_root",
         {{"type", "object"},
          {"properties",
           {{"path", string}, {"exists", boolean}, {"readable", boolean}}},
          {"required", {"path", "exists", "readable"}}}},
        {"allowed_media_hosts", {{"type", "array"}, {"items", string}}},
        {"confirm_threshold_creative_units",
         {{"type", "number"}, {"minimum", 0}}},
        {"default_workspace", {{"type", {"string", "null"}}}},
        {"warnings", {{"type", "array"}, {"items", string}}}}},
      {"required",
       {"server", "vaultd", "asset_root", "input_root", "allowed_media_hosts",
        "confirm_threshold_creative_units", "default_workspace",
        "warnings"}}};
}

bool IsDirectory(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// The nearest existing ancestor of `path` (for "will be created").
std::string ExistingAncestor(std::string path) {
  while (!path.empty() && path != "/") {
    const size_t slash = path.rfind('/');
    path = slash == 0 ? "/" : path.substr(0, slash);
    if (IsDirectory(path)) return path;
  }
  return "/";
}

class FrontendStatusTool : public Tool {
 public:
  explicit FrontendStatusTool(FrontendStatusOptions options)
      : options_(std::move(options)) {
    definition_.name = kName;
    definition_.title = "Frontend status";
    definition_.description =
        "Checks this MCP server's own set-up: where generated files are "
        "saved (the asset root) and whether it is writable, which directory "
        "local files may be uploaded from (the input root), whether the "
        "layer-vault daemon (vaultd) that holds the Layer.ai token is "
        "reachable, which media hosts downloads may come from, and the "
        "Creative Unit price above which runs need the user's confirmation. "
        "Call it when a Layer.ai tool fails with a set-up problem, or to "
        "tell the user where assets will be saved. Takes no arguments; "
        "spends nothing.";
    definition_.input_schema = InputSchema();
    definition_.output_schema = OutputSchema();
    definition_.annotations.read_only_hint = true;
    definition_.annotations.destructive_hint = false;
    definition_.annotations.idempotent_hint = true;
    definition_.annotations.open_world_hint = false;
  }

  const ToolDefinition& definition() const override { return definition_; }

  absl::StatusOr<ToolResult> Call(const nlohmann::json&,
                                  ToolContext&) override {
    std::vector<std::string> lines;
    const absl::Status vaultd = ProbeVaultdSocket(options_.vaultd_socket);
    nlohmann::json vaultd_json = {{"socket", options_.vaultd_socket},
                                  {"reachable", vaultd.ok()}};
    if (vaultd.ok()) {
      lines.push_back(absl::StrCat("vaultd: listening at ",
                                   options_.vaultd_socket));
    } else {
      vaultd_json["problem"] = std::string(vaultd.message());
      lines.push_back(absl::StrCat("vaultd: ", vaultd.message()));
    }

    const bool assets_exist = IsDirectory(options_.asset_root);
    const std::string writable_dir =
        assets_exist ? options_.asset_root
                     : ExistingAncestor(options_.asset_root);
    const bool assets_writable =
        access(writable_dir.c_str(), W_OK | X_OK) == 0;
    lines.push_back(absl::StrCat(
        "asset root: ", options_.asset_root,
        assets_exist ? "" : " (created on the first save)",
        assets_writable ? "" : " (NOT writable)"));

    const bool inputs_exist = IsDirectory(options_.input_root);
    const bool inputs_readable =
        inputs_exist && access(options_.input_root.c_str(), R_OK | X_OK) == 0;
    lines.push_back(absl::StrCat(
        "input root: ", options_.input_root,
        !inputs_exist ? " (does not exist)"
                      : (inputs_readable ? "" : " (NOT readable)")));
    lines.push_back(absl::StrCat("media hosts: ",
                                 absl::StrJoin(options_.allowed_media_hosts,
                                               ", ")));
    lines.push_back(absl::StrCat("runs above ",
                                 options_.confirm_threshold_creative_units,
                                 " Creative Units need the user's "
                                 "confirmation"));
    if (!options_.default_workspace.empty()) {
      lines.push_back(
          absl::StrCat("default workspace: ", options_.default_workspace));
    }
    for (const std::string& warning : options_.warnings) {
      lines.push_back(absl::StrCat("warning: ", warning));
    }

    nlohmann::json status = {
        {"server",
         {{"name", options_.server_name},
          {"version", options_.server_version}}},
        {"vaultd", std::move(vaultd_json)},
        {"asset_root",
         {{"path", options_.asset_root},
          {"exists", assets_exist},
          {"writable", assets_writable}}},
        {"input_root",
         {{"path", options_.input_root},
          {"exists", inputs_exist},
          {"readable", inputs_readable}}},
        {"allowed_media_hosts", options_.allowed_media_hosts},
        {"confirm_threshold_creative_units",
         options_.confirm_threshold_creative_units},
        {"default_workspace",
         options_.default_workspace.empty()
             ? nlohmann::json(nullptr)
             : nlohmann::json(options_.default_workspace)},
        {"warnings", options_.warnings}};
    return ToolResult::Structured(std::move(status),
                                  absl::StrJoin(lines, "\n"));
  }

 private:
  const FrontendStatusOptions options_;
  ToolDefinition definition_;
};

}  // namespace

absl::Status ProbeVaultdSocket(const std::string& path) {
  sockaddr_un address = {};
  address.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(address.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the vaultd socket path must be 1 to ", sizeof(address.sun_path) - 1,
        " bytes long"));
  }
  memcpy(address.sun_path, path.data(), path.size());
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return absl::InternalError("socket() failed");
  int result = connect(fd, reinterpret_cast<const sockaddr*>(&address),
                       sizeof(address));
  int error = result == 0 ? 0 : errno;
  if (error == EAGAIN || error == EINPROGRESS) {
    // The listen backlog is full: a daemon is there, just busy.
    error = 0;
  }
  close(fd);
  switch (error) {
    case 0:
      return absl::OkStatus();
    case ENOENT:
      return absl::NotFoundError(absl::StrCat(
          "vaultd is not running at ", path,
          " (no socket): start it, e.g. systemctl start vaultd"));
    case ECONNREFUSED:
      return absl::UnavailableError(absl::StrCat(
          "vaultd is not running at ", path,
          " (a stale socket, nobody listening): start or restart vaultd"));
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(absl::StrCat(
          "this user may not connect to ", path,
          ": vaultd's policy must allow it and the user must be in the "
          "socket's group"));
    default:
      return absl::UnavailableError(
          absl::StrCat("cannot connect to ", path, ": ", strerror(error)));
  }
}

std::unique_ptr<Tool> MakeFrontendStatusTool(FrontendStatusOptions options) {
  return std::make_unique<FrontendStatusTool>(std::move(options));
}

}  // namespace layer_vault::mcp
