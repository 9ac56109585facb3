// [interfaces], [requests] and [guards]: what the worker enforces, collected in UrbLimits.
#include <algorithm>
#include <array>

#include "policy/parser.h"
#include "policy/tables.h"

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

constexpr uint8_t kStandardSetAddress = 5;
constexpr uint8_t kTypeMask = 0x60;
constexpr uint8_t kPortRequestType = 0x23;
constexpr uint8_t kSetFeature = 3;

std::string classNameList() {
  std::string list;
  for (const auto& [name, code] : kClassNames)
    list += (list.empty() ? "" : ", ") + std::string(name);
  return list;
}

std::optional<uint8_t> interfaceClass(const toml::node& node, const std::string& key,
                                      DiagnosticSink& sink) {
  if (const auto* name = node.as_string()) {
    const auto code = interfaceClassByName(name->get());
    if (!code) {
      sink.add(lineOf(node), key,
               "unknown class name " + inQuotes(name->get()) + " (known: " + classNameList() +
                   "; or give the class code as a number)");
    }
    return code;
  }
  if (!node.is_integer()) {
    sink.add(lineOf(node), key, "must be a class code from 0 to 255 or a class name");
    return std::nullopt;
  }
  const auto code = integerElement(node, key, 0, 255, sink);
  if (code && *code == kClassHub) {
    sink.add(lineOf(node), key, "hubs are never exported");
    return std::nullopt;
  }
  if (!code) return std::nullopt;
  return static_cast<uint8_t>(*code);
}

void addUnique(std::vector<uint8_t>& values, uint8_t value, const toml::node& node,
               const std::string& key, DiagnosticSink& sink) {
  if (std::find(values.begin(), values.end(), value) != values.end()) {
    sink.add(lineOf(node), key, std::to_string(value) + " is listed twice");
    return;
  }
  values.push_back(value);
}

void parseExtraRequests(TableReader& reader, const toml::array& extra,
                        std::vector<ControlRequest>& requests) {
  auto& sink = reader.sink();
  for (size_t i = 0; i < extra.size(); ++i) {
    const auto& node = *extra.get(i);
    const std::string key =
        reader.keyPath("extra_control_requests") + "[" + std::to_string(i) + "]";
    const auto* entry = node.as_table();
    if (!entry) {
      sink.add(lineOf(node), key,
               "must be a table { request_type = 0x40, request = 0x01 } (bmRequestType, "
               "bRequest)");
      continue;
    }
    TableReader fields(*entry, key, sink);
    const auto type = fields.integer("request_type", 0, 255);
    const auto request = fields.integer("request", 0, 255);
    fields.rejectUnknownKeys();
    for (const auto* name : {"request_type", "request"}) {
      if (!entry->contains(name)) sink.add(lineOf(node), key + "." + name, "missing");
    }
    if (!type || !request) continue;
    const ControlRequest wanted{static_cast<uint8_t>(*type), static_cast<uint8_t>(*request)};
    if ((wanted.requestType & kTypeMask) == 0 && wanted.request == kStandardSetAddress) {
      sink.add(lineOf(node), key, "SET_ADDRESS never reaches the device");
    } else if (wanted.requestType == kPortRequestType && wanted.request == kSetFeature) {
      sink.add(lineOf(node), key,
               "requests to the client's virtual hub port are governed by allow_reset");
    } else if (std::find(requests.begin(), requests.end(), wanted) != requests.end()) {
      sink.add(lineOf(node), key, "listed twice");
    } else {
      requests.push_back(wanted);
    }
  }
}

}  // namespace

std::optional<uint8_t> interfaceClassByName(std::string_view name) {
  for (const auto& [known, code] : kClassNames) {
    if (known == name) return code;
  }
  return std::nullopt;
}

void parseInterfacesTable(const toml::table& table, DiagnosticSink& sink, UrbLimits& limits) {
  TableReader reader(table, "interfaces", sink);
  const auto* numbers = reader.array("numbers");
  const auto* classes = reader.array("classes");
  reader.rejectUnknownKeys();
  limits.allInterfaces = false;
  if (!table.contains("numbers") && !table.contains("classes")) {
    sink.add(reader.line(), "interfaces",
             "empty: give numbers or classes (leave [interfaces] out to allow every interface)");
  }
  if (numbers) {
    for (size_t i = 0; i < numbers->size(); ++i) {
      const std::string key = reader.keyPath("numbers") + "[" + std::to_string(i) + "]";
      const auto number =
          integerElement(*numbers->get(i), key, 0, kMaxClaimableInterfaceNumber, sink);
      if (number)
        addUnique(limits.interfaceNumbers, static_cast<uint8_t>(*number), *numbers->get(i), key,
                  sink);
    }
  }
  if (classes) {
    for (size_t i = 0; i < classes->size(); ++i) {
      const std::string key = reader.keyPath("classes") + "[" + std::to_string(i) + "]";
      if (const auto code = interfaceClass(*classes->get(i), key, sink)) {
        addUnique(limits.interfaceClasses, *code, *classes->get(i), key, sink);
      }
    }
  }
}

void parseRequestsTable(const toml::table& table, DiagnosticSink& sink, UrbLimits& limits) {
  TableReader reader(table, "requests", sink);
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
  if (extra) parseExtraRequests(reader, *extra, limits.extraControlRequests);
}

void parseGuardsTable(const toml::table& table, DiagnosticSink& sink, UrbLimits& limits) {
  TableReader reader(table, "guards", sink);
  if (const auto hidOnly = reader.boolean("hid_only")) limits.hidOnly = *hidOnly;
  if (const auto readOnly = reader.boolean("read_only")) limits.readOnly = *readOnly;
  reader.rejectUnknownKeys();
}

}  // namespace usbip::policy
