#include "worker/usbfs_descriptors.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <stdexcept>

#include "common/syscall.h"
#include "worker/device_description.h"
#include "worker/test_device.h"

namespace usbip::worker {
namespace {

std::vector<uint8_t> usbfsLayout(const DeviceDescription& description) {
  std::vector<uint8_t> bytes = description.deviceDescriptor;
  for (const auto& config : description.configurations) {
    bytes.insert(bytes.end(), config.begin(), config.end());
  }
  return bytes;
}

TEST(UsbfsDescriptors, SplitsDeviceAndConfigurations) {
  DeviceDescription expected = testing::testDeviceDescription();
  RawDescriptors raw = splitUsbfsDescriptors(usbfsLayout(expected));
  EXPECT_EQ(raw.device, expected.deviceDescriptor);
  EXPECT_EQ(raw.configurations, expected.configurations);
}

TEST(UsbfsDescriptors, TruncatedOrLyingLayoutsStayInBounds) {
  DeviceDescription expected = testing::testDeviceDescription();
  std::vector<uint8_t> bytes = usbfsLayout(expected);
  bytes.resize(18 + expected.configurations[0].size() + 5);  // second one cut inside its header
  RawDescriptors raw = splitUsbfsDescriptors(bytes);
  EXPECT_EQ(raw.configurations.size(), 1u);

  bytes = usbfsLayout(expected);
  bytes[18 + 2] = 0xff;  // first configuration claims 65535 bytes
  bytes[18 + 3] = 0xff;
  raw = splitUsbfsDescriptors(bytes);
  ASSERT_EQ(raw.configurations.size(), 1u);
  EXPECT_EQ(raw.configurations[0].size(), bytes.size() - 18);

  bytes = usbfsLayout(expected);
  bytes[18 + 2] = 0;  // zero wTotalLength: one byte per step, never a loop
  bytes[18 + 3] = 0;
  raw = splitUsbfsDescriptors(bytes);
  EXPECT_EQ(raw.configurations.size(), 2u);

  bytes = usbfsLayout(expected);
  bytes[17] = 255;  // 255 configurations announced, two present
  EXPECT_EQ(splitUsbfsDescriptors(bytes).configurations.size(), 2u);

  EXPECT_THROW(splitUsbfsDescriptors(std::vector<uint8_t>(10, 0)), std::invalid_argument);
}

TEST(UsbfsDescriptors, ReadsFromTheStartWhereverTheOffsetWas) {
  DeviceDescription expected = testing::testDeviceDescription();
  std::vector<uint8_t> bytes = usbfsLayout(expected);
  UniqueFd file(checkSyscall(::memfd_create("descriptors", MFD_CLOEXEC), "memfd_create"));
  ASSERT_EQ(::write(file.get(), bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  ASSERT_EQ(::lseek(file.get(), 5, SEEK_SET), 5);
  RawDescriptors raw = readUsbfsDescriptors(file);
  EXPECT_EQ(raw.device, expected.deviceDescriptor);
  EXPECT_EQ(raw.configurations, expected.configurations);
}

TEST(DeviceDescription, RecordFromDescriptorsAndIdentity) {
  DeviceDescription expected = testing::testDeviceDescription();
  DeviceIdentity identity{"/sys/devices/x/usb3/3-1", "3-1", 3, 7, proto::Speed::kHigh};
  DeviceDescription description = describeDevice(
      identity, RawDescriptors{expected.deviceDescriptor, expected.configurations}, 1);
  const proto::DeviceRecord& record = description.exported.device;
  EXPECT_EQ(record.busid, "3-1");
  EXPECT_EQ(record.devid(), testing::kTestDevid);
  EXPECT_EQ(record.speed, proto::Speed::kHigh);
  EXPECT_EQ(record.idVendor, 0x1234);
  EXPECT_EQ(record.idProduct, 0x5678);
  EXPECT_EQ(record.bcdDevice, 0x1234);
  EXPECT_EQ(record.bNumConfigurations, 2);
  EXPECT_EQ(record.bConfigurationValue, 1);
  EXPECT_EQ(record.bNumInterfaces, 2);
  ASSERT_EQ(description.exported.interfaces.size(), 2u);
  EXPECT_EQ(description.exported.interfaces[1].bInterfaceClass, 0x01);
  EXPECT_EQ(description.exported.interfaces[1].bInterfaceSubClass, 0x02);
  EXPECT_EQ(description.activeConfiguration, 1);
  EXPECT_EQ(description.configurations.size(), 2u);

  DeviceDescription unconfigured = describeDevice(
      identity, RawDescriptors{expected.deviceDescriptor, expected.configurations}, 0);
  EXPECT_EQ(unconfigured.exported.device.bNumInterfaces, 0);
  EXPECT_TRUE(unconfigured.exported.interfaces.empty());

  EXPECT_THROW(describeDevice(
                   identity, RawDescriptors{expected.deviceDescriptor, expected.configurations}, 5),
               std::invalid_argument);
}

}  // namespace
}  // namespace usbip::worker
