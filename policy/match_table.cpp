// [match]: which device a rule is about.
#include <algorithm>
#include <array>
#include <charconv>

#include "policy/tables.h"

namespace usbip::policy {
namespace {

constexpr std::array<std::string_view, 4> kMatchKeys = {"busid", "port_path", "vid_pid", "serial"};
constexpr size_t kMaxBusIdLength = 31;  // the kernel's SYSFS_BUS_ID_SIZE, less the NUL
constexpr size_t kMaxStringLength = 255;

// 1 to 3 decimal digits, no leading zero: bus and port numbers as sysfs writes them.
bool isSmallPositiveNumber(std::string_view text) {
  return !text.empty() && text.size() <= 3 && text.front() != '0' &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool isBusId(std::string_view text) {
  const auto dash = text.find('-');
  if (text.size() > kMaxBusIdLength || dash == std::string_view::npos) return false;
  if (!isSmallPositiveNumber(text.substr(0, dash))) return false;
  auto ports = text.substr(dash + 1);
  for (;;) {
    const auto dot = ports.find('.');
    if (!isSmallPositiveNumber(ports.substr(0, dot))) return false;
    if (dot == std::string_view::npos) return true;
    ports = ports.substr(dot + 1);
  }
}

bool isPortPath(std::string_view text) {
  return !text.empty() && text.size() <= kMaxStringLength &&
         std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == ':' || c == '.' || c == '_' || c == '+' || c == '-';
         });
}

bool isPrintable(std::string_view text) {
  return !text.empty() && text.size() <= kMaxStringLength &&
         std::none_of(text.begin(), text.end(), [](char c) {
           const auto byte = static_cast<unsigned char>(c);
           return byte < 0x20 || byte == 0x7f;
         });
}

std::optional<uint16_t> parseHex16(std::string_view text) {
  uint16_t value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value, 16);
  if (text.size() != 4 || ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

std::optional<VidPid> parseVidPid(std::string_view text) {
  if (text.size() != 9 || text[4] != ':') return std::nullopt;
  const auto vid = parseHex16(text.substr(0, 4));
  const auto pid = parseHex16(text.substr(5));
  if (!vid || !pid) return std::nullopt;
  return VidPid{*vid, *pid};
}

}  // namespace

void parseMatchTable(const toml::table& table, DiagnosticSink& sink, Match& match) {
  TableReader reader(table, "match", sink);
  if (const auto busid = reader.string("busid")) {
    if (isBusId(*busid)) {
      match.busid = *busid;
    } else {
      reader.error(*reader.node("busid"), "busid",
                   inQuotes(*busid) +
                       " is not a bus ID (expected BUS-PORT[.PORT...], e.g. \"1-2\" or \"3-1.4\")");
    }
  }
  if (const auto portPath = reader.string("port_path")) {
    if (isPortPath(*portPath)) {
      match.portPath = *portPath;
    } else {
      reader.error(*reader.node("port_path"), "port_path",
                   inQuotes(*portPath) +
                       " is not a udev ID_PATH (letters, digits and :._+- only, e.g. "
                       "\"pci-0000:00:14.0-usb-0:2\")");
    }
  }
  if (const auto vidPid = reader.string("vid_pid")) {
    if (const auto parsed = parseVidPid(*vidPid)) {
      match.vidPid = *parsed;
    } else {
      reader.error(*reader.node("vid_pid"), "vid_pid",
                   inQuotes(*vidPid) +
                       " is not VID:PID (four hex digits each, as lsusb prints, e.g. "
                       "\"046d:c52b\")");
    }
  }
  if (const auto serial = reader.string("serial")) {
    if (isPrintable(*serial)) {
      match.serial = *serial;
    } else {
      reader.error(*reader.node("serial"), "serial",
                   "must be 1 to 255 bytes without control characters");
    }
  }
  reader.rejectUnknownKeys();
  const bool any = std::any_of(kMatchKeys.begin(), kMatchKeys.end(),
                               [&](std::string_view key) { return table.contains(key); });
  if (!any) {
    sink.add(reader.line(), "match",
             "empty: give at least one of busid, port_path, vid_pid, serial");
  }
}

}  // namespace usbip::policy
