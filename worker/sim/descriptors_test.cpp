// The descriptors of every simulated device, checked with a walker written independently of
// the one the devices use, and the GET_DESCRIPTOR answers a host sees.
#include <gtest/gtest.h>

#include <cerrno>
#include <set>
#include <string>

#include "worker/little_endian.h"
#include "worker/sim/sim_test_support.h"

namespace usbip::worker::sim {
namespace {

using testing::Engine;

struct Descriptor {
  uint8_t type = 0;
  std::vector<uint8_t> bytes;
};

struct Walk {
  std::vector<Descriptor> all;
  std::set<uint8_t> interfaceNumbers;
  std::set<uint8_t> endpointAddresses;
};

// Splits a configuration into descriptors, failing the test when lengths or counts disagree.
Walk walkConfiguration(const std::vector<uint8_t>& config) {
  Walk walk;
  EXPECT_GE(config.size(), 9u);
  EXPECT_EQ(config[0], 9);
  EXPECT_EQ(config[1], 2);
  EXPECT_EQ(le16(config, 2), config.size()) << "wTotalLength";
  size_t at = 0;
  int endpointsDeclared = -1;
  int endpointsSeen = 0;
  while (at < config.size()) {
    const uint8_t length = config[at];
    EXPECT_GE(length, 2) << "descriptor at " << at;
    EXPECT_LE(at + length, config.size()) << "descriptor at " << at << " runs past the end";
    if (length < 2 || at + length > config.size()) break;
    Descriptor d{config[at + 1],
                 {config.begin() + static_cast<std::ptrdiff_t>(at),
                  config.begin() + static_cast<std::ptrdiff_t>(at + length)}};
    if (d.type == 4) {
      EXPECT_EQ(length, 9);
      if (endpointsDeclared >= 0) {
        EXPECT_EQ(endpointsSeen, endpointsDeclared);
      }
      endpointsDeclared = d.bytes[4];
      endpointsSeen = 0;
      walk.interfaceNumbers.insert(d.bytes[2]);
    } else if (d.type == 5) {
      EXPECT_TRUE(length == 7 || length == 9);
      ++endpointsSeen;
      walk.endpointAddresses.insert(d.bytes[2]);
    }
    walk.all.push_back(std::move(d));
    at += length;
  }
  EXPECT_EQ(at, config.size());
  EXPECT_EQ(endpointsSeen, endpointsDeclared) << "last interface's bNumEndpoints";
  EXPECT_EQ(walk.interfaceNumbers.size(), config[4]) << "bNumInterfaces";
  return walk;
}

std::vector<Descriptor> ofType(const Walk& walk, uint8_t type) {
  std::vector<Descriptor> out;
  for (const auto& d : walk.all) {
    if (d.type == type) out.push_back(d);
  }
  return out;
}

void expectDeviceDescriptor(const DeviceDescription& description) {
  const auto& dev = description.deviceDescriptor;
  ASSERT_EQ(dev.size(), 18u);
  EXPECT_EQ(dev[0], 18);
  EXPECT_EQ(dev[1], 1);
  EXPECT_EQ(le16(dev, 2), 0x0200);
  EXPECT_EQ(dev[7], 64);  // bMaxPacketSize0
  EXPECT_EQ(dev[17], description.configurations.size());
  EXPECT_EQ(description.activeConfiguration, 1);
}

TEST(SimDescriptors, HidKeyboardIsABootKeyboardWithOneInterruptInEndpoint) {
  Engine engine("hid");
  const auto& description = engine.device().description();
  expectDeviceDescriptor(description);
  const Walk walk = walkConfiguration(description.configurations.at(0));
  EXPECT_EQ(walk.endpointAddresses, (std::set<uint8_t>{0x81}));
  const auto interfaces = ofType(walk, 4);
  ASSERT_EQ(interfaces.size(), 1u);
  EXPECT_EQ(interfaces[0].bytes[5], 3);  // HID
  EXPECT_EQ(interfaces[0].bytes[6], 1);  // boot
  EXPECT_EQ(interfaces[0].bytes[7], 1);  // keyboard
  const auto hid = ofType(walk, 0x21);
  ASSERT_EQ(hid.size(), 1u);
  EXPECT_EQ(hid[0].bytes[6], 0x22);
  const auto endpoints = ofType(walk, 5);
  EXPECT_EQ(endpoints[0].bytes[3], 0x03);  // interrupt
  EXPECT_EQ(le16(endpoints[0].bytes, 4), 8);

  // The report descriptor has the length the HID descriptor announces, and is a boot keyboard.
  const uint16_t reportLength = le16(hid[0].bytes, 7);
  const auto report = engine.run(testing::getDescriptor(0x22, 0, reportLength, 0x81, 0));
  ASSERT_EQ(report.status, 0);
  ASSERT_EQ(report.actualLength, reportLength);
  EXPECT_EQ(std::vector<uint8_t>(report.data.begin(), report.data.begin() + 4),
            (std::vector<uint8_t>{0x05, 0x01, 0x09, 0x06}));
  EXPECT_EQ(report.data.back(), 0xc0);
  const auto hidAgain = engine.run(testing::getDescriptor(0x21, 0, 9, 0x81, 0));
  EXPECT_EQ(hidAgain.data, hid[0].bytes);
  // Interface 1 does not exist.
  EXPECT_EQ(engine.run(testing::getDescriptor(0x22, 0, reportLength, 0x81, 1)).status, -EPIPE);
}

TEST(SimDescriptors, CdcAcmHasFunctionalDescriptorsAndTwoInterfaces) {
  Engine engine("cdc");
  const auto& description = engine.device().description();
  expectDeviceDescriptor(description);
  const Walk walk = walkConfiguration(description.configurations.at(0));
  EXPECT_EQ(walk.endpointAddresses, (std::set<uint8_t>{0x81, 0x82, 0x02}));
  const auto interfaces = ofType(walk, 4);
  ASSERT_EQ(interfaces.size(), 2u);
  EXPECT_EQ((std::vector<uint8_t>{interfaces[0].bytes[5], interfaces[0].bytes[6],
                                  interfaces[0].bytes[7]}),
            (std::vector<uint8_t>{2, 2, 1}));
  EXPECT_EQ(interfaces[1].bytes[5], 0x0a);
  std::vector<uint8_t> subtypes;
  for (const auto& d : ofType(walk, 0x24)) {
    subtypes.push_back(d.bytes[2]);
    if (d.bytes[2] == 0x01) {
      EXPECT_EQ(d.bytes[4], 1) << "call management data interface";
    }
    if (d.bytes[2] == 0x06) {
      EXPECT_EQ(d.bytes[3], 0) << "union master";
      EXPECT_EQ(d.bytes[4], 1) << "union slave";
    }
  }
  EXPECT_EQ(subtypes, (std::vector<uint8_t>{0x00, 0x01, 0x02, 0x06}));
}

TEST(SimDescriptors, UacHasControlAndTwoStreamingInterfacesWithZeroBandwidthSettings) {
  Engine engine("uac");
  const auto& description = engine.device().description();
  expectDeviceDescriptor(description);
  const auto& config = description.configurations.at(0);
  const Walk walk = walkConfiguration(config);
  EXPECT_EQ(walk.interfaceNumbers, (std::set<uint8_t>{0, 1, 2}));
  EXPECT_EQ(walk.endpointAddresses, (std::set<uint8_t>{0x01, 0x82}));

  // The AudioControl header's wTotalLength covers itself and the terminals after it.
  size_t csAudioControl = 0;
  bool inAudioControl = false;
  std::vector<uint8_t> header;
  for (const auto& d : walk.all) {
    if (d.type == 4) inAudioControl = d.bytes[5] == 1 && d.bytes[6] == 1;
    if (inAudioControl && d.type == 0x24) {
      csAudioControl += d.bytes.size();
      if (d.bytes[2] == 0x01) header = d.bytes;
    }
  }
  ASSERT_EQ(header.size(), 10u);
  EXPECT_EQ(le16(header, 3), 0x0100);  // bcdADC
  EXPECT_EQ(le16(header, 5), csAudioControl);
  EXPECT_EQ(header[7], 2);
  EXPECT_EQ(header[8], 1);
  EXPECT_EQ(header[9], 2);

  // Each streaming interface: alt 0 without endpoints, alt 1 with one 9-byte iso endpoint of
  // 192 bytes, a type I format of 2 channels, 16 bits, 48000 Hz, and a class endpoint
  // descriptor with the sampling frequency control.
  int streamingAlternates = 0;
  for (size_t i = 0; i < walk.all.size(); ++i) {
    const auto& d = walk.all[i];
    if (d.type != 4 || d.bytes[6] != 2) continue;
    ++streamingAlternates;
    if (d.bytes[3] == 0) {
      EXPECT_EQ(d.bytes[4], 0);
      continue;
    }
    ASSERT_LE(i + 5, walk.all.size());
    const auto& general = walk.all[i + 1].bytes;
    const auto& format = walk.all[i + 2].bytes;
    const auto& endpoint = walk.all[i + 3].bytes;
    const auto& classEndpoint = walk.all[i + 4].bytes;
    EXPECT_EQ(general[2], 0x01);
    EXPECT_EQ(le16(general, 5), 0x0001);  // PCM
    ASSERT_EQ(format.size(), 11u);
    EXPECT_EQ(format[3], 1);   // type I
    EXPECT_EQ(format[4], 2);   // channels
    EXPECT_EQ(format[5], 2);   // subframe bytes
    EXPECT_EQ(format[6], 16);  // bits
    EXPECT_EQ(format[8] | (format[9] << 8) | (format[10] << 16), 48000);
    ASSERT_EQ(endpoint.size(), 9u);
    EXPECT_EQ(endpoint[3] & 0x03, 0x01);  // isochronous
    EXPECT_EQ(le16(endpoint, 4), 192);
    EXPECT_EQ(endpoint[6], 1);
    ASSERT_EQ(classEndpoint.size(), 7u);
    EXPECT_EQ(classEndpoint[1], 0x25);
    EXPECT_EQ(classEndpoint[3] & 0x01, 0x01);
  }
  EXPECT_EQ(streamingAlternates, 4);
}

TEST(SimDescriptors, ExportedRecordsLookLikeBusZeroDevices) {
  const struct {
    const char* name;
    const char* busid;
    uint32_t devnum;
    size_t interfaces;
  } expected[] = {{"hid", "0-1", 1, 1}, {"cdc", "0-2", 2, 2}, {"uac", "0-3", 3, 3}};
  for (const auto& e : expected) {
    Engine engine(e.name);
    const auto& exported = engine.device().description().exported;
    EXPECT_EQ(exported.device.busid, e.busid);
    EXPECT_EQ(exported.device.busnum, 0u);
    EXPECT_EQ(exported.device.devnum, e.devnum);
    EXPECT_EQ(exported.device.devid(), e.devnum);
    EXPECT_EQ(exported.device.path, std::string("/sys/devices/usbip-sandbox/sim-") + e.name);
    EXPECT_EQ(exported.device.speed, proto::Speed::kFull);
    EXPECT_EQ(exported.device.idVendor, 0x1209);
    EXPECT_EQ(exported.device.bConfigurationValue, 1);
    EXPECT_EQ(exported.device.bNumInterfaces, e.interfaces);
    EXPECT_EQ(exported.interfaces.size(), e.interfaces);
  }
  EXPECT_EQ(Engine("hid").device().description().exported.interfaces[0],
            (proto::InterfaceRecord{3, 1, 1}));
}

TEST(SimDescriptors, GetDescriptorAnswersAreCutToWLength) {
  Engine engine("cdc");
  const auto& description = engine.device().description();

  const auto first8 = engine.run(testing::getDescriptor(1, 0, 8));
  EXPECT_EQ(first8.status, 0);
  EXPECT_EQ(first8.data, std::vector<uint8_t>(description.deviceDescriptor.begin(),
                                              description.deviceDescriptor.begin() + 8));
  // Asking for more than there is gives what there is: a short but successful answer.
  const auto device64 = engine.run(testing::getDescriptor(1, 0, 64));
  EXPECT_EQ(device64.status, 0);
  EXPECT_EQ(device64.actualLength, 18u);
  EXPECT_EQ(device64.data, description.deviceDescriptor);

  const auto header = engine.run(testing::getDescriptor(2, 0, 9));
  EXPECT_EQ(header.actualLength, 9u);
  const uint16_t total = le16(header.data, 2);
  const auto full = engine.run(testing::getDescriptor(2, 0, total));
  EXPECT_EQ(full.data, description.configurations[0]);
  const auto zero = engine.run(testing::getDescriptor(2, 0, 0));
  EXPECT_EQ(zero.status, 0);
  EXPECT_EQ(zero.actualLength, 0u);
}

TEST(SimDescriptors, ShortAnswerWithShortNotOkIsRemoteIoError) {
  Engine engine("hid");
  auto transfer = testing::getDescriptor(1, 0, 255);
  transfer.shortNotOk = true;
  const auto result = engine.run(std::move(transfer));
  EXPECT_EQ(result.status, -EREMOTEIO);
  EXPECT_EQ(result.actualLength, 18u);
}

TEST(SimDescriptors, StringDescriptors) {
  Engine engine("uac");
  const auto languages = engine.run(testing::getDescriptor(3, 0, 255));
  EXPECT_EQ(languages.data, (std::vector<uint8_t>{4, 3, 0x09, 0x04}));
  const auto product = engine.run(testing::getDescriptor(3, 2, 255, 0x80, 0x0409));
  ASSERT_EQ(product.status, 0);
  ASSERT_EQ(product.data[0], product.data.size());
  std::string text;
  for (size_t i = 2; i < product.data.size(); i += 2)
    text.push_back(static_cast<char>(product.data[i]));
  EXPECT_EQ(text, "sim:uac loopback audio");
  // Cut in the middle of a character: still the first bytes.
  const auto cut = engine.run(testing::getDescriptor(3, 2, 5, 0x80, 0x0409));
  EXPECT_EQ(cut.data, std::vector<uint8_t>(product.data.begin(), product.data.begin() + 5));
  EXPECT_EQ(engine.run(testing::getDescriptor(3, 9, 255, 0x80, 0x0409)).status, -EPIPE);
}

TEST(SimDescriptors, FullSpeedOnlyDevicesStallDeviceQualifier) {
  for (const char* name : {"hid", "cdc", "uac"}) {
    Engine engine(name);
    EXPECT_EQ(engine.run(testing::getDescriptor(6, 0, 10)).status, -EPIPE) << name;
    EXPECT_EQ(engine.run(testing::getDescriptor(7, 0, 9)).status, -EPIPE) << name;
    EXPECT_EQ(engine.run(testing::getDescriptor(2, 1, 9)).status, -EPIPE) << name;
  }
}

}  // namespace
}  // namespace usbip::worker::sim
