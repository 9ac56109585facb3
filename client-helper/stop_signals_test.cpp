#include "client-helper/stop_signals.h"

#include <gtest/gtest.h>
#include <poll.h>

namespace usbip::client {
namespace {

TEST(StopSignals, ASignalIsReadableOnTheFdAndConsumedByTake) {
  StopSignals stop;
  EXPECT_FALSE(stop.take());
  ASSERT_EQ(::raise(SIGTERM), 0);  // blocked: it waits on the fd instead of killing the test
  pollfd p{stop.fd().get(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 1000), 1);
  EXPECT_TRUE(stop.take());
  EXPECT_FALSE(stop.take());
  // Leaving the scope unblocks SIGTERM; the test survives because the signal was consumed.
}

}  // namespace
}  // namespace usbip::client
