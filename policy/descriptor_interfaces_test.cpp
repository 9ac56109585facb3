#include "policy/descriptor_interfaces.h"

#include <gtest/gtest.h>

namespace usbip::policy {
namespace {

std::vector<uint8_t> deviceDescriptor() {
  std::vector<uint8_t> d(18, 0);
  d[0] = 18;
  d[1] = 1;
  return d;
}

void append(std::vector<uint8_t>& raw, std::initializer_list<uint8_t> bytes) {
  raw.insert(raw.end(), bytes);
}

void interfaceDescriptor(std::vector<uint8_t>& raw, uint8_t number, uint8_t alt, uint8_t cls,
                         uint8_t sub = 0, uint8_t proto = 0) {
  append(raw, {9, 4, number, alt, 1, cls, sub, proto, 0});
}

TEST(InterfacesInDescriptors, EveryConfigurationAndAlternateSetting) {
  auto raw = deviceDescriptor();
  append(raw, {9, 2, 0, 0, 2, 1, 0, 0x80, 50});        // configuration 1
  interfaceDescriptor(raw, 0, 0, 0x03, 1, 1);          // HID keyboard
  append(raw, {9, 0x21, 0x11, 1, 0, 1, 0x22, 63, 0});  // HID class descriptor
  append(raw, {7, 5, 0x81, 3, 8, 0, 10});              // endpoint
  interfaceDescriptor(raw, 0, 1, 0x03, 1, 1);          // same identity, alt 1: not repeated
  append(raw, {9, 2, 0, 0, 1, 2, 0, 0x80, 50});        // configuration 2
  interfaceDescriptor(raw, 0, 0, 0x08, 0x06, 0x50);    // mass storage appears here only
  const auto found = interfacesInDescriptors(raw);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0], (InterfaceInfo{0, 0x03, 1, 1}));
  EXPECT_EQ(found[1], (InterfaceInfo{0, 0x08, 0x06, 0x50}));
}

TEST(InterfacesInDescriptors, StopsAtAMalformedDescriptor) {
  auto raw = deviceDescriptor();
  interfaceDescriptor(raw, 1, 0, 0x03);
  append(raw, {0, 4});  // bLength 0 would loop forever
  interfaceDescriptor(raw, 2, 0, 0x08);
  const auto found = interfacesInDescriptors(raw);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].number, 1);

  auto truncated = deviceDescriptor();
  append(truncated, {9, 4, 3, 0});  // claims 9 bytes, has 4
  EXPECT_TRUE(interfacesInDescriptors(truncated).empty());
  EXPECT_TRUE(interfacesInDescriptors({}).empty());
}

}  // namespace
}  // namespace usbip::policy
