#include "policy/peer_rule.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <charconv>
#include <optional>
#include <stdexcept>

namespace usbip::policy {
namespace {

constexpr std::string_view kRuleForms =
    "expected \"any\", \"unix\", \"vsock:CID\", an IP address, or ADDRESS/PREFIX";

// An address as the peer printed it, reduced to what the rules compare.
struct PeerAddress {
  PeerRule::Kind kind = PeerRule::Kind::kUnix;
  std::array<uint8_t, 16> bytes{};
  uint32_t cid = 0;
};

constexpr std::array<uint8_t, 12> kMappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool isIpv4Mapped(const std::array<uint8_t, 16>& v6) {
  return std::equal(kMappedPrefix.begin(), kMappedPrefix.end(), v6.begin());
}

std::array<uint8_t, 16> unmap(const std::array<uint8_t, 16>& v6) {
  std::array<uint8_t, 16> v4{};
  std::copy(v6.begin() + 12, v6.end(), v4.begin());
  return v4;
}

std::optional<uint32_t> parseDecimal(std::string_view text, uint64_t max) {
  uint64_t value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end || value > max) return std::nullopt;
  return static_cast<uint32_t>(value);
}

// inet_pton wants a NUL-terminated string.
bool parseIp(int family, std::string_view text, std::array<uint8_t, 16>& out) {
  const std::string copy(text);
  out.fill(0);
  return inet_pton(family, copy.c_str(), out.data()) == 1;
}

bool prefixEquals(const std::array<uint8_t, 16>& a, const std::array<uint8_t, 16>& b,
                  unsigned prefixLength) {
  const unsigned fullBytes = prefixLength / 8;
  if (!std::equal(a.begin(), a.begin() + fullBytes, b.begin())) return false;
  const unsigned restBits = prefixLength % 8;
  if (restBits == 0) return true;
  const auto mask = static_cast<uint8_t>(0xff << (8 - restBits));
  return (a[fullBytes] & mask) == (b[fullBytes] & mask);
}

// Zeroes the bits after the prefix.
std::array<uint8_t, 16> networkOf(const std::array<uint8_t, 16>& address, unsigned prefixLength) {
  std::array<uint8_t, 16> network{};
  for (unsigned bit = 0; bit < prefixLength; ++bit) {
    const auto mask = static_cast<uint8_t>(0x80 >> (bit % 8));
    network[bit / 8] = static_cast<uint8_t>(network[bit / 8] | (address[bit / 8] & mask));
  }
  return network;
}

std::string formatIp(PeerRule::Kind kind, const std::array<uint8_t, 16>& bytes) {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(kind == PeerRule::Kind::kIpv4 ? AF_INET : AF_INET6, bytes.data(), text, sizeof text);
  return text;
}

[[noreturn]] void badRule(std::string_view text, std::string_view why) {
  throw std::invalid_argument("bad peer '" + std::string(text) + "': " + std::string(why));
}

PeerRule parseNetwork(std::string_view text) {
  const auto slash = text.find('/');
  const auto addressText = text.substr(0, slash);
  PeerRule rule;
  unsigned maxPrefix = 0;
  if (parseIp(AF_INET, addressText, rule.network)) {
    rule.kind = PeerRule::Kind::kIpv4;
    maxPrefix = 32;
  } else if (parseIp(AF_INET6, addressText, rule.network)) {
    rule.kind = PeerRule::Kind::kIpv6;
    maxPrefix = 128;
  } else {
    badRule(text, kRuleForms);
  }
  unsigned prefix = maxPrefix;
  if (slash != std::string_view::npos) {
    const auto parsed = parseDecimal(text.substr(slash + 1), maxPrefix);
    if (!parsed)
      badRule(text, "prefix length must be a number from 0 to " + std::to_string(maxPrefix));
    prefix = *parsed;
  }
  if (networkOf(rule.network, prefix) != rule.network) {
    badRule(text, "address has bits set after the /" + std::to_string(prefix) +
                      " prefix; did you mean " +
                      formatIp(rule.kind, networkOf(rule.network, prefix)) + "/" +
                      std::to_string(prefix) + "?");
  }
  if (rule.kind == PeerRule::Kind::kIpv6 && prefix >= 96 && isIpv4Mapped(rule.network)) {
    rule.kind = PeerRule::Kind::kIpv4;
    rule.network = unmap(rule.network);
    prefix -= 96;
  }
  rule.prefixLength = static_cast<uint8_t>(prefix);
  return rule;
}

[[noreturn]] void badPeer(std::string_view peer) {
  throw std::invalid_argument("malformed peer '" + std::string(peer) +
                              "': expected tcp:IPV4:PORT, tcp:[IPV6]:PORT, vsock:CID:PORT or unix");
}

PeerAddress parsePeer(std::string_view peer) {
  PeerAddress result;
  if (peer == "unix") return result;
  if (peer.starts_with("vsock:")) {
    const auto rest = peer.substr(6);
    const auto colon = rest.find(':');
    const auto cid = parseDecimal(rest.substr(0, colon), UINT32_MAX);
    if (colon == std::string_view::npos || !cid ||
        !parseDecimal(rest.substr(colon + 1), UINT32_MAX)) {
      badPeer(peer);
    }
    result.kind = PeerRule::Kind::kVsock;
    result.cid = *cid;
    return result;
  }
  if (!peer.starts_with("tcp:")) badPeer(peer);
  const auto rest = peer.substr(4);
  std::string_view host;
  std::string_view port;
  if (rest.starts_with('[')) {
    const auto close = rest.find("]:");
    if (close == std::string_view::npos) badPeer(peer);
    host = rest.substr(1, close - 1);
    port = rest.substr(close + 2);
    if (!parseIp(AF_INET6, host, result.bytes)) badPeer(peer);
    result.kind = PeerRule::Kind::kIpv6;
    if (isIpv4Mapped(result.bytes)) {
      result.kind = PeerRule::Kind::kIpv4;
      result.bytes = unmap(result.bytes);
    }
  } else {
    const auto colon = rest.rfind(':');
    if (colon == std::string_view::npos) badPeer(peer);
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
    if (!parseIp(AF_INET, host, result.bytes)) badPeer(peer);
    result.kind = PeerRule::Kind::kIpv4;
  }
  if (!parseDecimal(port, 65535)) badPeer(peer);
  return result;
}

bool matchesAddress(const PeerRule& rule, const PeerAddress& peer) {
  switch (rule.kind) {
    case PeerRule::Kind::kAny:
      return true;
    case PeerRule::Kind::kUnix:
      return peer.kind == PeerRule::Kind::kUnix;
    case PeerRule::Kind::kVsock:
      return peer.kind == PeerRule::Kind::kVsock && peer.cid == rule.cid;
    case PeerRule::Kind::kIpv4:
    case PeerRule::Kind::kIpv6:
      return peer.kind == rule.kind && prefixEquals(rule.network, peer.bytes, rule.prefixLength);
  }
  return false;
}

}  // namespace

