#include "vaultd/token/pae.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace layer_vault::token {
namespace {

std::string Bytes(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

TEST(PaeTest, EmptyListIsEightZeroBytes) {
  EXPECT_EQ(Pae({}), std::string(8, '\0'));
}

TEST(PaeTest, SinglePiece) {
  const absl::string_view pieces[] = {"test"};
  EXPECT_EQ(Pae(pieces), Bytes({1, 0, 0, 0, 0, 0, 0,   0,   4,   0,
                                0, 0, 0, 0, 0, 0, 't', 'e', 's', 't'}));
}

TEST(PaeTest, V4PublicEmptyFooterAndAssertionIsFourPieces) {
  const absl::string_view pieces[] = {"v4.public.", "{}", "", ""};
  const std::string expected = Bytes({4, 0, 0, 0, 0, 0, 0, 0}) +
                               Bytes({10, 0, 0, 0, 0, 0, 0, 0}) + "v4.public." +
                               Bytes({2, 0, 0, 0, 0, 0, 0, 0}) + "{}" +
                               std::string(8, '\0') + std::string(8, '\0');
  EXPECT_EQ(Pae(pieces), expected);
  EXPECT_EQ(Pae(pieces).size(), 52u);
}

TEST(PaeTest, Le64ClearsTheTopBit) {
  EXPECT_EQ(Le64(0), std::string(8, '\0'));
  EXPECT_EQ(Le64(0x0102030405060708ull), Bytes({8, 7, 6, 5, 4, 3, 2, 1}));
  EXPECT_EQ(Le64(~0ull),
            Bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}));
}

TEST(PaeTest, DistinctListsEncodeDifferently) {
  const std::vector<std::vector<absl::string_view>> lists = {
      {},         {""},       {"", ""},   {"ab"},
      {"a", "b"}, {"ab", ""}, {"", "ab"}, {"a", "", "b"}};
  for (size_t i = 0; i < lists.size(); ++i) {
    for (size_t j = i + 1; j < lists.size(); ++j) {
      EXPECT_NE(Pae(lists[i]), Pae(lists[j])) << i << " vs " << j;
    }
  }
}

}  // namespace
}  // namespace layer_vault::token
