#include "ipc/convert.h"

#include <capnp/message.h>
#include <gtest/gtest.h>

#include <stdexcept>

namespace usbip::ipc {
namespace {

usbip::ExportCandidate sampleCandidate() {
  usbip::ExportCandidate c;
  auto& r = c.exported.device;
  r.path = "/sys/devices/pci0000:00/0000:00:14.0/usb1/1-2";
  r.busid = "1-2";
  r.busnum = 1;
  r.devnum = 5;
  r.speed = proto::Speed::kHigh;
  r.idVendor = 0x0525;
  r.idProduct = 0xa4a0;
  r.bcdDevice = 0x0100;
  r.bDeviceClass = 0xff;
  r.bConfigurationValue = 1;
  r.bNumConfigurations = 2;
  r.bNumInterfaces = 2;
  c.exported.interfaces = {{0xff, 0, 0}, {0x08, 0x06, 0x50}};
  c.behindVhci = true;
  return c;
}

TEST(IpcConvert, CandidateRoundTrip) {
  capnp::MallocMessageBuilder message;
  const auto original = sampleCandidate();
  toCapnp(original, message.initRoot<ipc::ExportCandidate>());
  EXPECT_EQ(fromCapnp(message.getRoot<ipc::ExportCandidate>().asReader()), original);
}

usbip::OfferedDevice sampleOffered() {
  usbip::OfferedDevice d;
  d.candidate = sampleCandidate();
  d.attributes.busid = "1-2";
  d.attributes.portPath = "pci-0000:00:14.0-usb-0:2";
  d.attributes.vid = 0x0525;
  d.attributes.pid = 0xa4a0;
  d.attributes.serial = "A50285BI";
  d.attributes.deviceClass = 0xff;
  d.attributes.interfaces = {{0, 0xff, 0, 0}, {1, 0x08, 0x06, 0x50}, {1, 0x03, 1, 1}};
  d.attributes.attachedThroughVhci = true;
  auto& p = d.policy;
  p.name = "stick";
  p.origin = "devices.d/stick.toml";
  p.file = "devices.d/stick.toml";
  p.matchLine = 3;
  p.match.busid = "1-2";
  p.match.vidPid = policy::VidPid{0x0525, 0xa4a0};
  p.exportRule.address = parseAddress("tcp:[::]:3240");
  p.exportRule.allowedPeers = {policy::parsePeerRule("10.0.0.0/8"),
                               policy::parsePeerRule("fd00::/8"), policy::parsePeerRule("vsock:3"),
                               policy::parsePeerRule("unix"), policy::parsePeerRule("any")};
  p.limits.maxTransferSize = 65536;
  p.limits.readOnly = true;
  return d;
}

TEST(IpcConvert, OfferedDeviceRoundTrip) {
  capnp::MallocMessageBuilder message;
  const auto original = sampleOffered();
  toCapnp(original, message.initRoot<ipc::OfferedDevice>());
  EXPECT_EQ(fromCapnp(message.getRoot<ipc::OfferedDevice>().asReader()), original);

  auto connect = sampleOffered();
  connect.policy.match = {};
  connect.policy.match.serial = "";
  connect.policy.match.portPath = "pci-0000:00:14.0-usb-0:2";
  connect.policy.deny = true;
  connect.policy.exportRule = {
      policy::ExportRule::Mode::kConnect, parseAddress("vsock:2:3240"), {}};
  capnp::MallocMessageBuilder second;
  toCapnp(connect, second.initRoot<ipc::OfferedDevice>());
  EXPECT_EQ(fromCapnp(second.getRoot<ipc::OfferedDevice>().asReader()), connect)
      << "absent and empty match fields stay apart";
}

TEST(IpcConvert, RejectsAMalformedPeerRule) {
  capnp::MallocMessageBuilder message;
  auto builder = message.initRoot<ipc::DevicePolicy>();
  toCapnp(sampleOffered().policy, builder);
  builder.getAllowedPeers().set(0, "10.0.0.1/8");
  EXPECT_THROW(fromCapnp(builder.asReader()), std::invalid_argument);
}

TEST(IpcConvert, RejectsBusidTooLongForTheWire) {
  capnp::MallocMessageBuilder message;
  auto candidate = sampleCandidate();
  candidate.exported.device.busid = std::string(32, '1');
  toCapnp(candidate, message.initRoot<ipc::ExportCandidate>());
  EXPECT_THROW(fromCapnp(message.getRoot<ipc::ExportCandidate>().asReader()),
               std::invalid_argument);
}

TEST(IpcConvert, RejectsUnknownSpeed) {
  capnp::MallocMessageBuilder message;
  auto builder = message.initRoot<ipc::ExportedDevice>();
  toCapnp(sampleCandidate().exported, builder);
  builder.getDevice().setSpeed(static_cast<ipc::Speed>(42));
  EXPECT_THROW(fromCapnp(builder.asReader()), std::invalid_argument);
}

TEST(IpcConvert, UrbLimitsRoundTrip) {
  capnp::MallocMessageBuilder message;
  policy::UrbLimits original;
  original.maxTransferSize = 4096;
  original.maxBytesInFlight = 1u << 20;
  original.maxUrbsInFlight = 7;
  original.allowReset = true;
  original.extraControlRequests = {{0xc0, 0x51}, {0x40, 0x52}};
  original.allInterfaces = false;
  original.interfaceNumbers = {0, 2};
  original.interfaceClasses = {policy::kClassHid};
  original.hidOnly = true;
  original.readOnly = true;
  toCapnp(original, message.initRoot<ipc::UrbLimits>());
  EXPECT_EQ(fromCapnp(message.getRoot<ipc::UrbLimits>().asReader()), original);
}

TEST(IpcConvert, DefaultUrbLimitsRoundTrip) {
  capnp::MallocMessageBuilder message;
  toCapnp(policy::UrbLimits{}, message.initRoot<ipc::UrbLimits>());
  EXPECT_EQ(fromCapnp(message.getRoot<ipc::UrbLimits>().asReader()), policy::UrbLimits{});
}

// What the worker reads when the broker never set ImportedDevice.limits: the schema's field
// defaults, which must be policy::UrbLimits{}'s and not zeros.
TEST(IpcConvert, UnsetUrbLimitsAreThePolicyDefaults) {
  capnp::MallocMessageBuilder message;
  auto imported = message.initRoot<ipc::ImportedDevice>();
  EXPECT_FALSE(imported.hasLimits());
  EXPECT_EQ(fromCapnp(imported.asReader().getLimits()), policy::UrbLimits{});
}

TEST(IpcConvert, RejectsZeroOrAboveCeilingSizes) {
  for (int field = 0; field < 3; ++field) {
    for (const uint32_t value : {0u, 0xffffffffu}) {
      capnp::MallocMessageBuilder message;
      auto builder = message.initRoot<ipc::UrbLimits>();
      if (field == 0) builder.setMaxTransferSize(value);
      if (field == 1) builder.setMaxBytesInFlight(value);
      if (field == 2) builder.setMaxUrbsInFlight(value);
      EXPECT_THROW(fromCapnp(builder.asReader()), std::invalid_argument)
          << "field " << field << " value " << value;
    }
  }
}

TEST(IpcConvert, RejectsInterfaceListLongerThanAnyDevice) {
  capnp::MallocMessageBuilder message;
  auto builder = message.initRoot<ipc::UrbLimits>();
  builder.initInterfaceNumbers(257);
  EXPECT_THROW(fromCapnp(builder.asReader()), std::invalid_argument);
}

}  // namespace
}  // namespace usbip::ipc
