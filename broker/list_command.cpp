// usbip-host list [--json]: the host's USB devices, whether each could be exported at all, and
// what the policy file that matches it decides.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <iostream>

#include "broker/commands.h"
#include "broker/export_registry.h"
#include "broker/policy_loading.h"
#include "broker/usb_device.h"
#include "policy/decision.h"
#include "policy/policy_error.h"
#include "protocol/speed_name.h"

namespace usbip {
namespace {

struct Row {
  std::string busid, ids, speed, drivers, exportable, policy, name;
};

// Rule E1 only, as if the device were named on the command line: never a hub or an imported
// device, whatever the policy says.
policy::Verdict exportableAtAll(const UsbDevice& d) {
  return policy::mayExport(namedForListen(d.busid()), d.attributes);
}

// The policy file that matches the device, and what it decides.
struct PolicyColumn {
  std::optional<policy::DevicePolicy> file;
  std::optional<std::string> ambiguity;  // PolicySet::match threw
  policy::Verdict verdict;
};

PolicyColumn policyColumn(const policy::PolicySet& set, const UsbDevice& d) {
  PolicyColumn column;
  try {
    column.file = set.match(d.attributes);
  } catch (const policy::PolicyError& e) {
    column.ambiguity = e.what();
    return column;
  }
  if (column.file) column.verdict = policy::mayExport(*column.file, d.attributes);
  return column;
}

std::string policyCell(const PolicyColumn& c) {
  if (c.ambiguity) return "ambiguous (not exported)";
  if (!c.file) return "-";
  const std::string name = c.file->name + ".toml";
  if (c.file->deny) return name + " (deny)";
  if (!c.verdict) return name + " (refused)";
  const bool connect = c.file->exportRule.mode == policy::ExportRule::Mode::kConnect;
  return name + (connect ? " (connect)" : " (listen)");
}

std::string driversOf(const UsbDevice& d) {
  std::string text;
  for (const auto& i : d.interfaces) {
    if (i.driver.empty()) continue;
    if (text.find(i.driver) != std::string::npos) continue;
    if (!text.empty()) text += ",";
    text += i.driver;
  }
  return text.empty() ? "-" : text;
}

Row rowFor(const UsbDevice& d, const policy::PolicySet& set) {
  const auto& r = d.candidate.exported.device;
  const bool exportable = exportableAtAll(d).allowed;
  std::string name = d.manufacturer;
  if (!d.product.empty()) name += (name.empty() ? "" : " ") + d.product;
  return {r.busid,
          fmt::format("{:04x}:{:04x}", r.idVendor, r.idProduct),
          proto::speedName(static_cast<uint32_t>(r.speed)),
          driversOf(d),
          exportable ? "yes" : (d.attributes.attachedThroughVhci ? "no (vhci)" : "no (hub)"),
          policyCell(policyColumn(set, d)),
          name.empty() ? "-" : name};
}

std::string jsonString(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// null when no policy file matches; else the file and what it decides for this device.
std::string policyJson(const PolicyColumn& c) {
  if (c.ambiguity) {
    return fmt::format("{{\"ambiguous\": true, \"allowed\": false, \"reason\": {}}}",
                       jsonString(*c.ambiguity));
  }
  if (!c.file) return "null";
  const bool connect = c.file->exportRule.mode == policy::ExportRule::Mode::kConnect;
  return fmt::format(
      "{{\"name\": {}, \"file\": {}, \"deny\": {}, \"mode\": \"{}\", \"allowed\": {}, "
      "\"reason\": {}}}",
      jsonString(c.file->name), jsonString(c.file->file), c.file->deny ? "true" : "false",
      connect ? "connect" : "listen", c.verdict.allowed ? "true" : "false",
      jsonString(c.verdict.reason));
}

void printJson(const std::vector<UsbDevice>& devices, const policy::PolicySet& set) {
  std::string out = "[";
  for (size_t i = 0; i < devices.size(); ++i) {
    const auto& d = devices[i];
    const auto& r = d.candidate.exported.device;
    const auto decision = exportableAtAll(d);
    out += fmt::format(
        "{}\n  {{\"busid\": {}, \"busnum\": {}, \"devnum\": {}, \"vendor_id\": \"{:04x}\", "
        "\"product_id\": \"{:04x}\", \"manufacturer\": {}, \"product\": {}, \"serial\": {}, "
        "\"port_path\": {}, \"speed\": \"{}\", \"device_class\": {}, \"drivers\": {}, "
        "\"exportable\": {}, \"refusal\": {}, \"policy\": {}}}",
        i ? "," : "", jsonString(r.busid), r.busnum, r.devnum, r.idVendor, r.idProduct,
        jsonString(d.manufacturer), jsonString(d.product), jsonString(d.attributes.serial),
        jsonString(d.attributes.portPath), proto::speedName(static_cast<uint32_t>(r.speed)),
        r.bDeviceClass, jsonString(driversOf(d)), decision.allowed ? "true" : "false",
        decision.allowed ? "null" : jsonString(decision.reason), policyJson(policyColumn(set, d)));
  }
  out += devices.empty() ? "]\n" : "\n]\n";
  std::cout << out;
}

void printTable(const std::vector<UsbDevice>& devices, const policy::PolicySet& set) {
  std::vector<Row> rows = {
      {"BUSID", "VID:PID", "SPEED", "DRIVERS", "EXPORTABLE", "POLICY", "DEVICE"}};
  for (const auto& d : devices)
    rows.push_back(rowFor(d, set));
  size_t w[6] = {};
  for (const auto& r : rows) {
    w[0] = std::max(w[0], r.busid.size());
    w[1] = std::max(w[1], r.ids.size());
    w[2] = std::max(w[2], r.speed.size());
    w[3] = std::max(w[3], r.drivers.size());
    w[4] = std::max(w[4], r.exportable.size());
    w[5] = std::max(w[5], r.policy.size());
  }
  for (const auto& r : rows) {
    std::cout << fmt::format("{:<{}}  {:<{}}  {:<{}}  {:<{}}  {:<{}}  {:<{}}  {}\n", r.busid, w[0],
                             r.ids, w[1], r.speed, w[2], r.drivers, w[3], r.exportable, w[4],
                             r.policy, w[5], r.name);
  }
}

}  // namespace

int runList(const Invocation& invocation) {
  const auto set = loadPolicyOf(invocation);
  const auto devices = enumerateUsbDevices();
  if (invocation.json) {
    printJson(devices, set);
  } else {
    printTable(devices, set);
  }
  return kExitOk;
}

}  // namespace usbip
