#include "worker/sim/hid_keyboard.h"

#include <algorithm>
#include <optional>

#include "worker/sim/descriptor_builder.h"

namespace usbip::worker::sim {
namespace {

// HID class requests (HID 1.11 section 7.2).
constexpr uint8_t kGetReport = 0x01;
constexpr uint8_t kGetIdle = 0x02;
constexpr uint8_t kGetProtocol = 0x03;
constexpr uint8_t kSetReport = 0x09;
constexpr uint8_t kSetIdle = 0x0a;
constexpr uint8_t kSetProtocol = 0x0b;
constexpr uint8_t kReportTypeInput = 1;
constexpr uint8_t kReportTypeOutput = 2;

constexpr uint8_t kInterruptIn = 0x81;
constexpr uint8_t kPollIntervalMs = 10;

// The boot keyboard report descriptor of HID 1.11 appendix B.1: 8 modifier bits, a reserved
// byte, 5 LED bits (output) padded to a byte, and 6 key usage bytes.
constexpr std::array<uint8_t, 63> kReportDescriptor{
    0x05, 0x01,  // Usage Page (Generic Desktop)
    0x09, 0x06,  // Usage (Keyboard)
    0xa1, 0x01,  // Collection (Application)
    0x05, 0x07,  //   Usage Page (Keyboard/Keypad)
    0x19, 0xe0,  //   Usage Minimum (Left Control)
    0x29, 0xe7,  //   Usage Maximum (Right GUI)
    0x15, 0x00,  //   Logical Minimum (0)
    0x25, 0x01,  //   Logical Maximum (1)
    0x75, 0x01,  //   Report Size (1)
    0x95, 0x08,  //   Report Count (8)
    0x81, 0x02,  //   Input (Data, Variable, Absolute): modifier byte
    0x95, 0x01,  //   Report Count (1)
    0x75, 0x08,  //   Report Size (8)
    0x81, 0x01,  //   Input (Constant): reserved byte
    0x95, 0x05,  //   Report Count (5)
    0x75, 0x01,  //   Report Size (1)
    0x05, 0x08,  //   Usage Page (LEDs)
    0x19, 0x01,  //   Usage Minimum (Num Lock)
    0x29, 0x05,  //   Usage Maximum (Kana)
    0x91, 0x02,  //   Output (Data, Variable, Absolute): LED report
    0x95, 0x01,  //   Report Count (1)
    0x75, 0x03,  //   Report Size (3)
    0x91, 0x01,  //   Output (Constant): LED padding
    0x95, 0x06,  //   Report Count (6)
    0x75, 0x08,  //   Report Size (8)
    0x15, 0x00,  //   Logical Minimum (0)
    0x25, 0x65,  //   Logical Maximum (101)
    0x05, 0x07,  //   Usage Page (Keyboard/Keypad)
    0x19, 0x00,  //   Usage Minimum (0)
    0x29, 0x65,  //   Usage Maximum (101)
    0x81, 0x00,  //   Input (Data, Array): key array
    0xc0,        // End Collection
};

struct KeyStroke {
  uint8_t modifiers = 0;
  uint8_t usage = 0;
};

constexpr uint8_t kLeftShift = 0x02;

// Usage IDs from the HID Usage Tables, Keyboard/Keypad page (0x07), US layout.
constexpr std::optional<KeyStroke> keyFor(char c) {
  if (c >= 'a' && c <= 'z') return KeyStroke{0, static_cast<uint8_t>(0x04 + (c - 'a'))};
  if (c >= 'A' && c <= 'Z') return KeyStroke{kLeftShift, static_cast<uint8_t>(0x04 + (c - 'A'))};
  if (c >= '1' && c <= '9') return KeyStroke{0, static_cast<uint8_t>(0x1e + (c - '1'))};
  switch (c) {
    case '0':
      return KeyStroke{0, 0x27};
    case '\n':
      return KeyStroke{0, 0x28};  // Enter
    case ' ':
      return KeyStroke{0, 0x2c};
    case '-':
      return KeyStroke{0, 0x2d};
    case '.':
      return KeyStroke{0, 0x37};
    case ':':
      return KeyStroke{kLeftShift, 0x33};  // shift + ';'
    default:
      return std::nullopt;
  }
}

constexpr bool typeable(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return keyFor(c).has_value(); });
}
static_assert(typeable(HidKeyboard::kTypedLine), "every character of the line needs a key");

std::vector<uint8_t> hidDescriptor() {
  const auto length = static_cast<uint16_t>(kReportDescriptor.size());
  return makeDescriptor(descriptor_type::kHid,
                        {0x11, 0x01,  // bcdHID 1.11
                         0x00,        // bCountryCode: not localized
                         0x01,        // bNumDescriptors
                         descriptor_type::kHidReport, lowByte(length), highByte(length)});
}

