#include "common/address.h"

#include <charconv>
#include <stdexcept>

namespace usbip {
namespace {

constexpr std::string_view kForms =
    "expected tcp:PORT, tcp:HOST:PORT, tcp:[IPV6]:PORT, vsock:PORT, vsock:CID:PORT, "
    "fc-vsock:PATH:PORT or unix:PATH";

[[noreturn]] void fail(std::string_view text, std::string_view why) {
  throw std::invalid_argument("bad address '" + std::string(text) + "': " + std::string(why) +
                              " (" + std::string(kForms) + ")");
}

uint32_t parseNumber(std::string_view text, std::string_view field, std::string_view whole,
                     uint64_t max) {
  uint64_t value = 0;
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end || value > max) {
    fail(whole, std::string(field) + " '" + std::string(text) + "' is not a number from 0 to " +
                    std::to_string(max));
  }
  return static_cast<uint32_t>(value);
}

uint32_t parsePort(std::string_view text, std::string_view whole, uint64_t max) {
  return parseNumber(text, "port", whole, max);
}

}  // namespace

Address parseAddress(std::string_view text) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) fail(text, "no transport prefix");
  const auto scheme = text.substr(0, colon);
  const auto rest = text.substr(colon + 1);
  Address a;
  if (scheme == "tcp") {
    a.kind = Address::Kind::kTcp;
    if (!rest.empty() && rest.front() == '[') {
      const auto close = rest.find(']');
      if (close == std::string_view::npos || close + 1 >= rest.size() || rest[close + 1] != ':') {
        fail(text, "IPv6 host must be written [ADDR]:PORT");
      }
      a.host = std::string(rest.substr(1, close - 1));
      a.port = parsePort(rest.substr(close + 2), text, 65535);
    } else {
      const auto last = rest.rfind(':');
      if (last == std::string_view::npos) {
        a.port = parsePort(rest, text, 65535);
      } else {
        a.host = std::string(rest.substr(0, last));
        if (a.host.empty()) fail(text, "empty host");
        a.port = parsePort(rest.substr(last + 1), text, 65535);
      }
    }
  } else if (scheme == "vsock") {
    a.kind = Address::Kind::kVsock;
    const auto last = rest.find(':');
    if (last == std::string_view::npos) {
      a.port = parsePort(rest, text, UINT32_MAX);
    } else {
      a.cid = parseNumber(rest.substr(0, last), "CID", text, UINT32_MAX);
      a.port = parsePort(rest.substr(last + 1), text, UINT32_MAX);
    }
  } else if (scheme == "fc-vsock") {
    a.kind = Address::Kind::kFirecrackerVsock;
    const auto last = rest.rfind(':');
    if (last == std::string_view::npos || last == 0) fail(text, "fc-vsock needs PATH:PORT");
    a.path = std::string(rest.substr(0, last));
    a.port = parsePort(rest.substr(last + 1), text, UINT32_MAX);
  } else if (scheme == "unix") {
    a.kind = Address::Kind::kUnix;
    if (rest.empty()) fail(text, "empty unix socket path");
    a.path = std::string(rest);
  } else {
    fail(text, "unknown transport '" + std::string(scheme) + "'");
  }
  if (a.kind == Address::Kind::kUnix || a.kind == Address::Kind::kFirecrackerVsock) {
    // sun_path holds 108 bytes including the terminating NUL; fc-vsock listeners add "_PORT".
    if (a.path.size() > 100) fail(text, "socket path longer than 100 bytes");
  }
  return a;
}

std::string Address::toString() const {
  switch (kind) {
    case Kind::kTcp:
      if (host.empty()) return "tcp:" + std::to_string(port);
      if (host.find(':') != std::string::npos) return "tcp:[" + host + "]:" + std::to_string(port);
      return "tcp:" + host + ":" + std::to_string(port);
    case Kind::kVsock:
      return cid ? "vsock:" + std::to_string(*cid) + ":" + std::to_string(port)
                 : "vsock:" + std::to_string(port);
    case Kind::kFirecrackerVsock:
      return "fc-vsock:" + path + ":" + std::to_string(port);
    case Kind::kUnix:
      return "unix:" + path;
  }
  return "?";
}

}  // namespace usbip
