// Reads the host's USB devices from udev (subsystem usb): devices with devtype usb_device, and
// their interfaces (devtype usb_interface) of the active configuration.
#include <fcntl.h>
#include <libudev.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <limits>
#include <map>
#include <memory>
#include <stdexcept>
#include <tuple>

#include "broker/usb_device.h"
#include "common/syscall.h"
#include "common/unique_fd.h"
#include "policy/descriptor_interfaces.h"

namespace usbip {
namespace {

struct UdevUnref {
  void operator()(udev* u) const { udev_unref(u); }
  void operator()(udev_enumerate* e) const { udev_enumerate_unref(e); }
  void operator()(udev_device* d) const { udev_device_unref(d); }
};
using UdevPtr = std::unique_ptr<udev, UdevUnref>;
using EnumeratePtr = std::unique_ptr<udev_enumerate, UdevUnref>;
using DevicePtr = std::unique_ptr<udev_device, UdevUnref>;

// A sysfs attribute vanished or did not parse: the device is skipped, the listing goes on.
struct SkipDevice : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\n'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\n'))
    text.remove_suffix(1);
  return text;
}

std::string attribute(udev_device* device, const char* name) {
  const char* value = udev_device_get_sysattr_value(device, name);
  return value ? std::string(value) : std::string();
}

template <typename T>
T numericAttribute(udev_device* device, const char* name, int base, bool emptyIsZero = false) {
  const std::string raw = attribute(device, name);
  const std::string_view text = trimmed(raw);
  if (text.empty() && emptyIsZero) return 0;
  uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() ||
      value > std::numeric_limits<T>::max()) {
    throw SkipDevice(std::string("sysfs attribute ") + name + " is '" + raw + "'");
  }
  return static_cast<T>(value);
}

// One scan of udev's "usb" subsystem: its devices, and the interfaces of each device's active
// configuration, keyed by the device's sysname. A single scan, not one per device with a parent
// match: a parent match walks the device's whole sysfs subtree (ports, endpoints, power), and
// with vhci_hcd's sixteen root hubs that made every listing cost thousands of opens.
struct UsbScan {
  std::vector<DevicePtr> devices;
  std::map<std::string, std::vector<DevicePtr>, std::less<>> interfaces;
};

UsbScan scanUsbSubsystem(udev* context) {
  EnumeratePtr e(udev_enumerate_new(context));
  if (!e) throwErrno(errno, "udev_enumerate_new");
  checkSyscall(udev_enumerate_add_match_subsystem(e.get(), "usb"), "udev match subsystem usb");
  const int rc = udev_enumerate_scan_devices(e.get());
  if (rc < 0) throwErrno(-rc, "udev scan of subsystem usb");
  UsbScan scan;
  udev_list_entry* entry = nullptr;
  udev_list_entry_foreach(entry, udev_enumerate_get_list_entry(e.get())) {
    DevicePtr device(udev_device_new_from_syspath(context, udev_list_entry_get_name(entry)));
    if (!device) continue;  // gone since the scan: nothing to report
    const char* devtype = udev_device_get_devtype(device.get());
    if (!devtype) continue;
    const std::string_view type(devtype);
    if (type == "usb_device") {
      scan.devices.push_back(std::move(device));
    } else if (type == "usb_interface") {
      // An interface is named "<device>:<configuration>.<interface>".
      const std::string_view name(udev_device_get_sysname(device.get()));
      const auto colon = name.find(':');
      if (colon == std::string_view::npos) continue;
      scan.interfaces[std::string(name.substr(0, colon))].push_back(std::move(device));
    }
  }
  return scan;
}

std::vector<SysfsAncestor> ancestorsOf(udev_device* device) {
  std::vector<SysfsAncestor> chain;
  // Parents are owned by the child; they are not unref'd.
  for (udev_device* p = udev_device_get_parent(device); p; p = udev_device_get_parent(p)) {
    const char* driver = udev_device_get_driver(p);
    chain.push_back({udev_device_get_sysname(p), driver ? driver : ""});
  }
  return chain;
}

// The interfaces the scan found for the device named `busid`, in bInterfaceNumber order; their
// class triples are appended to `records` in the same order.
std::vector<UsbInterface> interfacesOf(const UsbScan& scan, std::string_view busid,
                                       std::vector<proto::InterfaceRecord>& records) {
  const auto scanned = scan.interfaces.find(busid);
  if (scanned == scan.interfaces.end()) return {};
  std::vector<std::pair<UsbInterface, proto::InterfaceRecord>> found;
  for (const auto& owned : scanned->second) {
    udev_device* intf = owned.get();
    const char* driver = udev_device_get_driver(intf);
    found.push_back(
        {{numericAttribute<uint8_t>(intf, "bInterfaceNumber", 16), driver ? driver : ""},
         {numericAttribute<uint8_t>(intf, "bInterfaceClass", 16),
          numericAttribute<uint8_t>(intf, "bInterfaceSubClass", 16),
          numericAttribute<uint8_t>(intf, "bInterfaceProtocol", 16)}});
  }
  std::sort(found.begin(), found.end(),
            [](const auto& a, const auto& b) { return a.first.number < b.first.number; });
  std::vector<UsbInterface> interfaces;
  for (auto& [intf, record] : found) {
    interfaces.push_back(std::move(intf));
    records.push_back(record);
  }
  return interfaces;
}

