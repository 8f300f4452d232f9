#include "mcp_frontend/safe_files/content_types.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"

namespace layer_vault::mcp {
namespace {

struct Mapping {
  absl::string_view type;
  absl::string_view extension;
};

// The first entry for an extension is its canonical type.
constexpr Mapping kMappings[] = {
    {"image/png", "png"},
    {"image/jpeg", "jpg"},
    {"image/jpeg", "jpeg"},
    {"image/jpg", "jpg"},
    {"image/webp", "webp"},
    {"image/gif", "gif"},
    {"image/avif", "avif"},
    {"image/svg+xml", "svg"},
    {"video/mp4", "mp4"},
    {"video/webm", "webm"},
    {"video/quicktime", "mov"},
    {"model/gltf-binary", "glb"},
    {"model/gltf+json", "gltf"},
    {"model/obj", "obj"},
    {"model/fbx", "fbx"},
    {"application/fbx", "fbx"},
    {"model/vnd.fbx", "fbx"},
    {"model/stl", "stl"},
    {"model/usdz", "usdz"},
    {"audio/wav", "wav"},
    {"audio/x-wav", "wav"},
    {"audio/wave", "wav"},
    {"audio/vnd.wave", "wav"},
    {"audio/mpeg", "mp3"},
    {"audio/mp3", "mp3"},
    {"audio/ogg", "ogg"},
    {"audio/flac", "flac"},
    {"application/json", "json"},
    {"text/plain", "txt"},
    {"application/zip", "zip"},
};

}  // namespace

std::string ExtensionForContentType(absl::string_view content_type) {
  const size_t semicolon = content_type.find(';');
  if (semicolon != absl::string_view::npos) {
    content_type = content_type.substr(0, semicolon);
  }
  const std::string type =
      absl::AsciiStrToLower(absl::StripAsciiWhitespace(content_type));
  for (const Mapping& m : kMappings) {
    if (m.type == type) return std::string(m.extension);
  }
  return "";
}

std::string ContentTypeForExtension(absl::string_view extension) {
  if (absl::StartsWith(extension, ".")) extension.remove_prefix(1);
  const std::string ext = absl::AsciiStrToLower(extension);
  for (const Mapping& m : kMappings) {
    if (m.extension == ext) return std::string(m.type);
  }
  return "";
}

std::string SniffContentType(absl::string_view head) {
  auto at = [&](size_t offset, absl::string_view magic) {
    return head.size() >= offset + magic.size() &&
           head.substr(offset, magic.size()) == magic;
  };
  if (at(0, "\x89PNG\r\n\x1a\n")) return "image/png";
  if (at(0, "\xff\xd8\xff")) return "image/jpeg";
  if (at(0, "RIFF") && at(8, "WEBP")) return "image/webp";
  if (at(0, "RIFF") && at(8, "WAVE")) return "audio/wav";
  if (at(0, "GIF87a") || at(0, "GIF89a")) return "image/gif";
  if (at(0, "ID3")) return "audio/mpeg";
  if (head.size() >= 2 && static_cast<unsigned char>(head[0]) == 0xff &&
      (static_cast<unsigned char>(head[1]) & 0xe0) == 0xe0) {
    return "audio/mpeg";  // MPEG audio frame sync
  }
  if (at(4, "ftyp")) return "video/mp4";
  if (at(0, "\x1a\x45\xdf\xa3")) return "video/webm";
  if (at(0, "OggS")) return "audio/ogg";
  if (at(0, "glTF")) return "model/gltf-binary";
  return "";
}

}  // namespace layer_vault::mcp
