#include "worker/control_requests.h"

namespace usbip::worker {
namespace {

constexpr uint8_t kTypeMask = 0x60;
constexpr uint8_t kTypeVendor = 0x40;
constexpr uint8_t kRecipientMask = 0x1f;
constexpr uint8_t kRecipientInterface = 0x01;
constexpr uint8_t kRecipientEndpoint = 0x02;

// bmRequestType values, direction OUT, standard type unless said otherwise.
constexpr uint8_t kToDevice = 0x00;
constexpr uint8_t kToInterface = 0x01;
constexpr uint8_t kToEndpoint = 0x02;
constexpr uint8_t kClassToOther = 0x23;  // USB_RT_PORT: a hub's port

constexpr uint8_t kClearFeature = 0x01;
constexpr uint8_t kSetFeature = 0x03;
constexpr uint8_t kSetConfiguration = 0x09;
constexpr uint8_t kSetInterface = 0x0b;

constexpr uint16_t kFeatureEndpointHalt = 0;
constexpr uint16_t kFeaturePortReset = 4;

}  // namespace

SetupFields SetupFields::parse(const std::array<uint8_t, 8>& raw) {
  auto le16 = [&](size_t at) { return static_cast<uint16_t>(raw[at] | (raw[at + 1] << 8)); };
  return SetupFields{raw[0], raw[1], le16(2), le16(4), le16(6)};
}

std::optional<SpecialRequest> specialRequest(const SetupFields& setup) {
  if (setup.request == kClearFeature && setup.requestType == kToEndpoint &&
      setup.value == kFeatureEndpointHalt) {
    auto endpoint = static_cast<uint8_t>(setup.index & 0xff);
    // Endpoint 0 keeps no host-side halt or toggle state for usb_clear_halt() to reset, and
    // usbfs refuses USBDEVFS_CLEAR_HALT for it (no interface owns it): the request goes to the
    // device as it is, which may stall it (usbtest's queued control test sends exactly this).
    if ((endpoint & 0x7f) == 0) return std::nullopt;
    return ClearHaltRequest{endpoint};
  }
  if (setup.request == kSetInterface && setup.requestType == kToInterface) {
    return SetInterfaceRequest{setup.index, setup.value};
  }
  if (setup.request == kSetConfiguration && setup.requestType == kToDevice) {
    return SetConfigurationRequest{setup.value};
  }
  if (setup.request == kSetFeature && setup.requestType == kClassToOther &&
      setup.value == kFeaturePortReset) {
    return ResetDeviceRequest{};
  }
  return std::nullopt;
}

NamedRecipient namedRecipient(const SetupFields& setup) {
  if ((setup.requestType & kTypeMask) == kTypeVendor) return std::monostate{};
  auto low = static_cast<uint8_t>(setup.index & 0xff);
  switch (setup.requestType & kRecipientMask) {
    case kRecipientInterface:
      return NamedInterface{low};
    case kRecipientEndpoint:
      return NamedEndpoint{low};
    default:
      return std::monostate{};
  }
}

}  // namespace usbip::worker
