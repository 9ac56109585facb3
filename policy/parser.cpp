#include "policy/parser.h"

#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <utility>

#include "policy/toml_reader.h"

namespace usbip::policy {
namespace {

// Interface class names (USB-IF defined class codes). "hub" is absent on purpose: hubs are never
// exported (rule E1).
constexpr std::array<std::pair<std::string_view, uint8_t>, 19> kClassNames = {{
    {"audio", 0x01},        {"cdc", 0x02},
    {"hid", 0x03},          {"physical", 0x05},
    {"image", 0x06},        {"printer", 0x07},
    {"mass_storage", 0x08}, {"cdc_data", 0x0a},
    {"smart_card", 0x0b},   {"content_security", 0x0d},
    {"video", 0x0e},        {"personal_healthcare", 0x0f},
    {"audio_video", 0x10},  {"billboard", 0x11},
    {"diagnostic", 0xdc},   {"wireless", 0xe0},
    {"misc", 0xef},         {"application", 0xfe},
    {"vendor", 0xff},
}};

constexpr std::array<std::string_view, 4> kMatchKeys = {"busid", "port_path", "vid_pid", "serial"};
constexpr uintmax_t kMaxFileSize = 1 << 20;
constexpr size_t kMaxBusIdLength = 31;  // the kernel's SYSFS_BUS_ID_SIZE, less the NUL
constexpr size_t kMaxStringLength = 255;
constexpr uint8_t kStandardSetAddress = 5;
constexpr uint8_t kTypeMask = 0x60;
constexpr uint8_t kPortRequestType = 0x23;
constexpr uint8_t kSetFeature = 3;

std::string inQuotes(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

std::string classNameList() {
  std::string list;
  for (const auto& [name, code] : kClassNames)
    list += (list.empty() ? "" : ", ") + std::string(name);
  return list;
}

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

// Whether a peer rule can ever match a client of a listener of this kind.
bool peerFitsListener(const PeerRule& rule, const Address& listener) {
  if (rule.kind == PeerRule::Kind::kAny) return true;
  switch (listener.kind) {
    case Address::Kind::kTcp:
      return rule.kind == PeerRule::Kind::kIpv4 || rule.kind == PeerRule::Kind::kIpv6;
    case Address::Kind::kVsock:
      return rule.kind == PeerRule::Kind::kVsock;
    case Address::Kind::kFirecrackerVsock:
    case Address::Kind::kUnix:
      return rule.kind == PeerRule::Kind::kUnix;
  }
  return false;
}

class PolicyParser {
 public:
  PolicyParser(DiagnosticSink& sink, DevicePolicy& policy) : sink_(sink), policy_(policy) {}

  void parseDocument(const toml::table& document) {
    TableReader root(document, "", sink_);
    const auto* match = root.table("match");
    const bool deny = root.boolean("deny").value_or(false);
    const auto* exportTable = root.table("export");
    const auto* interfaces = root.table("interfaces");
    const auto* requests = root.table("requests");
    const auto* guards = root.table("guards");
    root.rejectUnknownKeys();

    policy_.deny = deny;
    if (match) {
      parseMatch(*match);
    } else if (!document.contains("match")) {
      sink_.add(1, "match", "missing: every policy file needs a [match] table");
    }
    if (deny) {
      for (const auto* key : {"export", "interfaces", "requests", "guards"}) {
        if (const auto* node = document.get(key)) {
          root.error(*node, key, "not allowed with deny = true: a denying rule has only [match]");
        }
      }
      return;
    }
    if (exportTable) {
      parseExport(*exportTable);
    } else if (!document.contains("export")) {
      sink_.add(1, "export",
                "missing: say how the device is exported, or set deny = true to refuse it");
    }
    if (interfaces) parseInterfaces(*interfaces);
    if (requests) parseRequests(*requests);
    if (guards) parseGuards(*guards);
  }

 private:
  void parseMatch(const toml::table& table) {
    TableReader reader(table, "match", sink_);
    auto& match = policy_.match;
    if (const auto busid = reader.string("busid")) {
      if (isBusId(*busid)) {
        match.busid = *busid;
      } else {
        reader.error(
            *reader.node("busid"), "busid",
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
      sink_.add(reader.line(), "match",
                "empty: give at least one of busid, port_path, vid_pid, serial");
    }
    policy_.matchLine = reader.line();
  }

  void parseExport(const toml::table& table) {
    TableReader reader(table, "export", sink_);
    const auto mode = reader.string("mode");
    const auto addressText = reader.string("address");
    const auto* peers = reader.array("allowed_peers");
    reader.rejectUnknownKeys();
    auto& rule = policy_.exportRule;

    std::optional<ExportRule::Mode> parsedMode;
    if (!table.contains("mode")) {
      sink_.add(reader.line(), "export.mode", "missing: \"listen\" or \"connect\"");
    } else if (mode == "listen") {
      parsedMode = ExportRule::Mode::kListen;
    } else if (mode == "connect") {
      parsedMode = ExportRule::Mode::kConnect;
    } else if (mode) {
      reader.error(*reader.node("mode"), "mode",
                   "must be \"listen\" or \"connect\", not " + inQuotes(*mode));
    }
    if (addressText) {
      try {
        rule.address = parseAddress(*addressText);
      } catch (const std::invalid_argument& e) {
        reader.error(*reader.node("address"), "address", e.what());
      }
    }
    if (!parsedMode) return;
    rule.mode = *parsedMode;
    if (rule.mode == ExportRule::Mode::kConnect) {
      checkConnectAddress(reader, table);
      if (const auto* node = table.get("allowed_peers")) {
        reader.error(*node, "allowed_peers",
                     "only for mode = \"listen\"; in connect mode the peer is export.address");
      }
      return;
    }
    if (!table.contains("allowed_peers")) {
      sink_.add(reader.line(), "export.allowed_peers",
                "missing: list who may import the device (\"any\" for everyone)");
    } else if (peers) {
      parsePeers(reader, *peers);
    }
  }

  void checkConnectAddress(TableReader& reader, const toml::table& table) {
    const auto& address = policy_.exportRule.address;
    if (!table.contains("address")) {
      sink_.add(reader.line(), "export.address",
                "missing: mode = \"connect\" needs the address to dial");
    } else if (address && address->kind == Address::Kind::kTcp && address->host.empty()) {
      reader.error(*reader.node("address"), "address",
                   "mode = \"connect\" needs a host to dial: tcp:HOST:PORT");
    } else if (address && address->kind == Address::Kind::kVsock && !address->cid) {
      reader.error(*reader.node("address"), "address",
                   "mode = \"connect\" needs a CID to dial: vsock:CID:PORT");
    }
  }

  void parsePeers(TableReader& reader, const toml::array& peers) {
    auto& rule = policy_.exportRule;
    if (peers.empty()) {
      reader.error(peers, "allowed_peers",
                   "empty: nobody could import the device (use deny = true to refuse it)");
    }
    for (size_t i = 0; i < peers.size(); ++i) {
      const std::string key = reader.keyPath("allowed_peers") + "[" + std::to_string(i) + "]";
      const auto text = stringElement(*peers.get(i), key, sink_);
      if (!text) continue;
      try {
        const auto peer = parsePeerRule(*text);
        if (std::find(rule.allowedPeers.begin(), rule.allowedPeers.end(), peer) !=
            rule.allowedPeers.end()) {
          sink_.add(lineOf(*peers.get(i)), key, inQuotes(*text) + " is listed twice");
        } else if (rule.address && !peerFitsListener(peer, *rule.address)) {
          sink_.add(lineOf(*peers.get(i)), key,
                    inQuotes(*text) + " can never match a client of " + rule.address->toString());
        } else {
          rule.allowedPeers.push_back(peer);
        }
      } catch (const std::invalid_argument& e) {
        sink_.add(lineOf(*peers.get(i)), key, e.what());
      }
    }
  }

  void parseInterfaces(const toml::table& table) {
    TableReader reader(table, "interfaces", sink_);
    const auto* numbers = reader.array("numbers");
    const auto* classes = reader.array("classes");
    reader.rejectUnknownKeys();
    auto& limits = policy_.limits;
    limits.allInterfaces = false;
    if (!table.contains("numbers") && !table.contains("classes")) {
      sink_.add(reader.line(), "interfaces",
                "empty: give numbers or classes (leave [interfaces] out to allow every interface)");
    }
    if (numbers) {
      for (size_t i = 0; i < numbers->size(); ++i) {
        const std::string key = reader.keyPath("numbers") + "[" + std::to_string(i) + "]";
        const auto number =
            integerElement(*numbers->get(i), key, 0, kMaxClaimableInterfaceNumber, sink_);
        if (number)
          addUnique(limits.interfaceNumbers, static_cast<uint8_t>(*number), *numbers->get(i), key);
      }
    }
    if (classes) {
      for (size_t i = 0; i < classes->size(); ++i) {
        const std::string key = reader.keyPath("classes") + "[" + std::to_string(i) + "]";
        if (const auto code = interfaceClass(*classes->get(i), key)) {
          addUnique(limits.interfaceClasses, *code, *classes->get(i), key);
        }
      }
    }
  }

  std::optional<uint8_t> interfaceClass(const toml::node& node, const std::string& key) {
    if (const auto* name = node.as_string()) {
      const auto code = interfaceClassByName(name->get());
      if (!code) {
        sink_.add(lineOf(node), key,
                  "unknown class name " + inQuotes(name->get()) + " (known: " + classNameList() +
                      "; or give the class code as a number)");
      }
      return code;
    }
    if (!node.is_integer()) {
      sink_.add(lineOf(node), key, "must be a class code from 0 to 255 or a class name");
      return std::nullopt;
    }
    const auto code = integerElement(node, key, 0, 255, sink_);
    if (code && *code == kClassHub) {
      sink_.add(lineOf(node), key, "hubs are never exported");
      return std::nullopt;
    }
    if (!code) return std::nullopt;
    return static_cast<uint8_t>(*code);
  }

  void addUnique(std::vector<uint8_t>& values, uint8_t value, const toml::node& node,
                 const std::string& key) {
    if (std::find(values.begin(), values.end(), value) != values.end()) {
      sink_.add(lineOf(node), key, std::to_string(value) + " is listed twice");
      return;
    }
    values.push_back(value);
  }

  void parseRequests(const toml::table& table) {
    TableReader reader(table, "requests", sink_);
    auto& limits = policy_.limits;
    if (const auto allow = reader.boolean("allow_reset")) limits.allowReset = *allow;
    const auto* extra = reader.array("extra_control_requests");
    const auto transfer = reader.integer("max_transfer_size", 1, kCeilingMaxTransferSize);
    const auto inFlight = reader.integer("max_bytes_in_flight", 1, kCeilingMaxBytesInFlight);
    const auto urbs = reader.integer("max_urbs_in_flight", 1, kCeilingMaxUrbsInFlight);
    reader.rejectUnknownKeys();
    if (transfer) limits.maxTransferSize = static_cast<uint32_t>(*transfer);
    if (inFlight) limits.maxBytesInFlight = static_cast<uint32_t>(*inFlight);
    if (urbs) limits.maxUrbsInFlight = static_cast<uint32_t>(*urbs);
    // With less room in flight than one transfer may need, the largest transfer would wait forever.
    if (limits.maxBytesInFlight < limits.maxTransferSize) {
      if (inFlight) {
        reader.error(*reader.node("max_bytes_in_flight"), "max_bytes_in_flight",
                     "smaller than max_transfer_size (" + std::to_string(limits.maxTransferSize) +
                         "): a transfer of the largest allowed size could never be sent");
      } else {
        reader.error(*reader.node("max_transfer_size"), "max_transfer_size",
                     "larger than the default max_bytes_in_flight (" +
                         std::to_string(limits.maxBytesInFlight) + "): raise that too");
      }
    }
    if (extra) parseExtraRequests(reader, *extra);
  }

  void parseExtraRequests(TableReader& reader, const toml::array& extra) {
    auto& requests = policy_.limits.extraControlRequests;
    for (size_t i = 0; i < extra.size(); ++i) {
      const auto& node = *extra.get(i);
      const std::string key =
          reader.keyPath("extra_control_requests") + "[" + std::to_string(i) + "]";
      const auto* entry = node.as_table();
      if (!entry) {
        sink_.add(lineOf(node), key,
                  "must be a table { request_type = 0x40, request = 0x01 } (bmRequestType, "
                  "bRequest)");
        continue;
      }
      TableReader fields(*entry, key, sink_);
      const auto type = fields.integer("request_type", 0, 255);
      const auto request = fields.integer("request", 0, 255);
      fields.rejectUnknownKeys();
      for (const auto* name : {"request_type", "request"}) {
        if (!entry->contains(name)) sink_.add(lineOf(node), key + "." + name, "missing");
      }
      if (!type || !request) continue;
      const ControlRequest wanted{static_cast<uint8_t>(*type), static_cast<uint8_t>(*request)};
      if ((wanted.requestType & kTypeMask) == 0 && wanted.request == kStandardSetAddress) {
        sink_.add(lineOf(node), key, "SET_ADDRESS never reaches the device");
      } else if (wanted.requestType == kPortRequestType && wanted.request == kSetFeature) {
        sink_.add(lineOf(node), key,
                  "requests to the client's virtual hub port are governed by allow_reset");
      } else if (std::find(requests.begin(), requests.end(), wanted) != requests.end()) {
        sink_.add(lineOf(node), key, "listed twice");
      } else {
        requests.push_back(wanted);
      }
    }
  }

  void parseGuards(const toml::table& table) {
    TableReader reader(table, "guards", sink_);
    if (const auto hidOnly = reader.boolean("hid_only")) policy_.limits.hidOnly = *hidOnly;
    if (const auto readOnly = reader.boolean("read_only")) policy_.limits.readOnly = *readOnly;
    reader.rejectUnknownKeys();
  }

  DiagnosticSink& sink_;
  DevicePolicy& policy_;
};

DevicePolicy parseInto(std::string_view text, const std::string& file, const std::string& name,
                       DiagnosticSink& sink) {
  DevicePolicy policy;
  policy.name = name;
  policy.file = file;
  policy.origin = file;
  try {
    const toml::table document = toml::parse(text, std::string_view(file));
    PolicyParser(sink, policy).parseDocument(document);
  } catch (const toml::parse_error& e) {
    sink.add(static_cast<uint32_t>(e.source().begin.line), "(syntax)",
             std::string(e.description()));
  }
  return policy;
}

}  // namespace

std::optional<uint8_t> interfaceClassByName(std::string_view name) {
  for (const auto& [known, code] : kClassNames) {
    if (known == name) return code;
  }
  return std::nullopt;
}

DevicePolicy parsePolicy(std::string_view text, const std::string& file, const std::string& name) {
  DiagnosticSink sink(file);
  auto policy = parseInto(text, file, name, sink);
  if (!sink.empty()) throw PolicyError(sink.take());
  return policy;
}

DevicePolicy parsePolicyFile(const std::filesystem::path& path) {
  const std::string file = path.string();
  DiagnosticSink sink(file);
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec) {
    sink.add(1, "(file)", "cannot read: " + ec.message());
    throw PolicyError(sink.take());
  }
  if (!std::filesystem::is_regular_file(status)) {
    sink.add(1, "(file)", "not a regular file");
    throw PolicyError(sink.take());
  }
  using std::filesystem::perms;
  if ((status.permissions() & (perms::group_write | perms::others_write)) != perms::none) {
    sink.add(1, "(file)",
             "writable by group or others: whoever can write a policy file can widen access "
             "(chmod go-w)");
  }
  if (std::filesystem::file_size(path, ec) > kMaxFileSize && !ec) {
    sink.add(1, "(file)", "larger than 1 MiB; not a policy file");
    throw PolicyError(sink.take());
  }
  std::ifstream in(path, std::ios::binary);
  const std::string text(std::istreambuf_iterator<char>(in), {});
  if (!in.is_open() || in.bad()) {
    sink.add(1, "(file)", "cannot read");
    throw PolicyError(sink.take());
  }
  auto policy = parseInto(text, file, path.stem().string(), sink);
  if (!sink.empty()) throw PolicyError(sink.take());
  return policy;
}

}  // namespace usbip::policy
