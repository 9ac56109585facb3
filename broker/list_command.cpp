// usbip-host list [--json]: the host's USB devices and whether each could be exported.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <iostream>

#include "broker/commands.h"
#include "broker/export_policy.h"
#include "broker/usb_device.h"

namespace usbip {
namespace {

struct Row {
  std::string busid, ids, speed, drivers, exportable, name;
};

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

Row rowFor(const UsbDevice& d) {
  const auto& r = d.candidate.exported.device;
  // Only rule E1 can say no here: naming a device on the command line is what E2 asks for.
  const auto decision = decideExport(d.candidate, ExportPolicy{{r.busid}});
  std::string name = d.manufacturer;
  if (!d.product.empty()) name += (name.empty() ? "" : " ") + d.product;
  return {r.busid,
          fmt::format("{:04x}:{:04x}", r.idVendor, r.idProduct),
          std::string(speedName(r.speed)),
          driversOf(d),
          decision.allowed ? "yes" : (r.bDeviceClass == kHubDeviceClass ? "no (hub)" : "no (vhci)"),
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

void printJson(const std::vector<UsbDevice>& devices) {
  std::string out = "[";
  for (size_t i = 0; i < devices.size(); ++i) {
    const auto& d = devices[i];
    const auto& r = d.candidate.exported.device;
    const auto decision = decideExport(d.candidate, ExportPolicy{{r.busid}});
    out += fmt::format(
        "{}\n  {{\"busid\": {}, \"busnum\": {}, \"devnum\": {}, \"vendor_id\": \"{:04x}\", "
        "\"product_id\": \"{:04x}\", \"manufacturer\": {}, \"product\": {}, \"speed\": \"{}\", "
        "\"device_class\": {}, \"drivers\": {}, \"exportable\": {}, \"refusal\": {}}}",
        i ? "," : "", jsonString(r.busid), r.busnum, r.devnum, r.idVendor, r.idProduct,
        jsonString(d.manufacturer), jsonString(d.product), speedName(r.speed), r.bDeviceClass,
        jsonString(driversOf(d)), decision.allowed ? "true" : "false",
        decision.allowed ? "null" : jsonString(decision.reason));
  }
  out += devices.empty() ? "]\n" : "\n]\n";
  std::cout << out;
}

void printTable(const std::vector<UsbDevice>& devices) {
  std::vector<Row> rows = {{"BUSID", "VID:PID", "SPEED", "DRIVERS", "EXPORTABLE", "DEVICE"}};
  for (const auto& d : devices)
    rows.push_back(rowFor(d));
  size_t w[5] = {};
  for (const auto& r : rows) {
    w[0] = std::max(w[0], r.busid.size());
    w[1] = std::max(w[1], r.ids.size());
    w[2] = std::max(w[2], r.speed.size());
    w[3] = std::max(w[3], r.drivers.size());
    w[4] = std::max(w[4], r.exportable.size());
  }
  for (const auto& r : rows) {
    std::cout << fmt::format("{:<{}}  {:<{}}  {:<{}}  {:<{}}  {:<{}}  {}\n", r.busid, w[0], r.ids,
                             w[1], r.speed, w[2], r.drivers, w[3], r.exportable, w[4], r.name);
  }
}

}  // namespace

int runList(const Invocation& invocation) {
  const auto devices = enumerateUsbDevices();
  if (invocation.json) {
    printJson(devices);
  } else {
    printTable(devices);
  }
  return kExitOk;
}

}  // namespace usbip
