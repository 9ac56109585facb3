#include "worker/sim/descriptor_builder.h"

#include <algorithm>
#include <stdexcept>

namespace usbip::worker::sim {

std::vector<uint8_t> deviceDescriptor(const DeviceFields& f) {
  return makeDescriptor(
      descriptor_type::kDevice,
      {lowByte(f.bcdUSB), highByte(f.bcdUSB), f.deviceClass, f.deviceSubClass, f.deviceProtocol,
       f.maxPacketSize0, lowByte(f.idVendor), highByte(f.idVendor), lowByte(f.idProduct),
       highByte(f.idProduct), lowByte(f.bcdDevice), highByte(f.bcdDevice), f.iManufacturer,
       f.iProduct, f.iSerialNumber, f.numConfigurations});
}

std::vector<uint8_t> languageDescriptor() {
  constexpr uint16_t kUsEnglish = 0x0409;
  return makeDescriptor(descriptor_type::kString, {lowByte(kUsEnglish), highByte(kUsEnglish)});
}

std::vector<uint8_t> stringDescriptor(std::string_view text) {
  // bLength is one byte: at most 126 UTF-16 code units fit.
  if (text.size() > 126) throw std::invalid_argument("string descriptor text longer than 126");
  std::vector<uint8_t> out;
  out.reserve(2 + 2 * text.size());
  out.push_back(static_cast<uint8_t>(2 + 2 * text.size()));
  out.push_back(descriptor_type::kString);
  for (const char c : text) {
    out.push_back(static_cast<uint8_t>(c));
    out.push_back(0);
  }
  return out;
}

std::vector<uint8_t> makeDescriptor(uint8_t type, std::initializer_list<uint8_t> body) {
  if (body.size() > 253) throw std::invalid_argument("descriptor longer than 255 bytes");
  std::vector<uint8_t> out;
  out.reserve(2 + body.size());
  out.push_back(static_cast<uint8_t>(2 + body.size()));
  out.push_back(type);
  for (const uint8_t b : body)
    out.push_back(b);
  return out;
}

ConfigurationBuilder::ConfigurationBuilder(uint8_t configurationValue, uint8_t attributes,
                                           uint8_t maxPower2mA) {
  // wTotalLength and bNumInterfaces (bytes 2..4) are patched in build().
  bytes_ = makeDescriptor(
      descriptor_type::kConfiguration,
      {0, 0, 0, configurationValue, 0, static_cast<uint8_t>(attributes | 0x80), maxPower2mA});
}

ConfigurationBuilder& ConfigurationBuilder::interface(const InterfaceFields& f) {
  if (std::find(interfaceNumbers_.begin(), interfaceNumbers_.end(), f.number) ==
      interfaceNumbers_.end()) {
    interfaceNumbers_.push_back(f.number);
  }
  return append(makeDescriptor(descriptor_type::kInterface,
                               {f.number, f.alternate, f.numEndpoints, f.interfaceClass,
                                f.interfaceSubClass, f.interfaceProtocol, f.iInterface}));
}

ConfigurationBuilder& ConfigurationBuilder::endpoint(const EndpointFields& f) {
  return append(makeDescriptor(
      descriptor_type::kEndpoint,
      {f.address, f.attributes, lowByte(f.maxPacketSize), highByte(f.maxPacketSize), f.interval}));
}

ConfigurationBuilder& ConfigurationBuilder::audioEndpoint(const EndpointFields& f, uint8_t refresh,
                                                          uint8_t synchAddress) {
  return append(makeDescriptor(descriptor_type::kEndpoint,
                               {f.address, f.attributes, lowByte(f.maxPacketSize),
                                highByte(f.maxPacketSize), f.interval, refresh, synchAddress}));
}

ConfigurationBuilder& ConfigurationBuilder::append(const std::vector<uint8_t>& descriptor) {
  bytes_.insert(bytes_.end(), descriptor.begin(), descriptor.end());
  return *this;
}

std::vector<uint8_t> ConfigurationBuilder::build() const {
  if (bytes_.size() > 0xffff) throw std::invalid_argument("configuration longer than 65535 bytes");
  std::vector<uint8_t> out = bytes_;
  out[2] = lowByte(static_cast<uint32_t>(out.size()));
  out[3] = highByte(static_cast<uint32_t>(out.size()));
  out[4] = static_cast<uint8_t>(interfaceNumbers_.size());
  return out;
}

}  // namespace usbip::worker::sim
