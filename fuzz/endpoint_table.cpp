#include "fuzz/endpoint_table.h"

namespace usbip::fuzz {

EndpointTable EndpointTable::read(FuzzInput& in) {
  std::vector<EndpointEntry> entries;
  uint8_t count = in.u8() % (kMaxEntries + 1);
  for (uint8_t i = 0; i < count; ++i) {
    uint8_t address = in.u8();
    EndpointEntry entry;
    entry.ep = address & 0x0f;
    entry.direction = (address & 0x80) ? proto::Direction::kIn : proto::Direction::kOut;
    entry.info.type = static_cast<proto::TransferType>(in.u8() % 4);
    entry.info.maxIsoBytesPerInterval = in.u16();
    entries.push_back(entry);
  }
  return EndpointTable(std::move(entries));
}

void EndpointTable::write(FuzzInputWriter& out) const {
  out.u8(static_cast<uint8_t>(entries_.size()));
  for (const EndpointEntry& entry : entries_) {
    out.u8(static_cast<uint8_t>(entry.ep | (entry.direction == proto::Direction::kIn ? 0x80 : 0)));
    out.u8(static_cast<uint8_t>(entry.info.type));
    out.u16(static_cast<uint16_t>(entry.info.maxIsoBytesPerInterval));
  }
}

std::optional<proto::EndpointInfo> EndpointTable::find(uint32_t ep,
                                                       proto::Direction direction) const {
  if (ep == 0) return proto::EndpointInfo{proto::TransferType::kControl, 0};
  for (const EndpointEntry& entry : entries_) {
    if (entry.ep == ep && entry.direction == direction) return entry.info;
  }
  return std::nullopt;
}

}  // namespace usbip::fuzz