SimDescriptors keyboardDescriptors() {
  SimDescriptors d;
  d.device = deviceDescriptor({.maxPacketSize0 = 64,
                               .idVendor = 0x1209,   // pid.codes
                               .idProduct = 0x0001,  // pid.codes test PID
                               .bcdDevice = 0x0100,
                               .iManufacturer = 1,
                               .iProduct = 2,
                               .iSerialNumber = 3});
  d.configurations.push_back(ConfigurationBuilder(1, /*remote wakeup*/ 0x20, /*100 mA*/ 50)
                                 .interface({.number = 0,
                                             .numEndpoints = 1,
                                             .interfaceClass = 0x03,      // HID
                                             .interfaceSubClass = 0x01,   // boot interface
                                             .interfaceProtocol = 0x01})  // keyboard
                                 .append(hidDescriptor())
                                 .endpoint({.address = kInterruptIn,
                                            .attributes = endpoint_type::kInterrupt,
                                            .maxPacketSize = 8,
                                            .interval = kPollIntervalMs})
                                 .build());
  d.strings = {"usbip-sandbox", "sim:hid boot keyboard", "sim-hid"};
  return d;
}

}  // namespace

HidKeyboard::HidKeyboard(const SimOptions& options)
    : SimulatedDevice({"0-1", 1, "/sys/devices/usbip-sandbox/sim-hid", proto::Speed::kFull},
                      keyboardDescriptors(), options),
      reportInterval_(std::chrono::milliseconds(kPollIntervalMs)) {}

ControlReply HidKeyboard::classRequest(const SetupPacket& setup, std::span<const uint8_t> outData) {
  if (setup.recipient() != recipient::kInterface) return ControlReply::stalled();
  const uint8_t reportType = highByte(setup.value);
  if (setup.isIn()) {
    switch (setup.request) {
      case kGetReport:
        if (reportType == kReportTypeInput) {
          return ControlReply::ok({current_.begin(), current_.end()});
        }
        if (reportType == kReportTypeOutput) return ControlReply::ok({leds_});
        return ControlReply::stalled();
      case kGetIdle:
        return ControlReply::ok({idleRate_});
      case kGetProtocol:
        return ControlReply::ok({protocol_});
      default:
        return ControlReply::stalled();
    }
  }
  switch (setup.request) {
    case kSetReport:
      // The only output report is the LED byte (num, caps, scroll, compose, kana).
      if (reportType != kReportTypeOutput || outData.empty()) return ControlReply::stalled();
      leds_ = outData[0] & 0x1f;
      return ControlReply::ok();
    case kSetIdle:
      idleRate_ = highByte(setup.value);
      return ControlReply::ok();
    case kSetProtocol:
      if (setup.value > 1) return ControlReply::stalled();
      // Boot and report protocol share this keyboard's report layout.
      protocol_ = lowByte(setup.value);
      return ControlReply::ok();
    default:
      return ControlReply::stalled();
  }
}

std::optional<std::vector<uint8_t>> HidKeyboard::interfaceDescriptor(uint8_t interface,
                                                                     uint8_t type, uint8_t) {
  if (interface != 0) return std::nullopt;
  if (type == descriptor_type::kHid) return hidDescriptor();
  if (type == descriptor_type::kHidReport) {
    return std::vector<uint8_t>(kReportDescriptor.begin(), kReportDescriptor.end());
  }
  return std::nullopt;
}

void HidKeyboard::startTransfer(uint64_t id, const EndpointLayout&) {
  polls_.push_back(id);
  if (!open_) openSession();
  sendReports();
}

void HidKeyboard::transferAborted(uint64_t id, const Transfer&) {
  std::erase(polls_, id);
  // usbhid kills its interrupt URB when the last user closes the input device.
  if (polls_.empty()) closeSession();
}

void HidKeyboard::classStateReset() {
  closeSession();
  leds_ = 0;
  idleRate_ = 0;
  protocol_ = 1;
}

void HidKeyboard::openSession() {
  open_ = true;
  const uint64_t session = ++session_;
  after(options().typingDelay, [this, session] {
    if (!open_ || session_ != session) return;
    queueLine();
    sendReports();
  });
}

void HidKeyboard::closeSession() {
  open_ = false;
  queued_.clear();
  current_ = {};
}

void HidKeyboard::queueLine() {
  for (const char c : kTypedLine) {
    const KeyStroke key = *keyFor(c);
    queued_.push_back({key.modifiers, 0, key.usage, 0, 0, 0, 0, 0});
    queued_.push_back({});  // every key released
  }
}

void HidKeyboard::sendReports() {
  while (!queued_.empty() && !polls_.empty()) {
    if (now() < nextReportAt_) {
      if (!sendScheduled_) {
        sendScheduled_ = true;
        after(nextReportAt_ - now(), [this] {
          sendScheduled_ = false;
          sendReports();
        });
      }
      return;
    }
    const uint64_t id = polls_.front();
    polls_.pop_front();
    current_ = queued_.front();
    queued_.pop_front();
    completeIn(id, current_);
    nextReportAt_ = now() + reportInterval_;
  }
}

}  // namespace usbip::worker::sim
