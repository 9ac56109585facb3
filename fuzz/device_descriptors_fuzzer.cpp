// The descriptors a USB device reports are as untrusted as the network stream: a hostile device
// on the host chooses them. Input: the speed the broker reports (one byte, modulo 7), the active
// bConfigurationValue (one byte, 0 = unconfigured), then the bytes read() returns on the device's
// usbfs file. They take the worker's path: splitUsbfsDescriptors, parseDeviceDescriptor,
// parseConfiguration, DeviceState. Only std::invalid_argument may come out (no usable device or
// active configuration); every endpoint DeviceState answers for must be declared by the active
// configuration, with an isochronous payload per interval that usbfs can carry.
#include <cstdint>
#include <span>
#include <stdexcept>
#include <vector>

#include "fuzz/check.h"
#include "fuzz/fuzz_input.h"
#include "worker/descriptors.h"
#include "worker/device_state.h"
#include "worker/usbfs_descriptors.h"

namespace usbip::fuzz {
namespace {

// usbfs's limit for one isochronous packet (drivers/usb/core/devio.c), rule I5.
constexpr uint32_t kUsbfsMaxIsoPacketBytes = 98304;

// Whether the active configuration declares `number`/`direction` in the current alternate
// settings (all at 0 after parsing).
bool declared(const worker::DeviceDescription& description, uint8_t active, uint32_t number,
              proto::Direction direction) {
  for (const std::vector<uint8_t>& bytes : description.configurations) {
    worker::ConfigurationDescriptors configuration;
    try {
      configuration = worker::parseConfiguration(bytes);
    } catch (const std::invalid_argument&) {
      continue;
    }
    if (configuration.bConfigurationValue != active) continue;
    for (const worker::InterfaceDescriptors& interface : configuration.interfaces) {
      const worker::AltSetting* alt = interface.findAlt(0);
      if (alt == nullptr) continue;
      for (const worker::EndpointDescriptor& endpoint : alt->endpoints) {
        if (endpoint.number() == number && endpoint.direction() == direction) return true;
      }
    }
    return false;  // the first configuration with that value is the one DeviceState keeps
  }
  return false;
}

void run(std::span<const uint8_t> data) {
  FuzzInput in(data);
  auto speed = static_cast<proto::Speed>(in.u8() % 7);
  uint8_t active = in.u8();
  worker::DeviceDescription description;
  description.exported.device.speed = speed;
  description.activeConfiguration = active;
  try {
    worker::RawDescriptors raw = worker::splitUsbfsDescriptors(in.rest());
    FUZZ_REQUIRE(raw.device.size() == 18);
    worker::DeviceDescriptor device = worker::parseDeviceDescriptor(raw.device);
    FUZZ_REQUIRE(raw.configurations.size() <= device.bNumConfigurations);
    for (const std::vector<uint8_t>& configuration : raw.configurations)
      FUZZ_REQUIRE(!configuration.empty());
    description.deviceDescriptor = raw.device;
    description.configurations = raw.configurations;
  } catch (const std::invalid_argument&) {
    return;  // the worker refuses such a device
  }
  try {
    worker::DeviceState state(description);
    for (uint32_t number = 0; number < 16; ++number) {
      for (auto direction : {proto::Direction::kOut, proto::Direction::kIn}) {
        auto endpoint = state.endpoint(number, direction);
        if (number == 0) {
          FUZZ_REQUIRE(endpoint && endpoint->type == proto::TransferType::kControl);
          continue;
        }
        if (!endpoint) continue;
        FUZZ_REQUIRE(declared(description, active, number, direction));
        if (endpoint->type == proto::TransferType::kIsochronous) {
          FUZZ_REQUIRE(endpoint->maxIsoBytesPerInterval <= kUsbfsMaxIsoPacketBytes);
        }
      }
    }
    FUZZ_REQUIRE(!state.endpoint(16, proto::Direction::kIn));
    for (unsigned address = 0; address < 256; ++address)
      state.mayNameEndpoint(static_cast<uint8_t>(address));
    for (unsigned number = 0; number < 256; ++number)
      state.mayNameInterface(static_cast<uint8_t>(number));
  } catch (const std::invalid_argument&) {
    // no descriptor for the active configuration: the worker cannot serve the device
  }
}

}  // namespace
}  // namespace usbip::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  usbip::fuzz::run({data, size});
  return 0;
}
