#include "broker/device_resolver.h"

#include <algorithm>
#include <optional>
#include <stdexcept>

#include "broker/simulated_exports.h"

namespace usbip {
namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
// Spelt out for clang 14 (the fuzz build), which does not deduce aggregates' template arguments.
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

std::string describe(const DeviceSpec& spec) {
  return std::visit(Overloaded{[](const BusIdSpec& s) { return "bus ID " + s.busid; },
                               [](const DeviceNodeSpec& s) {
                                 return "bus " + std::to_string(s.busnum) + " device " +
                                        std::to_string(s.devnum);
                               },
                               [](const SimulatedSpec& s) { return "sim:" + s.name; }},
                    spec);
}

}  // namespace

const ExportCandidate& candidateOf(const ExportSource& source) {
  return std::visit([](const auto& s) -> const ExportCandidate& { return s.candidate; }, source);
}

UsbDevice findUsbDevice(const DeviceSpec& spec, std::span<const UsbDevice> present) {
  const auto matches = [&](const UsbDevice& d) {
    const auto& r = d.candidate.exported.device;
    if (const auto* b = std::get_if<BusIdSpec>(&spec)) return r.busid == b->busid;
    if (const auto* n = std::get_if<DeviceNodeSpec>(&spec)) {
      return r.busnum == n->busnum && r.devnum == n->devnum;
    }
    return false;
  };
  const auto found = std::find_if(present.begin(), present.end(), matches);
  if (found == present.end()) {
    throw std::invalid_argument("no USB device with " + describe(spec) +
                                " is attached (see 'usbip-host list')");
  }
  return *found;
}

std::vector<ExportSource> resolveDevices(std::span<const std::string> arguments) {
  std::vector<ExportSource> sources;
  std::optional<std::vector<UsbDevice>> present;  // enumerated once, on first need
  for (const auto& argument : arguments) {
    const DeviceSpec spec = parseDeviceSpec(argument);
    ExportSource source;
    if (const auto* sim = std::get_if<SimulatedSpec>(&spec)) {
      source = SimulatedDevice{sim->name, simulatedCandidate(sim->name)};
    } else {
      if (!present) present = enumerateUsbDevices();
      source = findUsbDevice(spec, *present);
    }
    const auto& busid = candidateOf(source).exported.device.busid;
    if (std::any_of(sources.begin(), sources.end(), [&](const ExportSource& s) {
          return candidateOf(s).exported.device.busid == busid;
        })) {
      throw std::invalid_argument("device '" + argument + "' (bus ID " + busid +
                                  ") is named more than once");
    }
    sources.push_back(std::move(source));
  }
  return sources;
}

}  // namespace usbip
