// What a control request's eight setup bytes ask for, as far as the engine cares: whether it is
// one of the standard requests that must go through the USB stack instead of reaching the device
// as a raw transfer (rule C2), and which interface or endpoint it names (rule C4).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <variant>

namespace usbip::worker {

// The setup packet's fields (USB 2.0 section 9.3; little-endian on the wire).
struct SetupFields {
  uint8_t requestType = 0;
  uint8_t request = 0;
  uint16_t value = 0;
  uint16_t index = 0;
  uint16_t length = 0;

  static SetupFields parse(const std::array<uint8_t, 8>& raw);
};

// Recognised as the kernel's stub recognises them (stub_rx.c), by exact bmRequestType.
struct SetConfigurationRequest {
  uint16_t value;
};
struct SetInterfaceRequest {
  uint16_t interface;
  uint16_t alternate;
};
// Not for endpoint 0, whose CLEAR_FEATURE(ENDPOINT_HALT) is an ordinary control transfer.
struct ClearHaltRequest {
  uint8_t endpoint;  // address, direction bit included
};
// SET_FEATURE(PORT_RESET) addressed to a hub port: what vhci sends when the client resets the
// device; the stub answers it with usb_reset_device().
struct ResetDeviceRequest {};

using SpecialRequest = std::variant<SetConfigurationRequest, SetInterfaceRequest, ClearHaltRequest,
                                    ResetDeviceRequest>;

std::optional<SpecialRequest> specialRequest(const SetupFields& setup);

// The interface or endpoint a standard or class request names in the low byte of wIndex.
// Vendor requests use wIndex as they like, so (as usbfs's check_ctrlrecip) they name nothing.
struct NamedInterface {
  uint8_t number;
};
struct NamedEndpoint {
  uint8_t address;
};
using NamedRecipient = std::variant<std::monostate, NamedInterface, NamedEndpoint>;

NamedRecipient namedRecipient(const SetupFields& setup);

}  // namespace usbip::worker
