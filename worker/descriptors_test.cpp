#include "worker/descriptors.h"

#include <gtest/gtest.h>

#include <random>
#include <stdexcept>

#include "worker/descriptor_fixtures.h"

namespace usbip::worker {
namespace {

using testing::ConfigBytes;
namespace attr = testing::attributes;

TEST(Descriptors, ParsesInterfacesAlternatesAndEndpoints) {
  auto bytes = ConfigBytes(1)
                   .interface(0, 0, 3, 0x08, 0x06, 0x50)
                   .endpoint(0x01, attr::kBulk, 512)
                   .endpoint(0x82, attr::kBulk, 512)
                   .endpoint(0x83, attr::kInterrupt, 8, 4)
                   .raw({5, 0x24, 0x00, 0x10, 0x01})  // class-specific: opaque
                   .interface(1, 0, 0, 0x01, 0x02)
                   .interface(1, 1, 1, 0x01, 0x02)
                   .endpoint(0x84, attr::kIsochronous, 0x1400)
                   .bytes();
  ConfigurationDescriptors config = parseConfiguration(bytes);
  EXPECT_EQ(config.bConfigurationValue, 1);
  EXPECT_TRUE(config.warnings.empty());
  ASSERT_EQ(config.interfaces.size(), 2u);

  const InterfaceDescriptors& storage = config.interfaces[0];
  EXPECT_EQ(storage.bInterfaceNumber, 0);
  ASSERT_EQ(storage.altSettings.size(), 1u);
  EXPECT_EQ(storage.altSettings[0].bInterfaceClass, 0x08);
  EXPECT_EQ(storage.altSettings[0].bInterfaceProtocol, 0x50);
  ASSERT_EQ(storage.altSettings[0].endpoints.size(), 3u);
  const EndpointDescriptor& bulkIn = storage.altSettings[0].endpoints[1];
  EXPECT_EQ(bulkIn.bEndpointAddress, 0x82);
  EXPECT_EQ(bulkIn.number(), 2);
  EXPECT_EQ(bulkIn.direction(), proto::Direction::kIn);
  EXPECT_EQ(bulkIn.type(), proto::TransferType::kBulk);
  EXPECT_EQ(bulkIn.wMaxPacketSize, 512);
  EXPECT_EQ(storage.altSettings[0].endpoints[2].type(), proto::TransferType::kInterrupt);
  EXPECT_EQ(storage.altSettings[0].endpoints[2].bInterval, 4);

  const InterfaceDescriptors* audio = config.findInterface(1);
  ASSERT_NE(audio, nullptr);
  ASSERT_EQ(audio->altSettings.size(), 2u);
  EXPECT_TRUE(audio->findAlt(0)->endpoints.empty());
  ASSERT_EQ(audio->findAlt(1)->endpoints.size(), 1u);
  EXPECT_EQ(audio->findAlt(1)->endpoints[0].type(), proto::TransferType::kIsochronous);
  EXPECT_EQ(audio->findAlt(2), nullptr);
  EXPECT_EQ(config.findInterface(2), nullptr);
}

TEST(Descriptors, SuperSpeedCompanionsAttachToTheirEndpoint) {
  auto bytes = ConfigBytes(1)
                   .interface(0, 0, 2)
                   .endpoint(0x81, attr::kBulk, 1024)
                   .superSpeedCompanion(15, 0, 0)
                   .endpoint(0x82, attr::kIsochronous, 1024)
                   .superSpeedCompanion(3, 0x82, 12288)
                   .raw({8, 0x31, 0, 0, 0x00, 0x80, 0x01, 0x00})  // dwBytesPerInterval 98304
                   .bytes();
  ConfigurationDescriptors config = parseConfiguration(bytes);
  const auto& endpoints = config.interfaces.at(0).altSettings.at(0).endpoints;
  ASSERT_EQ(endpoints.size(), 2u);
  ASSERT_TRUE(endpoints[0].companion);
  EXPECT_EQ(endpoints[0].companion->bMaxBurst, 15);
  EXPECT_FALSE(endpoints[0].companion->dwBytesPerInterval);
  ASSERT_TRUE(endpoints[1].companion);
  EXPECT_EQ(endpoints[1].companion->wBytesPerInterval, 12288);
  EXPECT_EQ(endpoints[1].companion->dwBytesPerInterval, 98304u);
  EXPECT_TRUE(config.warnings.empty());
}

TEST(Descriptors, MaxIsoBytesPerIntervalFollowsTheSpeed) {
  EndpointDescriptor highBandwidth{0x81, attr::kIsochronous, 0x1400, 1, std::nullopt};  // 1024 x3
  EXPECT_EQ(maxIsoBytesPerInterval(highBandwidth, proto::Speed::kHigh), 3072u);
  EXPECT_EQ(maxIsoBytesPerInterval(highBandwidth, proto::Speed::kFull), 1024u);
  EXPECT_EQ(maxIsoBytesPerInterval(highBandwidth, proto::Speed::kUnknown), 3072u);
  EndpointDescriptor twoPerFrame{0x81, attr::kIsochronous, 0x0a00 | 0x0200, 1, std::nullopt};
  EXPECT_EQ(maxIsoBytesPerInterval(twoPerFrame, proto::Speed::kHigh), 512u * 2);

  EndpointDescriptor super{0x81, attr::kIsochronous, 1024, 1, SuperSpeedCompanion{3, 2, 12288, {}}};
  EXPECT_EQ(maxIsoBytesPerInterval(super, proto::Speed::kSuper), 12288u);
  super.companion->dwBytesPerInterval = 200000;  // capped at what usbfs takes per packet
  EXPECT_EQ(maxIsoBytesPerInterval(super, proto::Speed::kSuperPlus), 98304u);
  EndpointDescriptor superWithoutCompanion{0x81, attr::kIsochronous, 1024, 1, std::nullopt};
  EXPECT_EQ(maxIsoBytesPerInterval(superWithoutCompanion, proto::Speed::kSuper), 1024u);
}

TEST(Descriptors, DeviceDescriptorFields) {
  auto bytes = testing::deviceDescriptorBytes(0x1d6b, 0x0104, 2, 0xef);
  DeviceDescriptor device = parseDeviceDescriptor(bytes);
  EXPECT_EQ(device.idVendor, 0x1d6b);
  EXPECT_EQ(device.idProduct, 0x0104);
  EXPECT_EQ(device.bcdDevice, 0x1234);
  EXPECT_EQ(device.bDeviceClass, 0xef);
  EXPECT_EQ(device.bNumConfigurations, 2);
  bytes.pop_back();
  EXPECT_THROW(parseDeviceDescriptor(bytes), std::invalid_argument);
  auto wrongType = testing::deviceDescriptorBytes(1, 2, 1);
  wrongType[1] = 0x02;
  EXPECT_THROW(parseDeviceDescriptor(wrongType), std::invalid_argument);
}

TEST(DescriptorsMalicious, UnusableHeaderIsRejected) {
  EXPECT_THROW(parseConfiguration(std::vector<uint8_t>{}), std::invalid_argument);
  EXPECT_THROW(parseConfiguration(std::vector<uint8_t>{9, 2, 9, 0, 0, 1, 0, 0}),
               std::invalid_argument);
  EXPECT_THROW(parseConfiguration(std::vector<uint8_t>{9, 4, 9, 0, 0, 1, 0, 0, 0}),
               std::invalid_argument);
  EXPECT_THROW(parseConfiguration(std::vector<uint8_t>{8, 2, 9, 0, 0, 1, 0, 0, 0}),
               std::invalid_argument);
}

TEST(DescriptorsMalicious, ClaimedTotalLongerThanTheBytesParsesWhatIsThere) {
  auto bytes = ConfigBytes(1).interface(0, 0, 1).endpoint(0x81, attr::kBulk, 64).bytes();
  bytes[2] = 0xff;
  bytes[3] = 0xff;
  ConfigurationDescriptors config = parseConfiguration(bytes);
  ASSERT_EQ(config.interfaces.size(), 1u);
  EXPECT_EQ(config.interfaces[0].altSettings[0].endpoints.size(), 1u);
  EXPECT_FALSE(config.warnings.empty());
}

TEST(DescriptorsMalicious, TotalShorterThanTheBytesIgnoresTheRest) {
  auto bytes = ConfigBytes(1).interface(0, 0, 1).endpoint(0x81, attr::kBulk, 64).bytes();
  bytes[2] = 18;  // header and interface only
  ConfigurationDescriptors config = parseConfiguration(bytes);
  ASSERT_EQ(config.interfaces.size(), 1u);
  EXPECT_TRUE(config.interfaces[0].altSettings[0].endpoints.empty());
}

TEST(DescriptorsMalicious, ZeroLengthDescriptorStopsTheParse) {
  auto bytes = ConfigBytes(1)
                   .interface(0, 0, 1)
                   .raw({0, 0x05, 0x81, 2, 64, 0, 0})
                   .endpoint(0x82, attr::kBulk, 64)
                   .bytes();
  ConfigurationDescriptors config = parseConfiguration(bytes);
  EXPECT_TRUE(config.interfaces.at(0).altSettings.at(0).endpoints.empty());
  ASSERT_EQ(config.warnings.size(), 1u);
  EXPECT_NE(config.warnings[0].find("bLength 0"), std::string::npos);
}

TEST(DescriptorsMalicious, DescriptorRunningPastTheEndStopsTheParse) {
  auto bytes = ConfigBytes(1).interface(0, 0, 1).raw({200, 0x05, 0x81, 2, 64, 0, 0}).bytes();
  ConfigurationDescriptors config = parseConfiguration(bytes);
  EXPECT_TRUE(config.interfaces.at(0).altSettings.at(0).endpoints.empty());
  EXPECT_FALSE(config.warnings.empty());
}

TEST(DescriptorsMalicious, LoneTrailingByteIsIgnored) {
  auto bytes = ConfigBytes(1).interface(0, 0, 0).raw({7}).bytes();
  ConfigurationDescriptors config = parseConfiguration(bytes);
  EXPECT_EQ(config.interfaces.size(), 1u);
  EXPECT_FALSE(config.warnings.empty());
}

TEST(DescriptorsMalicious, ShortInterfaceAndEndpointDescriptorsAreSkipped) {
  auto bytes = ConfigBytes(1)
                   .raw({4, 0x04, 0, 0})             // interface cut to 4 bytes
                   .endpoint(0x81, attr::kBulk, 64)  // belongs to no usable interface
                   .interface(1, 0, 2)
                   .raw({5, 0x05, 0x82, 2, 64})  // endpoint cut to 5 bytes
                   .endpoint(0x83, attr::kBulk, 64)
                   .bytes();
  ConfigurationDescriptors config = parseConfiguration(bytes);
  ASSERT_EQ(config.interfaces.size(), 1u);
  EXPECT_EQ(config.interfaces[0].bInterfaceNumber, 1);
  ASSERT_EQ(config.interfaces[0].altSettings[0].endpoints.size(), 1u);
  EXPECT_EQ(config.interfaces[0].altSettings[0].endpoints[0].bEndpointAddress, 0x83);
  EXPECT_EQ(config.warnings.size(), 3u);
}

TEST(DescriptorsMalicious, InvalidAndDuplicateEndpointsAreSkipped) {
  auto bytes = ConfigBytes(1)
                   .interface(0, 0, 5)
                   .endpoint(0x00, attr::kBulk, 64)  // endpoint 0 cannot be described
                   .endpoint(0x80, attr::kBulk, 64)
                   .endpoint(0x91, attr::kBulk, 64)  // reserved address bits
                   .endpoint(0x81, attr::kBulk, 64)
                   .endpoint(0x81, attr::kInterrupt, 8)  // duplicate: the first one stays
                   .bytes();
  ConfigurationDescriptors config = parseConfiguration(bytes);
  const auto& endpoints = config.interfaces.at(0).altSettings.at(0).endpoints;
  ASSERT_EQ(endpoints.size(), 1u);
  EXPECT_EQ(endpoints[0].type(), proto::TransferType::kBulk);
  EXPECT_EQ(config.warnings.size(), 4u);
}

TEST(DescriptorsMalicious, DuplicateAlternateSettingIsSkippedWithItsEndpoints) {
  auto bytes = ConfigBytes(1)
                   .interface(0, 0, 1)
                   .endpoint(0x81, attr::kBulk, 64)
                   .interface(0, 0, 1)
                   .endpoint(0x82, attr::kBulk, 64)
                   .bytes();
  ConfigurationDescriptors config = parseConfiguration(bytes);
  ASSERT_EQ(config.interfaces.size(), 1u);
  ASSERT_EQ(config.interfaces[0].altSettings.size(), 1u);
  ASSERT_EQ(config.interfaces[0].altSettings[0].endpoints.size(), 1u);
  EXPECT_EQ(config.interfaces[0].altSettings[0].endpoints[0].bEndpointAddress, 0x81);
}

TEST(DescriptorsMalicious, MisplacedOrShortCompanionsAreIgnored) {
  auto bytes = ConfigBytes(1)
                   .interface(0, 0, 2)
                   .superSpeedCompanion(1, 0, 0)  // no endpoint before it
                   .endpoint(0x81, attr::kIsochronous, 1024)
                   .raw({4, 0x30, 1, 0})  // too short
                   .endpoint(0x82, attr::kIsochronous, 1024)
                   .superSpeedCompanion(0, 0, 1024)  // no SSP companion announced
                   .raw({8, 0x31, 0, 0, 0xff, 0xff, 0xff, 0xff})
                   .raw({8, 0x31, 0, 0, 0xff, 0xff, 0xff, 0xff})  // nothing before it
                   .bytes();
  ConfigurationDescriptors config = parseConfiguration(bytes);
  const auto& endpoints = config.interfaces.at(0).altSettings.at(0).endpoints;
  ASSERT_EQ(endpoints.size(), 2u);
  EXPECT_FALSE(endpoints[0].companion);
  ASSERT_TRUE(endpoints[1].companion);
  EXPECT_FALSE(endpoints[1].companion->dwBytesPerInterval);
  EXPECT_EQ(config.warnings.size(), 4u);
}

// Whatever the bytes after a valid header, the parser returns or throws invalid_argument, and
// never reads outside the buffer (the sanitizer build checks the latter).
TEST(DescriptorsMalicious, RandomBytesNeverCrash) {
  std::mt19937 random(1234);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> size(0, 300);
  const uint8_t interestingTypes[] = {0x04, 0x05, 0x30, 0x31, 0x24, 0x02};
  for (int round = 0; round < 20000; ++round) {
    std::vector<uint8_t> bytes{9, 2, 0, 0, 1, 1, 0, 0x80, 50};
    int extra = size(random);
    for (int i = 0; i < extra; ++i) {
      // Bias towards small lengths and meaningful types so that the walk goes deep.
      int choice = byte(random);
      if (i % 7 == 0) {
        bytes.push_back(static_cast<uint8_t>(choice % 12));
      } else if (i % 7 == 1) {
        bytes.push_back(interestingTypes[static_cast<size_t>(choice) % 6]);
      } else {
        bytes.push_back(static_cast<uint8_t>(choice));
      }
    }
    size_t claimed = static_cast<size_t>(byte(random)) * 4;
    uint16_t total = static_cast<uint16_t>(round % 3 == 0 ? bytes.size() : claimed);
    bytes[2] = static_cast<uint8_t>(total & 0xff);
    bytes[3] = static_cast<uint8_t>(total >> 8);
    try {
      ConfigurationDescriptors config = parseConfiguration(bytes);
      for (const auto& interface : config.interfaces) {
        for (const auto& alt : interface.altSettings) {
          for (const auto& endpoint : alt.endpoints) {
            EXPECT_NE(endpoint.bEndpointAddress & 0x0f, 0);
            EXPECT_LE(maxIsoBytesPerInterval(endpoint, proto::Speed::kSuperPlus), 98304u);
          }
        }
      }
    } catch (const std::invalid_argument&) {
    }
  }
}

}  // namespace
}  // namespace usbip::worker
