#include "worker/control_requests.h"

#include <gtest/gtest.h>

namespace usbip::worker {
namespace {

SetupFields setup(uint8_t requestType, uint8_t request, uint16_t value, uint16_t index,
                  uint16_t length = 0) {
  return SetupFields{requestType, request, value, index, length};
}

TEST(ControlRequests, SetupPacketIsLittleEndian) {
  SetupFields fields = SetupFields::parse({0x80, 0x06, 0x00, 0x01, 0x09, 0x04, 0x12, 0x00});
  EXPECT_EQ(fields.requestType, 0x80);
  EXPECT_EQ(fields.request, 0x06);
  EXPECT_EQ(fields.value, 0x0100);
  EXPECT_EQ(fields.index, 0x0409);
  EXPECT_EQ(fields.length, 18);
}

TEST(ControlRequests, RecognisesTheRequestsTheStackMustPerform) {
  auto config = specialRequest(setup(0x00, 0x09, 2, 0));
  ASSERT_TRUE(config);
  EXPECT_EQ(std::get<SetConfigurationRequest>(*config).value, 2);

  auto alt = specialRequest(setup(0x01, 0x0b, 1, 3));
  ASSERT_TRUE(alt);
  EXPECT_EQ(std::get<SetInterfaceRequest>(*alt).interface, 3);
  EXPECT_EQ(std::get<SetInterfaceRequest>(*alt).alternate, 1);

  auto halt = specialRequest(setup(0x02, 0x01, 0, 0x0182));
  ASSERT_TRUE(halt);
  EXPECT_EQ(std::get<ClearHaltRequest>(*halt).endpoint, 0x82);

  auto reset = specialRequest(setup(0x23, 0x03, 4, 1));
  ASSERT_TRUE(reset);
  EXPECT_TRUE(std::holds_alternative<ResetDeviceRequest>(*reset));
}

TEST(ControlRequests, LookalikesAreOrdinaryRequests) {
  EXPECT_FALSE(specialRequest(setup(0x80, 0x08, 0, 0, 1)));  // GET_CONFIGURATION
  EXPECT_FALSE(specialRequest(setup(0x02, 0x01, 1, 0x81)));  // CLEAR_FEATURE, not ENDPOINT_HALT
  EXPECT_FALSE(specialRequest(setup(0x00, 0x01, 1, 0)));     // CLEAR_FEATURE(REMOTE_WAKEUP)
  EXPECT_FALSE(specialRequest(setup(0x02, 0x03, 0, 0x81)));  // SET_FEATURE(ENDPOINT_HALT)
  EXPECT_FALSE(specialRequest(setup(0x23, 0x03, 8, 1)));     // SET_FEATURE(PORT_POWER)
  EXPECT_FALSE(specialRequest(setup(0x21, 0x0b, 1, 0)));     // class request numbered 11
  EXPECT_FALSE(specialRequest(setup(0x41, 0x09, 1, 0)));     // vendor request numbered 9
  EXPECT_FALSE(specialRequest(setup(0x02, 0x01, 0, 0x00)));  // CLEAR_HALT(ep0): to the device
  EXPECT_FALSE(specialRequest(setup(0x02, 0x01, 0, 0x80)));
}

TEST(ControlRequests, NamedRecipients) {
  auto interface = namedRecipient(setup(0x21, 0x0a, 0, 0x0201));  // class, interface 1
  ASSERT_TRUE(std::holds_alternative<NamedInterface>(interface));
  EXPECT_EQ(std::get<NamedInterface>(interface).number, 1);

  auto endpoint = namedRecipient(setup(0x82, 0x00, 0, 0x0081));  // GET_STATUS(endpoint 0x81)
  ASSERT_TRUE(std::holds_alternative<NamedEndpoint>(endpoint));
  EXPECT_EQ(std::get<NamedEndpoint>(endpoint).address, 0x81);

  EXPECT_TRUE(std::holds_alternative<std::monostate>(namedRecipient(setup(0x80, 0x06, 0x100, 0))));
  EXPECT_TRUE(std::holds_alternative<std::monostate>(namedRecipient(setup(0xc1, 0x01, 0, 77))));
  EXPECT_TRUE(std::holds_alternative<std::monostate>(namedRecipient(setup(0x23, 0x03, 4, 1))));
}

}  // namespace
}  // namespace usbip::worker
