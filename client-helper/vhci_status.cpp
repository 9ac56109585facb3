#include "client-helper/vhci_status.h"

#include <charconv>
#include <stdexcept>

namespace usbip::client {
namespace {

std::vector<std::string_view> splitWords(std::string_view line) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t'))
      ++i;
    const size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t')
      ++i;
    if (i > start) words.push_back(line.substr(start, i - start));
  }
  return words;
}

std::optional<uint32_t> parseUnsigned(std::string_view text, int base) {
  uint32_t value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value, base);
  if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

}  // namespace

std::vector<VhciPort> parseVhciStatus(std::string_view text, const std::string& source) {
  std::vector<VhciPort> ports;
  size_t lineNumber = 0;
  bool sawHeader = false;
  while (!text.empty()) {
    const size_t newline = text.find('\n');
    const std::string_view line = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
    ++lineNumber;
    const auto fail = [&](const std::string& why) {
      throw std::runtime_error("cannot read " + source + " line " + std::to_string(lineNumber) +
                               ": " + why + " ('" + std::string(line) + "')");
    };
    const auto words = splitWords(line);
    if (words.empty()) continue;
    if (!sawHeader) {
      // Kernels before 4.13 had no hub column and one port range; their ports cannot be told
      // apart by speed, so they are not supported.
      if (words[0] != "hub") fail("expected the header 'hub port sta spd dev sockfd local_busid'");
      sawHeader = true;
      continue;
    }
    if (words.size() != 7) fail("expected 7 columns, found " + std::to_string(words.size()));
    VhciPort port;
    if (words[0] == "hs") {
      port.hub = HubSpeed::kHigh;
    } else if (words[0] == "ss") {
      port.hub = HubSpeed::kSuper;
    } else {
      fail("hub is neither hs nor ss");
    }
    const auto number = [&](std::string_view word, int base, const char* column) {
      const auto value = parseUnsigned(word, base);
      if (!value) fail(std::string(column) + " is not a number");
      return *value;
    };
    port.port = number(words[1], 10, "port");
    port.status = number(words[2], 10, "sta");
    port.speed = number(words[3], 10, "spd");
    port.devid = number(words[4], 16, "dev");
    port.sockfd = number(words[5], 10, "sockfd");
    port.localBusid = std::string(words[6]);
    ports.push_back(std::move(port));
  }
  if (!sawHeader) throw std::runtime_error("cannot read " + source + ": it is empty");
  return ports;
}

std::optional<uint32_t> chooseFreePort(std::span<const VhciPort> ports, HubSpeed hub) {
  std::optional<uint32_t> chosen;
  for (const auto& port : ports) {
    if (port.hub != hub || !port.isFree()) continue;
    if (!chosen || port.port < *chosen) chosen = port.port;
  }
  return chosen;
}

std::string attachLine(uint32_t port, int sockfd, uint32_t devid, proto::Speed speed) {
  return std::to_string(port) + " " + std::to_string(sockfd) + " " + std::to_string(devid) + " " +
         std::to_string(static_cast<uint32_t>(speed));
}

std::string portStatusName(uint32_t status) {
  switch (status) {
    case kPortFree:
      return "free";
    case kPortNotAssigned:
      return "connecting";
    case kPortUsed:
      return "in use";
    case kPortError:
      return "error";
    default:
      return "status " + std::to_string(status);
  }
}

}  // namespace usbip::client