// sysfs "descriptors" is binary (NUL bytes), so it is read directly rather than through udev's
// string attributes. Empty when it cannot be read (the device went away meanwhile).
std::vector<uint8_t> rawDescriptors(udev_device* device) {
  const std::string path = std::string(udev_device_get_syspath(device)) + "/descriptors";
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  UniqueFd owned(fd);
  std::vector<uint8_t> raw;
  uint8_t buffer[4096];
  for (;;) {
    const ssize_t n = ::read(owned.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    raw.insert(raw.end(), buffer, buffer + n);
  }
  return raw;
}

policy::DeviceAttributes attributesOf(udev_device* device, const UsbDevice& d) {
  policy::DeviceAttributes a = attributesOf(d.candidate);
  if (const char* path = udev_device_get_property_value(device, "ID_PATH")) a.portPath = path;
  a.serial = std::string(trimmed(attribute(device, "serial")));
  auto all = policy::interfacesInDescriptors(rawDescriptors(device));
  if (!all.empty()) {
    a.interfaces = std::move(all);
  } else {
    // Without the raw descriptors, the active configuration's interfaces with their numbers.
    for (size_t i = 0; i < a.interfaces.size() && i < d.interfaces.size(); ++i)
      a.interfaces[i].number = d.interfaces[i].number;
  }
  return a;
}

UsbDevice readDevice(udev_device* device, const UsbScan& scan) {
  UsbDevice d;
  auto& r = d.candidate.exported.device;
  r.busid = udev_device_get_sysname(device);
  r.path = udev_device_get_syspath(device);
  r.busnum = numericAttribute<uint32_t>(device, "busnum", 10);
  r.devnum = numericAttribute<uint32_t>(device, "devnum", 10);
  r.speed = speedFromSysfs(trimmed(attribute(device, "speed")));
  r.idVendor = numericAttribute<uint16_t>(device, "idVendor", 16);
  r.idProduct = numericAttribute<uint16_t>(device, "idProduct", 16);
  r.bcdDevice = numericAttribute<uint16_t>(device, "bcdDevice", 16);
  r.bDeviceClass = numericAttribute<uint8_t>(device, "bDeviceClass", 16);
  r.bDeviceSubClass = numericAttribute<uint8_t>(device, "bDeviceSubClass", 16);
  r.bDeviceProtocol = numericAttribute<uint8_t>(device, "bDeviceProtocol", 16);
  // Empty while the device is unconfigured.
  r.bConfigurationValue = numericAttribute<uint8_t>(device, "bConfigurationValue", 10, true);
  r.bNumConfigurations = numericAttribute<uint8_t>(device, "bNumConfigurations", 10);
  r.bNumInterfaces = numericAttribute<uint8_t>(device, "bNumInterfaces", 10, true);
  d.interfaces = interfacesOf(scan, r.busid, d.candidate.exported.interfaces);
  d.candidate.behindVhci = isBehindVhci(ancestorsOf(device));
  d.manufacturer = std::string(trimmed(attribute(device, "manufacturer")));
  d.product = std::string(trimmed(attribute(device, "product")));
  if (const char* node = udev_device_get_devnode(device)) {
    d.devnode = node;
  } else {
    char fallback[32];
    std::snprintf(fallback, sizeof fallback, "/dev/bus/usb/%03u/%03u", r.busnum, r.devnum);
    d.devnode = fallback;
  }
  d.attributes = attributesOf(device, d);
  return d;
}

}  // namespace

std::vector<UsbDevice> enumerateUsbDevices() {
  UdevPtr context(udev_new());
  if (!context) throwErrno(errno, "udev_new");
  const UsbScan scan = scanUsbSubsystem(context.get());
  std::vector<UsbDevice> devices;
  for (const auto& owned : scan.devices) {
    try {
      devices.push_back(readDevice(owned.get(), scan));
    } catch (const SkipDevice& skipped) {
      spdlog::warn("skipping USB device {}: {}", udev_device_get_sysname(owned.get()),
                   skipped.what());
    }
  }
  std::sort(devices.begin(), devices.end(), [](const UsbDevice& a, const UsbDevice& b) {
    const auto& x = a.candidate.exported.device;
    const auto& y = b.candidate.exported.device;
    return std::tie(x.busnum, x.busid) < std::tie(y.busnum, y.busid);
  });
  return devices;
}

}  // namespace usbip
