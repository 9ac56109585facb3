#include "broker/device_spec.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace usbip {
namespace {

TEST(DeviceSpec, BusIds) {
  EXPECT_EQ(parseDeviceSpec("1-2"), DeviceSpec(BusIdSpec{"1-2"}));
  EXPECT_EQ(parseDeviceSpec("3-1.4.2"), DeviceSpec(BusIdSpec{"3-1.4.2"}));
  for (const char* bad : {"1", "1-", "-1", "01-2", "1-02", "1-2.", "1-2..3", "1-a", "1-2:1.0",
                          "usb1", "256-1", "1-2.3.4.5.6.7.8.9.10.11.12.13.14"}) {
    EXPECT_FALSE(isValidBusId(bad)) << bad;
    EXPECT_THROW(parseDeviceSpec(bad), std::invalid_argument) << bad;
  }
}

TEST(DeviceSpec, DeviceNodes) {
  EXPECT_EQ(parseDeviceSpec("/dev/bus/usb/001/002"), DeviceSpec(DeviceNodeSpec{1, 2}));
  EXPECT_EQ(parseDeviceSpec("/dev/bus/usb/255/127"), DeviceSpec(DeviceNodeSpec{255, 127}));
  for (const char* bad : {"/dev/bus/usb/001", "/dev/bus/usb/1/2", "/dev/bus/usb/000/001",
                          "/dev/bus/usb/001/128", "/dev/bus/usb/001/002/x", "/dev/sda"}) {
    EXPECT_THROW(parseDeviceSpec(bad), std::invalid_argument) << bad;
  }
}

TEST(DeviceSpec, Simulated) {
  EXPECT_EQ(parseDeviceSpec("sim:hid"), DeviceSpec(SimulatedSpec{"hid"}));
  EXPECT_EQ(parseDeviceSpec("sim:cdc"), DeviceSpec(SimulatedSpec{"cdc"}));
  EXPECT_EQ(parseDeviceSpec("sim:uac"), DeviceSpec(SimulatedSpec{"uac"}));
  EXPECT_THROW(parseDeviceSpec("sim:"), std::invalid_argument);
  EXPECT_THROW(parseDeviceSpec("sim:HID"), std::invalid_argument);
}

TEST(DeviceSpec, ErrorNamesTheArgument) {
  try {
    parseDeviceSpec("/dev/bus/usb/001/999");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("'/dev/bus/usb/001/999'"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("device number '999'"), std::string::npos);
  }
}

}  // namespace
}  // namespace usbip