std::string PeerRule::toString() const {
  switch (kind) {
    case Kind::kAny:
      return "any";
    case Kind::kUnix:
      return "unix";
    case Kind::kVsock:
      return "vsock:" + std::to_string(cid);
    case Kind::kIpv4:
    case Kind::kIpv6:
      return formatIp(kind, network) + "/" + std::to_string(prefixLength);
  }
  return "?";
}

PeerRule parsePeerRule(std::string_view text) {
  if (text == "any") return PeerRule{};
  if (text == "unix") return PeerRule{.kind = PeerRule::Kind::kUnix};
  if (text.starts_with("vsock:")) {
    const auto cid = parseDecimal(text.substr(6), UINT32_MAX);
    if (!cid) badRule(text, "vsock CID must be a number from 0 to 4294967295");
    return PeerRule{.kind = PeerRule::Kind::kVsock, .cid = *cid};
  }
  return parseNetwork(text);
}

bool peerMatches(const PeerRule& rule, std::string_view peer) {
  return matchesAddress(rule, parsePeer(peer));
}

bool peerAllowed(std::span<const PeerRule> rules, std::string_view peer) {
  const auto address = parsePeer(peer);
  return std::any_of(rules.begin(), rules.end(),
                     [&](const PeerRule& rule) { return matchesAddress(rule, address); });
}

}  // namespace usbip::policy
