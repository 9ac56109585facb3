#include "tests/hostile/device_layout.h"

#include <algorithm>
#include <stdexcept>

namespace usbip::hostile {

std::optional<Endpoint> DeviceLayout::find(uint8_t type, bool in) const {
  std::optional<Endpoint> found;
  for (const Endpoint& e : endpoints) {
    if (e.type != type || e.in() != in) continue;
    if (!found || (found->alternate != 0 && e.alternate == 0)) found = e;
  }
  return found;
}

std::optional<Endpoint> DeviceLayout::oneWay() const {
  for (const Endpoint& e : endpoints) {
    if (e.alternate != 0) continue;
    const bool otherWay = std::any_of(endpoints.begin(), endpoints.end(), [&](const Endpoint& o) {
      return o.number() == e.number() && o.in() != e.in();
    });
    if (!otherWay) return e;
  }
  return std::nullopt;
}

uint8_t DeviceLayout::foreignInterface() const {
  uint8_t candidate = 9;
  while (std::find(interfaces.begin(), interfaces.end(), candidate) != interfaces.end())
    ++candidate;
  return candidate;
}

DeviceLayout parseConfiguration(std::span<const uint8_t> d) {
  if (d.size() < 9 || d[1] != 0x02) throw std::runtime_error("not a configuration descriptor");
  DeviceLayout layout;
  uint8_t interface = 0, alternate = 0;
  for (size_t at = 0; at + 2 <= d.size();) {
    const uint8_t length = d[at], type = d[at + 1];
    if (length < 2 || at + length > d.size()) throw std::runtime_error("descriptor overruns");
    if (type == 0x04 && length >= 9) {
      interface = d[at + 2];
      alternate = d[at + 3];
      if (std::find(layout.interfaces.begin(), layout.interfaces.end(), interface) ==
          layout.interfaces.end()) {
        layout.interfaces.push_back(interface);
      }
    } else if (type == 0x05 && length >= 7) {
      Endpoint e;
      e.address = d[at + 2];
      e.type = d[at + 3] & 0x03;
      e.maxPacket = static_cast<uint16_t>((d[at + 4] | d[at + 5] << 8) & 0x7ff);
      e.interface = interface;
      e.alternate = alternate;
      layout.endpoints.push_back(e);
    }
    at += length;
  }
  return layout;
}

}  // namespace usbip::hostile
