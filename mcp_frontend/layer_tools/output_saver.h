#ifndef LAYER_VAULT_MCP_FRONTEND_LAYER_TOOLS_OUTPUT_SAVER_H_
#define LAYER_VAULT_MCP_FRONTEND_LAYER_TOOLS_OUTPUT_SAVER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mcp_frontend/layer_tools/tool_support.h"
#include "mcp_frontend/tool_registry/tool.h"
#include "nlohmann/json.hpp"

namespace layer_vault::mcp::layer_tools {

// RunOutput is one generated file listed by a finished run.
struct RunOutput {
  std::string file_id;
  std::string url;
  std::string content_type;  // as listed; may be empty
  std::string output_name;   // workflow output parameter; may be empty
  std::optional<uint64_t> size_bytes;
  std::optional<int64_t> width;
  std::optional<int64_t> height;
};

// The files of a finished run: its "outputs" array (entries without a url
// are skipped).
std::vector<RunOutput> OutputsOf(const nlohmann::json& run);

// Slug returns `text` as a file-name stem: lower-case ASCII letters and
// digits, other runs of characters as one "-", at most `max_size` bytes,
// no leading or trailing "-"; `fallback` if nothing is left.
std::string Slug(absl::string_view text, size_t max_size,
                 absl::string_view fallback);

// The extension (no dot) a downloaded output is saved with: from its
// content type, else from its URL's path, else "bin".
std::string OutputExtension(const RunOutput& output);

// The file name of output `index` (0-based) of run `run_id`:
// "<stem>-<last 8 characters of the run id>-<index + 1>.<extension>".
std::string OutputFileName(absl::string_view stem, absl::string_view run_id,
                           size_t index, absl::string_view extension);

struct SaveRequest {
  std::string directory;  // beneath the asset root; "" is the root itself
  std::string stem;       // see OutputFileName
  std::string run_id;
  bool overwrite = false;
};

// SavedOutput is one output and where it went.
struct SavedOutput {
  RunOutput output;
  std::string path;           // beneath the asset root ("" if not saved)
  std::string absolute_path;  // ("" if not saved)
  uint64_t bytes = 0;
  std::string error;  // why it was not saved ("" if it was)
};

struct SaveResult {
  std::vector<SavedOutput> files;
  // Saved images of at most options.max_inline_image_bytes, for the model.
  std::vector<ContentBlock> images;
  int failures = 0;
};

// SaveOutputs downloads every output into env.asset_root (temp file, then
// renamed: never overwriting unless request.overwrite, else the first free
// "name-N.ext"), reporting one progress step per file. A failed download is
// recorded in its SavedOutput and the others go on. CANCELLED if `context`
// is cancelled (nothing partial is kept).
absl::StatusOr<SaveResult> SaveOutputs(const ToolEnv& env,
                                       const std::vector<RunOutput>& outputs,
                                       const SaveRequest& request,
                                       ToolContext& context,
                                       ProgressSteps& progress);

// The structured form of a saved output (see SavedOutputSchema()).
nlohmann::json SavedOutputJson(const SavedOutput& saved);

// The JSON Schema of SavedOutputJson's objects.
nlohmann::json SavedOutputSchema();

}  // namespace layer_vault::mcp::layer_tools

#endif  // LAYER_VAULT_MCP_FRONTEND_LAYER_TOOLS_OUTPUT_SAVER_H_
