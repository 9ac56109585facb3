#include "worker/sim/uac_audio.h"

#include <algorithm>
#include <cerrno>

#include "worker/sim/descriptor_builder.h"

namespace usbip::worker::sim {
namespace {

// Audio Class 1.0 codes (USB Device Class Definition for Audio Devices 1.0, appendix A).
constexpr uint8_t kSubclassAudioControl = 0x01;
constexpr uint8_t kSubclassAudioStreaming = 0x02;
constexpr uint8_t kAcHeader = 0x01;
constexpr uint8_t kAcInputTerminal = 0x02;
constexpr uint8_t kAcOutputTerminal = 0x03;
constexpr uint8_t kAsGeneral = 0x01;
constexpr uint8_t kAsFormatType = 0x02;
constexpr uint8_t kEpGeneral = 0x01;
constexpr uint8_t kSetCur = 0x01;
constexpr uint8_t kGetCur = 0x81;
constexpr uint8_t kGetMin = 0x82;
constexpr uint8_t kGetMax = 0x83;
constexpr uint8_t kSamplingFreqControl = 0x01;

// Terminal types (USB Audio Terminal Types 1.0).
constexpr uint16_t kUsbStreaming = 0x0101;
constexpr uint16_t kMicrophone = 0x0201;
constexpr uint16_t kSpeaker = 0x0301;

// Terminal IDs: playback is USB streaming (1) -> speaker (2), capture microphone (3) -> USB
// streaming (4).
constexpr uint8_t kPlaybackInput = 1;
constexpr uint8_t kSpeakerOutput = 2;
constexpr uint8_t kMicrophoneInput = 3;
constexpr uint8_t kCaptureOutput = 4;

constexpr uint8_t kPlaybackInterface = 1;
constexpr uint8_t kCaptureInterface = 2;
constexpr uint8_t kPlaybackOut = 0x01;
constexpr uint8_t kCaptureIn = 0x82;
// Isochronous, synchronous: the device runs from the bus clock, so 48 frames every millisecond
// and no feedback endpoint.
constexpr uint8_t kIsoSynchronous = endpoint_type::kIsochronous | 0x0c;

constexpr auto kMillisecond = std::chrono::milliseconds(1);

std::vector<uint8_t> inputTerminal(uint8_t id, uint16_t type) {
  return makeDescriptor(descriptor_type::kClassInterface,
                        {kAcInputTerminal, id, lowByte(type), highByte(type),
                         0,           // bAssocTerminal
                         2,           // bNrChannels
                         0x03, 0x00,  // wChannelConfig: left front, right front
                         0,           // iChannelNames
                         0});         // iTerminal
}

std::vector<uint8_t> outputTerminal(uint8_t id, uint16_t type, uint8_t source) {
  return makeDescriptor(descriptor_type::kClassInterface,
                        {kAcOutputTerminal, id, lowByte(type), highByte(type), 0, source, 0});
}

// Alternate settings 0 (no endpoint) and 1 (streaming) of one AudioStreaming interface.
void addStreamingInterface(ConfigurationBuilder& config, uint8_t number, uint8_t terminalLink,
                           uint8_t endpoint) {
  config.interface({.number = number,
                    .alternate = 0,
                    .numEndpoints = 0,
                    .interfaceClass = 0x01,
                    .interfaceSubClass = kSubclassAudioStreaming});
  config.interface({.number = number,
                    .alternate = 1,
                    .numEndpoints = 1,
                    .interfaceClass = 0x01,
                    .interfaceSubClass = kSubclassAudioStreaming});
  config.append(makeDescriptor(descriptor_type::kClassInterface, {kAsGeneral, terminalLink,
                                                                  1,  // bDelay: one frame
                                                                  0x01, 0x00}));  // wFormatTag: PCM
  config.append(makeDescriptor(descriptor_type::kClassInterface,
                               {kAsFormatType,
                                0x01,  // FORMAT_TYPE_I
                                2,     // bNrChannels
                                2,     // bSubframeSize
                                16,    // bBitResolution
                                1,     // bSamFreqType: one discrete rate
                                lowByte(UacAudio::kSampleRate), highByte(UacAudio::kSampleRate),
                                static_cast<uint8_t>(UacAudio::kSampleRate >> 16)}));
  config.audioEndpoint({.address = endpoint,
                        .attributes = kIsoSynchronous,
                        .maxPacketSize = UacAudio::kPacketBytes,
                        .interval = 1},  // every frame
                       /*refresh*/ 0, /*synchAddress*/ 0);
  config.append(makeDescriptor(descriptor_type::kClassEndpoint,
                               {kEpGeneral,
                                0x01,           // bmAttributes: sampling frequency control
                                0,              // bLockDelayUnits
                                0x00, 0x00}));  // wLockDelay
}

SimDescriptors audioDescriptors() {
  SimDescriptors d;
  d.device = deviceDescriptor({.maxPacketSize0 = 64,
                               .idVendor = 0x1209,   // pid.codes
                               .idProduct = 0x0001,  // pid.codes test PID
                               .bcdDevice = 0x0100,
                               .iManufacturer = 1,
                               .iProduct = 2,
                               .iSerialNumber = 3});
  std::vector<uint8_t> units;
  for (const auto& part : {inputTerminal(kPlaybackInput, kUsbStreaming),
                           outputTerminal(kSpeakerOutput, kSpeaker, kPlaybackInput),
                           inputTerminal(kMicrophoneInput, kMicrophone),
                           outputTerminal(kCaptureOutput, kUsbStreaming, kMicrophoneInput)}) {
    units.insert(units.end(), part.begin(), part.end());
  }
  constexpr uint8_t kHeaderLength = 10;
  const auto total = static_cast<uint16_t>(kHeaderLength + units.size());
  const auto header = makeDescriptor(descriptor_type::kClassInterface,
                                     {kAcHeader, 0x00, 0x01,  // bcdADC 1.00
                                      lowByte(total), highByte(total),
                                      2,  // bInCollection: the two streaming interfaces
                                      kPlaybackInterface, kCaptureInterface});

  ConfigurationBuilder config(1, 0x00, /*100 mA*/ 50);
  config
      .interface({.number = 0,
                  .numEndpoints = 0,
                  .interfaceClass = 0x01,  // Audio
                  .interfaceSubClass = kSubclassAudioControl})
      .append(header)
      .append(units);
  addStreamingInterface(config, kPlaybackInterface, kPlaybackInput, kPlaybackOut);
  addStreamingInterface(config, kCaptureInterface, kCaptureOutput, kCaptureIn);
  d.configurations.push_back(config.build());
  d.strings = {"usbip-sandbox", "sim:uac loopback audio", "sim-uac"};
  return d;
}

std::vector<uint8_t> sampleRateBytes() {
  return {lowByte(UacAudio::kSampleRate), highByte(UacAudio::kSampleRate),
          static_cast<uint8_t>(UacAudio::kSampleRate >> 16)};
}

}  // namespace

UacAudio::UacAudio(const SimOptions& options)
    : SimulatedDevice({"0-3", 3, "/sys/devices/usbip-sandbox/sim-uac", proto::Speed::kFull},
                      audioDescriptors(), options),
      origin_(now()) {}

ControlReply UacAudio::classRequest(const SetupPacket& setup, std::span<const uint8_t> outData) {
  // The only control: the sampling frequency of each iso endpoint, which has one value.
  const uint8_t endpoint = lowByte(setup.index);
  if (setup.recipient() != recipient::kEndpoint || highByte(setup.value) != kSamplingFreqControl ||
      (endpoint != kPlaybackOut && endpoint != kCaptureIn)) {
    return ControlReply::stalled();
  }
  switch (setup.request) {
    case kSetCur:
      if (setup.isIn() || outData.size() != 3) return ControlReply::stalled();
      if ((outData[0] | (outData[1] << 8) | (outData[2] << 16)) != kSampleRate) {
        return ControlReply::stalled();
      }
      return ControlReply::ok();
    case kGetCur:
    case kGetMin:
    case kGetMax:
      if (!setup.isIn()) return ControlReply::stalled();
      return ControlReply::ok(sampleRateBytes());
    default:
      return ControlReply::stalled();
  }
}

void UacAudio::startTransfer(uint64_t id, const EndpointLayout& endpoint) {
  const Transfer& t = *inFlight(id);
  // The engine checks these already (rules I2, I3); usbfs would check again, and so do we.
  if (t.iso.empty()) return fail(id, -EINVAL);
  for (const auto& packet : t.iso) {
    if (uint64_t{packet.offset} + packet.length > t.data.size()) {
      return fail(id, -EINVAL);
    }
    if (packet.length > endpoint.maxPacketSize) return fail(id, -EMSGSIZE);
  }
  SimClock::Time& free = endpoint.address == kPlaybackOut ? playbackFree_ : captureFree_;
  const SimClock::Time start = std::max(now(), free);
  const SimClock::Time end = start + kMillisecond * static_cast<int64_t>(t.iso.size());
  free = end;
  // Full-speed frame numbers are 11 bits.
  const auto startFrame = static_cast<int32_t>(((start - origin_) / kMillisecond) & 0x7ff);
  const uint64_t ticket = nextTicket_++;
  tickets_[id] = ticket;
  after(end - now(), [this, id, ticket, startFrame] { finishIso(id, ticket, startFrame); });
}

void UacAudio::transferAborted(uint64_t id, const Transfer&) {
  tickets_.erase(id);
}

void UacAudio::classStateReset() {
  loopback_.clear();
  playbackFree_ = captureFree_ = SimClock::Time{0};
}

void UacAudio::finishIso(uint64_t id, uint64_t ticket, int32_t startFrame) {
  const auto it = tickets_.find(id);
  if (it == tickets_.end() || it->second != ticket) return;
  tickets_.erase(it);
  const Transfer& t = *inFlight(id);
  TransferResult result;
  result.startFrame = startFrame;
  result.iso = t.iso;
  const bool capture = (t.endpoint & 0x80) != 0;
  if (capture) result.data.assign(t.data.size(), 0);
  uint32_t total = 0;
  for (auto& packet : result.iso) {
    if (capture) {
      packet.actual_length = static_cast<uint32_t>(std::min(size_t{packet.length}, kPacketBytes));
      record(std::span(result.data).subspan(packet.offset, packet.actual_length));
    } else {
      packet.actual_length = packet.length;
      play(std::span(t.data).subspan(packet.offset, packet.length));
    }
    packet.status = 0;
    total += packet.actual_length;
  }
  result.actualLength = total;
  complete(id, std::move(result));
}

void UacAudio::play(std::span<const uint8_t> bytes) {
  loopback_.insert(loopback_.end(), bytes.begin(), bytes.end());
  if (loopback_.size() > kLoopbackCapacity) {
    // Drop the oldest whole frames: capture stays at most kLoopbackCapacity behind playback.
    const size_t excess = loopback_.size() - kLoopbackCapacity;
    const size_t drop =
        std::min(loopback_.size(), (excess + kFrameBytes - 1) / kFrameBytes * kFrameBytes);
    loopback_.erase(loopback_.begin(), loopback_.begin() + static_cast<std::ptrdiff_t>(drop));
  }
}

void UacAudio::record(std::span<uint8_t> out) {
  const size_t take = std::min(out.size(), loopback_.size()) / kFrameBytes * kFrameBytes;
  std::copy_n(loopback_.begin(), take, out.begin());
  loopback_.erase(loopback_.begin(), loopback_.begin() + static_cast<std::ptrdiff_t>(take));
}

}  // namespace usbip::worker::sim
