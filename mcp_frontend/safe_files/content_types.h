#ifndef LAYER_VAULT_MCP_FRONTEND_SAFE_FILES_CONTENT_TYPES_H_
#define LAYER_VAULT_MCP_FRONTEND_SAFE_FILES_CONTENT_TYPES_H_

#include <string>

#include "absl/strings/string_view.h"

namespace layer_vault::mcp {

// The file extension (without the dot) for a media type, e.g. "image/png"
// -> "png", "image/jpeg; charset=x" -> "jpg", "model/gltf-binary" -> "glb".
// Parameters, case and surrounding spaces are ignored. "" when unknown (the
// caller then picks "bin" or refuses).
std::string ExtensionForContentType(absl::string_view content_type);

// The media type for an extension (with or without the dot, any case), e.g.
// "PNG" -> "image/png", "jpg" and "jpeg" -> "image/jpeg". "" when unknown.
std::string ContentTypeForExtension(absl::string_view extension);

// The media type that the first bytes of a file show (magic numbers): PNG,
// JPEG, WebP, GIF, WAV, MP3, MP4, WebM, Ogg, glTF binary. "" when none
// matches. Used to check that a file is what its name claims before it
// leaves the machine.
std::string SniffContentType(absl::string_view head);

}  // namespace layer_vault::mcp

#endif  // LAYER_VAULT_MCP_FRONTEND_SAFE_FILES_CONTENT_TYPES_H_
