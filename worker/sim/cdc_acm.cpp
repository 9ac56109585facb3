#include "worker/sim/cdc_acm.h"

#include <algorithm>

#include "worker/sim/descriptor_builder.h"

namespace usbip::worker::sim {
namespace {

// CDC PSTN 1.2 section 6.3 requests.
constexpr uint8_t kSetLineCoding = 0x20;
constexpr uint8_t kGetLineCoding = 0x21;
constexpr uint8_t kSetControlLineState = 0x22;
constexpr uint8_t kSendBreak = 0x23;

constexpr uint8_t kNotificationIn = 0x81;
constexpr uint8_t kBulkIn = 0x82;
constexpr uint8_t kBulkOut = 0x02;
constexpr uint8_t kCommInterface = 0;
constexpr uint8_t kDataInterface = 1;

// 9600 baud, 1 stop bit, no parity, 8 data bits: dwDTERate (LE), bCharFormat, bParityType,
// bDataBits.
constexpr std::array<uint8_t, 7> kDefaultLineCoding{0x80, 0x25, 0x00, 0x00, 0, 0, 8};

SimDescriptors acmDescriptors() {
  SimDescriptors d;
  d.device = deviceDescriptor({.deviceClass = 0x02,  // CDC
                               .maxPacketSize0 = 64,
                               .idVendor = 0x1209,   // pid.codes
                               .idProduct = 0x0001,  // pid.codes test PID
                               .bcdDevice = 0x0100,
                               .iManufacturer = 1,
                               .iProduct = 2,
                               .iSerialNumber = 3});
  d.configurations.push_back(
      ConfigurationBuilder(1, 0x00, /*100 mA*/ 50)
          .interface({.number = kCommInterface,
                      .numEndpoints = 1,
                      .interfaceClass = 0x02,      // Communications
                      .interfaceSubClass = 0x02,   // Abstract Control Model
                      .interfaceProtocol = 0x01})  // AT commands (V.250)
          // Header: bcdCDC 1.10.
          .append(makeDescriptor(descriptor_type::kClassInterface, {0x00, 0x10, 0x01}))
          // Call management: no call management of its own; data interface 1.
          .append(makeDescriptor(descriptor_type::kClassInterface, {0x01, 0x00, kDataInterface}))
          // ACM: supports Set/Get_Line_Coding, Set_Control_Line_State, Serial_State.
          .append(makeDescriptor(descriptor_type::kClassInterface, {0x02, 0x02}))
          // Union: control interface 0, subordinate interface 1.
          .append(makeDescriptor(descriptor_type::kClassInterface,
                                 {0x06, kCommInterface, kDataInterface}))
          .endpoint({.address = kNotificationIn,
                     .attributes = endpoint_type::kInterrupt,
                     .maxPacketSize = 16,
                     .interval = 16})
          .interface(
              {.number = kDataInterface, .numEndpoints = 2, .interfaceClass = 0x0a})  // CDC Data
          .endpoint({.address = kBulkIn, .attributes = endpoint_type::kBulk, .maxPacketSize = 64})
          .endpoint({.address = kBulkOut, .attributes = endpoint_type::kBulk, .maxPacketSize = 64})
          .build());
  d.strings = {"usbip-sandbox", "sim:cdc echo serial port", "sim-cdc"};
  return d;
}

}  // namespace

CdcAcm::CdcAcm(const SimOptions& options)
    : SimulatedDevice({"0-2", 2, "/sys/devices/usbip-sandbox/sim-cdc", proto::Speed::kFull},
                      acmDescriptors(), options),
      lineCoding_(kDefaultLineCoding) {}

ControlReply CdcAcm::classRequest(const SetupPacket& setup, std::span<const uint8_t> outData) {
  if (setup.recipient() != recipient::kInterface || lowByte(setup.index) != kCommInterface) {
    return ControlReply::stalled();
  }
  switch (setup.request) {
    case kSetLineCoding:
      if (setup.isIn() || outData.size() != lineCoding_.size()) return ControlReply::stalled();
      std::copy(outData.begin(), outData.end(), lineCoding_.begin());
      return ControlReply::ok();
    case kGetLineCoding:
      if (!setup.isIn()) return ControlReply::stalled();
      return ControlReply::ok({lineCoding_.begin(), lineCoding_.end()});
    case kSetControlLineState:
      if (setup.isIn()) return ControlReply::stalled();
      controlLines_ = setup.value & 0x03;
      return ControlReply::ok();
    case kSendBreak:
      // A loopback has no line to hold in break; accepting it keeps tcsendbreak() working.
      if (setup.isIn()) return ControlReply::stalled();
      return ControlReply::ok();
    default:
      return ControlReply::stalled();
  }
}

void CdcAcm::startTransfer(uint64_t id, const EndpointLayout& endpoint) {
  switch (endpoint.address) {
    case kBulkOut:
      writes_.push_back({id, 0});
      break;
    case kBulkIn:
      reads_.push_back(id);
      break;
    default:
      notifications_.push_back(id);
      return;
  }
  pump();
}

void CdcAcm::transferAborted(uint64_t id, const Transfer&) {
  // Bytes a cancelled write already put in the echo buffer stay there: they were sent.
  std::erase_if(writes_, [id](const Write& w) { return w.id == id; });
  std::erase(reads_, id);
  std::erase(notifications_, id);
}

void CdcAcm::classStateReset() {
  echo_.clear();
  lineCoding_ = kDefaultLineCoding;
  controlLines_ = 0;
}

void CdcAcm::pump() {
  for (bool progress = true; progress;) {
    progress = false;
    while (!writes_.empty()) {
      Write& write = writes_.front();
      const Transfer* t = inFlight(write.id);
      const size_t room = kEchoCapacity - echo_.size();
      const size_t count = std::min(room, t->data.size() - write.taken);
      const auto from = t->data.begin() + static_cast<std::ptrdiff_t>(write.taken);
      echo_.insert(echo_.end(), from, from + static_cast<std::ptrdiff_t>(count));
      write.taken += count;
      if (write.taken < t->data.size()) break;  // echo buffer full: the rest waits
      completeOut(write.id, static_cast<uint32_t>(write.taken));
      writes_.pop_front();
      progress = true;
    }
    while (!reads_.empty() && !echo_.empty()) {
      const uint64_t id = reads_.front();
      reads_.pop_front();
      const size_t count = std::min(inFlight(id)->data.size(), echo_.size());
      const std::vector<uint8_t> bytes(echo_.begin(),
                                       echo_.begin() + static_cast<std::ptrdiff_t>(count));
      echo_.erase(echo_.begin(), echo_.begin() + static_cast<std::ptrdiff_t>(count));
      completeIn(id, bytes);
      progress = true;
    }
  }
}

}  // namespace usbip::worker::sim
