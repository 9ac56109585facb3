// Who may import a device that is exported in listen mode: IPv4 and IPv6 networks, vsock CIDs,
// local unix-socket clients. Peers are compared in the printable form acceptConnection() gives
// ("tcp:127.0.0.1:5000", "tcp:[::1]:5000", "vsock:3:1024", "unix"), so the broker and the
// worker, which only sees that string, decide the same way.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace usbip::policy {

struct PeerRule {
  enum class Kind { kAny, kIpv4, kIpv6, kVsock, kUnix };
  Kind kind = Kind::kAny;
  std::array<uint8_t, 16> network{};  // kIpv4 uses the first 4 bytes; host bits are zero
  uint8_t prefixLength = 0;           // kIpv4: 0..32, kIpv6: 0..128
  uint32_t cid = 0;                   // kVsock

  // The canonical form parsePeerRule() accepts: "any", "unix", "vsock:3", "10.0.0.0/8", "fd00::/8".
  std::string toString() const;
  bool operator==(const PeerRule&) const = default;
};

// Accepts "any", "unix", "vsock:CID", an IPv4 or IPv6 address, or a network "ADDR/LEN" whose host
// bits are zero. IPv4-mapped IPv6 networks (::ffff:a.b.c.d/LEN, LEN >= 96) become IPv4 networks,
// because a dual-stack listener reports IPv4 clients in that form. Throws std::invalid_argument.
PeerRule parsePeerRule(std::string_view text);

// Whether `peer` (acceptConnection's printable form) falls under `rule`. An IPv4 client seen on
// a dual-stack socket (tcp:[::ffff:a.b.c.d]:port) is an IPv4 peer. Throws std::invalid_argument
// when `peer` is not in that form: a caller bug, never a reason to let someone in.
bool peerMatches(const PeerRule& rule, std::string_view peer);

// True when any rule matches.
bool peerAllowed(std::span<const PeerRule> rules, std::string_view peer);

}  // namespace usbip::policy
