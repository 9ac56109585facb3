#include "protocol/transfer_bytes.h"

#include <gtest/gtest.h>

#include <cstring>

namespace usbip::proto {
namespace {

TEST(TransferBytesTest, ResizeLeavesTheBytesItAddsAlone) {
  // What makes the type worth having: growing a buffer writes nothing into it. A buffer whose
  // storage already holds bytes shows it, since clear() does not touch them either.
  TransferBytes bytes(4096, 0xa5);
  const uint8_t* storage = bytes.data();
  bytes.clear();
  bytes.resize(4096);
  ASSERT_EQ(bytes.data(), storage);  // the same storage, so what it held is still there
  std::vector<uint8_t> expected(4096, 0xa5);
  EXPECT_EQ(std::memcmp(bytes.data(), expected.data(), expected.size()), 0);
}

TEST(TransferBytesTest, ExplicitValuesAreWrittenAsUsual) {
  TransferBytes bytes(3, 0);
  EXPECT_EQ(bytes, (std::vector<uint8_t>{0, 0, 0}));
  bytes.resize(5, 7);
  EXPECT_EQ(bytes, (std::vector<uint8_t>{0, 0, 0, 7, 7}));
  bytes.assign({1, 2});
  EXPECT_EQ(bytes, (std::vector<uint8_t>{1, 2}));
  bytes.push_back(3);
  EXPECT_EQ(bytes, (std::vector<uint8_t>{1, 2, 3}));
}

TEST(TransferBytesTest, ComparesWithPlainByteVectorsByContent) {
  TransferBytes bytes{1, 2, 3};
  EXPECT_TRUE(bytes == (std::vector<uint8_t>{1, 2, 3}));
  EXPECT_FALSE(bytes == (std::vector<uint8_t>{1, 2}));
  EXPECT_FALSE(bytes == (std::vector<uint8_t>{1, 2, 4}));
  EXPECT_FALSE(bytes == std::vector<uint8_t>{});
}

}  // namespace
}  // namespace usbip::proto
