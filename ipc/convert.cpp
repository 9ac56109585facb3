#include "ipc/convert.h"

#include <stdexcept>
#include <string>

#include "common/address.h"
#include "policy/peer_rule.h"

namespace usbip::ipc {
namespace {

// The broker's side of these copies is trusted by the worker, but a wrong size would still
// corrupt the wire record, so the same limits as on the wire apply.
std::string boundedText(capnp::Text::Reader text, size_t max, const char* field) {
  if (text.size() > max) {
    throw std::invalid_argument(std::string("IPC field ") + field + " longer than " +
                                std::to_string(max) + " bytes");
  }
  return std::string(text.cStr(), text.size());
}

proto::Speed speedFromCapnp(Speed speed) {
  const auto value = static_cast<uint32_t>(speed);
  if (value > static_cast<uint32_t>(proto::Speed::kSuperPlus)) {
    throw std::invalid_argument("IPC field speed has unknown value " + std::to_string(value));
  }
  return static_cast<proto::Speed>(value);
}

// No USB device has more than 256 interface numbers or class codes, nor more than 65536
// distinct (bmRequestType, bRequest) pairs.
constexpr unsigned kMaxByteList = 256;
constexpr unsigned kMaxControlRequests = 65536;
// Interface descriptors of all configurations and alternate settings: 32 configurations of 256
// interfaces would be absurd already. Peers: far more than any administrator lists.
constexpr unsigned kMaxInterfaceDescriptors = 8192;
constexpr unsigned kMaxPeers = 4096;
constexpr size_t kMaxBusid = 31;   // the wire's busid field, less its NUL
constexpr size_t kMaxText = 4096;  // names, origins, paths, serials, addresses

template <typename List>
void checkListSize(const List& list, unsigned max, const char* field) {
  if (list.size() > max) {
    throw std::invalid_argument(std::string("IPC field ") + field + " has more than " +
                                std::to_string(max) + " entries");
  }
}

void copyBytes(const std::vector<uint8_t>& from, capnp::List<uint8_t>::Builder to) {
  for (unsigned i = 0; i < from.size(); ++i)
    to.set(i, from[i]);
}

// The same ranges the policy parser enforces: 0 would refuse every transfer, and a size past the
// ceiling is one no policy file can ask for.
uint32_t sizeFromCapnp(uint32_t value, uint32_t ceiling, const char* field) {
  if (value == 0 || value > ceiling) {
    throw std::invalid_argument(std::string("IPC field ") + field + " is " + std::to_string(value) +
                                ", outside 1.." + std::to_string(ceiling));
  }
  return value;
}

std::vector<uint8_t> bytesFromCapnp(capnp::List<uint8_t>::Reader from, const char* field) {
  checkListSize(from, kMaxByteList, field);
  std::vector<uint8_t> to;
  for (const auto b : from)
    to.push_back(b);
  return to;
}

}  // namespace

void toCapnp(const proto::ExportedDevice& from, ExportedDevice::Builder to) {
  auto d = to.initDevice();
  const auto& r = from.device;
  d.setPath(r.path);
  d.setBusid(r.busid);
  d.setBusnum(r.busnum);
  d.setDevnum(r.devnum);
  d.setSpeed(static_cast<Speed>(static_cast<uint16_t>(r.speed)));
  d.setIdVendor(r.idVendor);
  d.setIdProduct(r.idProduct);
  d.setBcdDevice(r.bcdDevice);
  d.setBDeviceClass(r.bDeviceClass);
  d.setBDeviceSubClass(r.bDeviceSubClass);
  d.setBDeviceProtocol(r.bDeviceProtocol);
  d.setBConfigurationValue(r.bConfigurationValue);
  d.setBNumConfigurations(r.bNumConfigurations);
  d.setBNumInterfaces(r.bNumInterfaces);
  auto interfaces = to.initInterfaces(static_cast<unsigned>(from.interfaces.size()));
  for (unsigned i = 0; i < from.interfaces.size(); ++i) {
    interfaces[i].setBInterfaceClass(from.interfaces[i].bInterfaceClass);
    interfaces[i].setBInterfaceSubClass(from.interfaces[i].bInterfaceSubClass);
    interfaces[i].setBInterfaceProtocol(from.interfaces[i].bInterfaceProtocol);
  }
}

proto::ExportedDevice fromCapnp(ExportedDevice::Reader from) {
  proto::ExportedDevice to;
  auto d = from.getDevice();
  auto& r = to.device;
  r.path = boundedText(d.getPath(), 255, "path");
  r.busid = boundedText(d.getBusid(), 31, "busid");
  r.busnum = d.getBusnum();
  r.devnum = d.getDevnum();
  r.speed = speedFromCapnp(d.getSpeed());
  r.idVendor = d.getIdVendor();
  r.idProduct = d.getIdProduct();
  r.bcdDevice = d.getBcdDevice();
  r.bDeviceClass = d.getBDeviceClass();
  r.bDeviceSubClass = d.getBDeviceSubClass();
  r.bDeviceProtocol = d.getBDeviceProtocol();
  r.bConfigurationValue = d.getBConfigurationValue();
  r.bNumConfigurations = d.getBNumConfigurations();
  r.bNumInterfaces = d.getBNumInterfaces();
  const auto interfaces = from.getInterfaces();
  if (interfaces.size() > 255) throw std::invalid_argument("IPC: more than 255 interfaces");
  for (const auto i : interfaces) {
    to.interfaces.push_back(
        {i.getBInterfaceClass(), i.getBInterfaceSubClass(), i.getBInterfaceProtocol()});
  }
  return to;
}

void toCapnp(const usbip::ExportCandidate& from, ipc::ExportCandidate::Builder to) {
  toCapnp(from.exported, to.initExported());
  to.setBehindVhci(from.behindVhci);
}

usbip::ExportCandidate fromCapnp(ipc::ExportCandidate::Reader from) {
  return {fromCapnp(from.getExported()), from.getBehindVhci()};
}

void toCapnp(const policy::UrbLimits& from, ipc::UrbLimits::Builder to) {
  checkListSize(from.extraControlRequests, kMaxControlRequests, "extraControlRequests");
  checkListSize(from.interfaceNumbers, kMaxByteList, "interfaceNumbers");
  checkListSize(from.interfaceClasses, kMaxByteList, "interfaceClasses");
  to.setMaxTransferSize(from.maxTransferSize);
  to.setMaxBytesInFlight(from.maxBytesInFlight);
  to.setMaxUrbsInFlight(from.maxUrbsInFlight);
  to.setAllowReset(from.allowReset);
  auto extra = to.initExtraControlRequests(static_cast<unsigned>(from.extraControlRequests.size()));
  for (unsigned i = 0; i < from.extraControlRequests.size(); ++i) {
    extra[i].setRequestType(from.extraControlRequests[i].requestType);
    extra[i].setRequest(from.extraControlRequests[i].request);
  }
  to.setAllInterfaces(from.allInterfaces);
  copyBytes(from.interfaceNumbers,
            to.initInterfaceNumbers(static_cast<unsigned>(from.interfaceNumbers.size())));
  copyBytes(from.interfaceClasses,
            to.initInterfaceClasses(static_cast<unsigned>(from.interfaceClasses.size())));
  to.setHidOnly(from.hidOnly);
  to.setReadOnly(from.readOnly);
}

policy::UrbLimits fromCapnp(ipc::UrbLimits::Reader from) {
  policy::UrbLimits to;
  to.maxTransferSize =
      sizeFromCapnp(from.getMaxTransferSize(), policy::kCeilingMaxTransferSize, "maxTransferSize");
  to.maxBytesInFlight = sizeFromCapnp(from.getMaxBytesInFlight(), policy::kCeilingMaxBytesInFlight,
                                      "maxBytesInFlight");
  to.maxUrbsInFlight =
      sizeFromCapnp(from.getMaxUrbsInFlight(), policy::kCeilingMaxUrbsInFlight, "maxUrbsInFlight");
  to.allowReset = from.getAllowReset();
  const auto extra = from.getExtraControlRequests();
  checkListSize(extra, kMaxControlRequests, "extraControlRequests");
  for (const auto r : extra)
    to.extraControlRequests.push_back({r.getRequestType(), r.getRequest()});
  to.allInterfaces = from.getAllInterfaces();
  to.interfaceNumbers = bytesFromCapnp(from.getInterfaceNumbers(), "interfaceNumbers");
  to.interfaceClasses = bytesFromCapnp(from.getInterfaceClasses(), "interfaceClasses");
  to.hidOnly = from.getHidOnly();
  to.readOnly = from.getReadOnly();
  return to;
}

void toCapnp(const policy::DeviceAttributes& from, ipc::DeviceAttributes::Builder to) {
  checkListSize(from.interfaces, kMaxInterfaceDescriptors, "interfaces");
  to.setBusid(from.busid);
  to.setPortPath(from.portPath);
  to.setVid(from.vid);
  to.setPid(from.pid);
  to.setSerial(from.serial);
  to.setDeviceClass(from.deviceClass);
  auto interfaces = to.initInterfaces(static_cast<unsigned>(from.interfaces.size()));
  for (unsigned i = 0; i < from.interfaces.size(); ++i) {
    const auto& intf = from.interfaces[i];
    interfaces[i].setNumber(intf.number);
    interfaces[i].setInterfaceClass(intf.interfaceClass);
    interfaces[i].setSubclass(intf.subclass);
    interfaces[i].setProtocol(intf.protocol);
  }
  to.setAttachedThroughVhci(from.attachedThroughVhci);
}

policy::DeviceAttributes fromCapnp(ipc::DeviceAttributes::Reader from) {
  policy::DeviceAttributes to;
  to.busid = boundedText(from.getBusid(), kMaxBusid, "attributes.busid");
  to.portPath = boundedText(from.getPortPath(), kMaxText, "attributes.portPath");
  to.vid = from.getVid();
  to.pid = from.getPid();
  to.serial = boundedText(from.getSerial(), kMaxText, "attributes.serial");
  to.deviceClass = from.getDeviceClass();
  const auto interfaces = from.getInterfaces();
  checkListSize(interfaces, kMaxInterfaceDescriptors, "attributes.interfaces");
  for (const auto i : interfaces) {
    to.interfaces.push_back(
        {i.getNumber(), i.getInterfaceClass(), i.getSubclass(), i.getProtocol()});
  }
  to.attachedThroughVhci = from.getAttachedThroughVhci();
  return to;
}

void toCapnp(const policy::DevicePolicy& from, ipc::DevicePolicy::Builder to) {
  checkListSize(from.exportRule.allowedPeers, kMaxPeers, "allowedPeers");
  to.setName(from.name);
  to.setOrigin(from.origin);
  to.setFile(from.file);
  to.setMatchLine(from.matchLine);
  const auto& m = from.match;
  to.setHasBusid(m.busid.has_value());
  to.setBusid(m.busid.value_or(""));
  to.setHasPortPath(m.portPath.has_value());
  to.setPortPath(m.portPath.value_or(""));
  to.setHasVidPid(m.vidPid.has_value());
  to.setVid(m.vidPid ? m.vidPid->vid : 0);
  to.setPid(m.vidPid ? m.vidPid->pid : 0);
  to.setHasSerial(m.serial.has_value());
  to.setSerial(m.serial.value_or(""));
  to.setDeny(from.deny);
  to.setConnectMode(from.exportRule.mode == policy::ExportRule::Mode::kConnect);
  to.setAddress(from.exportRule.address ? from.exportRule.address->toString() : "");
  const auto& peers = from.exportRule.allowedPeers;
  auto list = to.initAllowedPeers(static_cast<unsigned>(peers.size()));
  for (unsigned i = 0; i < peers.size(); ++i)
    list.set(i, peers[i].toString());
  toCapnp(from.limits, to.initLimits());
}

policy::DevicePolicy fromCapnp(ipc::DevicePolicy::Reader from) {
  policy::DevicePolicy to;
  to.name = boundedText(from.getName(), kMaxText, "policy.name");
  to.origin = boundedText(from.getOrigin(), kMaxText, "policy.origin");
  to.file = boundedText(from.getFile(), kMaxText, "policy.file");
  to.matchLine = from.getMatchLine();
  if (from.getHasBusid()) to.match.busid = boundedText(from.getBusid(), kMaxBusid, "match.busid");
  if (from.getHasPortPath()) {
    to.match.portPath = boundedText(from.getPortPath(), kMaxText, "match.portPath");
  }
  if (from.getHasVidPid()) to.match.vidPid = policy::VidPid{from.getVid(), from.getPid()};
  if (from.getHasSerial())
    to.match.serial = boundedText(from.getSerial(), kMaxText, "match.serial");
  to.deny = from.getDeny();
  to.exportRule.mode = from.getConnectMode() ? policy::ExportRule::Mode::kConnect
                                             : policy::ExportRule::Mode::kListen;
  const auto address = boundedText(from.getAddress(), kMaxText, "policy.address");
  if (!address.empty()) to.exportRule.address = parseAddress(address);
  const auto peers = from.getAllowedPeers();
  checkListSize(peers, kMaxPeers, "allowedPeers");
  for (const auto peer : peers) {
    to.exportRule.allowedPeers.push_back(
        policy::parsePeerRule(boundedText(peer, kMaxText, "allowedPeers")));
  }
  to.limits = fromCapnp(from.getLimits());
  return to;
}

void toCapnp(const usbip::OfferedDevice& from, ipc::OfferedDevice::Builder to) {
  toCapnp(from.candidate, to.initCandidate());
  toCapnp(from.attributes, to.initAttributes());
  toCapnp(from.policy, to.initPolicy());
}

usbip::OfferedDevice fromCapnp(ipc::OfferedDevice::Reader from) {
  return {fromCapnp(from.getCandidate()), fromCapnp(from.getAttributes()),
          fromCapnp(from.getPolicy())};
}

}  // namespace usbip::ipc
