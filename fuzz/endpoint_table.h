// An endpoint table chosen by the input, standing in for the worker's view of the device's
// current configuration. Endpoint 0 is control in both directions whatever the input says, as
// on every USB device.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "fuzz/fuzz_input.h"
#include "protocol/codec.h"

namespace usbip::fuzz {

struct EndpointEntry {
  uint8_t ep = 0;  // 0..15
  proto::Direction direction = proto::Direction::kOut;
  proto::EndpointInfo info;
};

class EndpointTable {
 public:
  static constexpr uint8_t kMaxEntries = 15;

  EndpointTable() = default;
  explicit EndpointTable(std::vector<EndpointEntry> entries) : entries_(std::move(entries)) {}

  // Per entry: one byte (bits 0-3 ep, bit 7 IN), one byte transfer type (0 control, 1 iso,
  // 2 bulk, 3 interrupt; modulo 4), two bytes maximum iso bytes per interval.
  static EndpointTable read(FuzzInput& in);
  void write(FuzzInputWriter& out) const;

  std::optional<proto::EndpointInfo> find(uint32_t ep, proto::Direction direction) const;
  proto::EndpointLookup lookup() const {
    return [this](uint32_t ep, proto::Direction direction) { return find(ep, direction); };
  }

 private:
  std::vector<EndpointEntry> entries_;
};

}  // namespace usbip::fuzz
