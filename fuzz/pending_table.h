// The URBs a client has submitted and awaits replies for, chosen by the input: what the client
// side's ServerUrbDecoder needs to frame each RET_SUBMIT.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "fuzz/fuzz_input.h"
#include "protocol/codec.h"

namespace usbip::fuzz {

class PendingTable {
 public:
  static constexpr uint8_t kMaxEntries = 16;

  PendingTable() = default;
  explicit PendingTable(std::vector<std::pair<uint32_t, proto::PendingSubmit>> entries)
      : entries_(std::move(entries)) {}

  // Per entry: seqnum (4 bytes), flags (bit 0 IN, bit 1 isochronous), transfer_buffer_length
  // (4 bytes, signed), number_of_packets (2 bytes).
  static PendingTable read(FuzzInput& in) {
    std::vector<std::pair<uint32_t, proto::PendingSubmit>> entries;
    uint8_t count = in.u8() % (kMaxEntries + 1);
    for (uint8_t i = 0; i < count; ++i) {
      uint32_t seqnum = in.u32();
      uint8_t flags = in.u8();
      proto::PendingSubmit pending;
      pending.direction = (flags & 1) ? proto::Direction::kIn : proto::Direction::kOut;
      pending.isochronous = (flags & 2) != 0;
      pending.transfer_buffer_length = static_cast<int32_t>(in.u32());
      pending.number_of_packets = in.u16();
      entries.emplace_back(seqnum, pending);
    }
    return PendingTable(std::move(entries));
  }
  void write(FuzzInputWriter& out) const {
    out.u8(static_cast<uint8_t>(entries_.size()));
    for (const auto& [seqnum, pending] : entries_) {
      out.u32(seqnum);
      out.u8(static_cast<uint8_t>((pending.direction == proto::Direction::kIn ? 1 : 0) |
                                  (pending.isochronous ? 2 : 0)));
      out.u32(static_cast<uint32_t>(pending.transfer_buffer_length));
      out.u16(static_cast<uint16_t>(pending.number_of_packets));
    }
  }

  std::optional<proto::PendingSubmit> find(uint32_t seqnum) const {
    for (const auto& [known, pending] : entries_) {
      if (known == seqnum) return pending;
    }
    return std::nullopt;
  }
  proto::PendingLookup lookup() const {
    return [this](uint32_t seqnum) { return find(seqnum); };
  }

 private:
  std::vector<std::pair<uint32_t, proto::PendingSubmit>> entries_;
};

}  // namespace usbip::fuzz
