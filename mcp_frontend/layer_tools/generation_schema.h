#ifndef LAYER_VAULT_MCP_FRONTEND_LAYER_TOOLS_GENERATION_SCHEMA_H_
#define LAYER_VAULT_MCP_FRONTEND_LAYER_TOOLS_GENERATION_SCHEMA_H_

#include "nlohmann/json.hpp"

namespace layer_vault::mcp::layer_tools {

// The generation parameters of vaultd's inferences.estimate and
// inferences.execute operations (vaultd/relay/operations/
// rest_operations.json), as JSON Schema properties with descriptions for a
// model. `with_execute_only` adds what only execute takes: seed,
// guidance_files, mask, session_name. //tests/mcp:layer_generate_test checks
// them against the registry, so the two cannot drift apart silently.
nlohmann::json GenerationProperties(bool with_execute_only);

// The request body for inferences.estimate (`for_execute` false) or
// inferences.execute from a tool call's arguments: the members named in
// GenerationProperties(for_execute), copied as given.
nlohmann::json GenerationBody(const nlohmann::json& arguments,
                              bool for_execute);

}  // namespace layer_vault::mcp::layer_tools

#endif  // LAYER_VAULT_MCP_FRONTEND_LAYER_TOOLS_GENERATION_SCHEMA_H_
