// Turns what the user named on the command line into the device it means.
#pragma once

#include <span>
#include <string>
#include <variant>

#include "broker/device_spec.h"
#include "broker/usb_device.h"

namespace usbip {

struct SimulatedDevice {
  std::string name;  // hid, cdc, uac
  ExportCandidate candidate;
};

// A device to export: a real one (opened through usbfs) or a simulated one (run by the worker).
using ExportSource = std::variant<UsbDevice, SimulatedDevice>;

const ExportCandidate& candidateOf(const ExportSource& source);

// Finds the device `spec` names among `present` (from enumerateUsbDevices()). Throws
// std::invalid_argument naming `spec` when there is no such device. Simulated specs are not
// resolved here (see simulatedExport()).
UsbDevice findUsbDevice(const DeviceSpec& spec, std::span<const UsbDevice> present);

// Resolves every DEVICE argument, in order: parses it, finds it (enumerating udev only when a
// real device is named), and refuses duplicates. Throws std::invalid_argument naming the argument.
std::vector<ExportSource> resolveDevices(std::span<const std::string> arguments);

}  // namespace usbip
