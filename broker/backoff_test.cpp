#include "broker/backoff.h"

#include <gtest/gtest.h>

namespace usbip {
namespace {

using std::chrono::seconds;

TEST(Backoff, DoublesUpToTheCapAndResets) {
  Backoff b(seconds(1), seconds(10));
  EXPECT_EQ(b.next(), seconds(1));
  EXPECT_EQ(b.next(), seconds(2));
  EXPECT_EQ(b.next(), seconds(4));
  EXPECT_EQ(b.next(), seconds(8));
  EXPECT_EQ(b.next(), seconds(10));
  EXPECT_EQ(b.next(), seconds(10));
  b.reset();
  EXPECT_EQ(b.next(), seconds(1));
}

}  // namespace
}  // namespace usbip
