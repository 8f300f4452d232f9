#include "mcp_frontend/safe_files/content_types.h"

#include <string>

#include "gtest/gtest.h"

namespace layer_vault::mcp {
namespace {

struct TypeCase {
  const char* type;
  const char* extension;
};

class ExtensionTest : public ::testing::TestWithParam<TypeCase> {};

TEST_P(ExtensionTest, Maps) {
  EXPECT_EQ(ExtensionForContentType(GetParam().type), GetParam().extension);
}

INSTANTIATE_TEST_SUITE_P(
    Table, ExtensionTest,
    ::testing::Values(TypeCase{"image/png", "png"},
                      TypeCase{"IMAGE/PNG", "png"},
                      TypeCase{" image/jpeg ; charset=binary", "jpg"},
                      TypeCase{"image/webp", "webp"},
                      TypeCase{"image/gif", "gif"},
                      TypeCase{"video/mp4", "mp4"},
                      TypeCase{"video/webm", "webm"},
                      TypeCase{"model/gltf-binary", "glb"},
                      TypeCase{"model/gltf+json", "gltf"},
                      TypeCase{"model/obj", "obj"},
                      TypeCase{"application/fbx", "fbx"},
                      TypeCase{"audio/wav", "wav"},
                      TypeCase{"audio/x-wav", "wav"},
                      TypeCase{"audio/mpeg", "mp3"},
                      TypeCase{"audio/ogg", "ogg"},
                      TypeCase{"application/json", "json"},
                      TypeCase{"text/plain; charset=utf-8", "txt"},
                      TypeCase{"application/octet-stream", ""},
                      TypeCase{"text/html", ""},
                      TypeCase{"", ""}));

TEST(ContentTypeForExtensionTest, Table) {
  EXPECT_EQ(ContentTypeForExtension("png"), "image/png");
  EXPECT_EQ(ContentTypeForExtension(".PNG"), "image/png");
  EXPECT_EQ(ContentTypeForExtension("jpg"), "image/jpeg");
  EXPECT_EQ(ContentTypeForExtension("jpeg"), "image/jpeg");
  EXPECT_EQ(ContentTypeForExtension("wav"), "audio/wav");
  EXPECT_EQ(ContentTypeForExtension("mp3"), "audio/mpeg");
  EXPECT_EQ(ContentTypeForExtension("glb"), "model/gltf-binary");
  EXPECT_EQ(ContentTypeForExtension("env"), "");
}

TEST(SniffContentTypeTest, MagicNumbers) {
  EXPECT_EQ(SniffContentType(std::string("\x89PNG\r\n\x1a\n\0\0", 10)),
            "image/png");
  EXPECT_EQ(SniffContentType("\xff\xd8\xff\xe0"), "image/jpeg");
  EXPECT_EQ(SniffContentType(std::string("RIFF\x10\0\0\0WEBPVP8 ", 16)), "image/webp");
  EXPECT_EQ(SniffContentType(std::string("RIFF\x24\0\0\0WAVEfmt ", 16)),
            "audio/wav");
  EXPECT_EQ(SniffContentType("GIF89a"), "image/gif");
  EXPECT_EQ(SniffContentType("ID3\x04"), "audio/mpeg");
  EXPECT_EQ(SniffContentType(std::string("\0\0\0\x18" "ftypisom", 12)),
            "video/mp4");
  EXPECT_EQ(SniffContentType("glTF\x02\0\0\0"), "model/gltf-binary");
  EXPECT_EQ(SniffContentType("LAYER_API_TOKEN=pat_x"), "");
  EXPECT_EQ(SniffContentType(""), "");
  EXPECT_EQ(SniffContentType("\x89PN"), "");  // truncated
}

}  // namespace
}  // namespace layer_vault::mcp
