// Rule I5: usbfs takes at most 128 packets per isochronous URB, while a USB/IP iso URB may carry
// up to 1024. The engine (not the backend) splits, so that every backend — libusb or simulated —
// gets transfers usbfs would take, and so that the split and the join are tested without
// hardware. Each piece lays its packets out back to back from offset 0, the layout libusb needs;
// the join reports the request's own descriptors (offsets included) with per-packet results and
// the IN data packed without gaps, as the kernel's stub sends it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "protocol/messages.h"
#include "worker/device_backend.h"

namespace usbip::worker {

inline constexpr size_t kUsbfsMaxIsoPacketsPerUrb = 128;

// The pieces of an iso CMD_SUBMIT, in packet order; ids are left for the caller to assign. OUT
// data is copied from each packet's offset in `submit.payload`; IN buffers are sized to the sum
// of the piece's packet lengths. Throws std::invalid_argument if a packet does not fit the
// payload (the decoder has checked that already, rule I3).
std::vector<Transfer> splitIsoSubmit(const proto::CmdSubmit& submit, uint8_t endpoint,
                                     size_t maxPacketsPerTransfer);

// Status, lengths, descriptors and packed IN data of the whole URB from the results of its
// pieces (same order as splitIsoSubmit made them). A piece result that contradicts its transfer
// (wrong packet count, data shorter than a packet's actual length) marks the packets concerned
// as failed with -EPROTO and no data rather than trusting it. seqnum is left for the caller.
proto::RetSubmit joinIsoResults(std::span<const proto::IsoPacket> requested,
                                proto::Direction direction, std::span<const TransferResult> pieces,
                                size_t maxPacketsPerTransfer);

}  // namespace usbip::worker
