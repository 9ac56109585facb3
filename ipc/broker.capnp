@0xbf2d72a1c114b5ac;
# The broker-worker trust boundary.
#
# usbip-host (the broker: privileged, never reads a client byte) serves `Broker` on its end of a
# socketpair made for one client connection; usbip-worker (unprivileged, confined, parses every
# byte the remote client sends) is the only caller. The worker is trusted no more than the client
# it talks to: a worker may have been taken over by that client. So the broker re-checks every
# request with the same function the worker used to pre-check it (decideImport in
# broker/export_policy.h, which asks policy::mayImport),
# accepts each method only in the session state where it belongs and only once, and treats
# anything else as fatal for the session (the worker is killed).
#
# File descriptors travel only from broker to worker, as `FdHandle` capabilities (SCM_RIGHTS on
# this socketpair). The broker accepts no descriptors from the worker.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("usbip::ipc");

# The kernel's enum usb_device_speed, as USB/IP carries it.
enum Speed {
  unknown @0;
  low @1;
  full @2;
  high @3;
  wireless @4;
  super @5;
  superPlus @6;
}

# struct usbip_usb_device: what OP_REP_DEVLIST and OP_REP_IMPORT tell the client.
struct DeviceRecord {
  path @0 :Text;
  busid @1 :Text;
  busnum @2 :UInt32;
  devnum @3 :UInt32;
  speed @4 :Speed;
  idVendor @5 :UInt16;
  idProduct @6 :UInt16;
  bcdDevice @7 :UInt16;
  bDeviceClass @8 :UInt8;
  bDeviceSubClass @9 :UInt8;
  bDeviceProtocol @10 :UInt8;
  bConfigurationValue @11 :UInt8;
  bNumConfigurations @12 :UInt8;
  bNumInterfaces @13 :UInt8;
}

# struct usbip_usb_interface.
struct InterfaceRecord {
  bInterfaceClass @0 :UInt8;
  bInterfaceSubClass @1 :UInt8;
  bInterfaceProtocol @2 :UInt8;
}

struct ExportedDevice {
  device @0 :DeviceRecord;
  interfaces @1 :List(InterfaceRecord);
}

# One device the broker offers, with the facts the export decision needs beyond the wire record
# (rule E1: hubs and devices behind vhci_hcd are never exported).
struct ExportCandidate {
  exported @0 :ExportedDevice;
  behindVhci @1 :Bool;
}

# policy/device_attributes.h: what the policy matches and guards against. Interfaces are those
# of every configuration and alternate setting.
struct InterfaceInfo {
  number @0 :UInt8;
  interfaceClass @1 :UInt8;
  subclass @2 :UInt8;
  protocol @3 :UInt8;
}

struct DeviceAttributes {
  busid @0 :Text;
  portPath @1 :Text;
  vid @2 :UInt16;
  pid @3 :UInt16;
  serial @4 :Text;
  deviceClass @5 :UInt8;
  interfaces @6 :List(InterfaceInfo);
  attachedThroughVhci @7 :Bool;
}

# policy/device_policy.h: the rule that governs one device (a policy file, the command line, or
# "nothing allows it"). Absent [match] fields are empty texts with their has* flag false.
struct DevicePolicy {
  name @0 :Text;
  origin @1 :Text;
  file @2 :Text;
  matchLine @3 :UInt32;
  hasBusid @4 :Bool;
  busid @5 :Text;
  hasPortPath @6 :Bool;
  portPath @7 :Text;
  hasVidPid @8 :Bool;
  vid @9 :UInt16;
  pid @10 :UInt16;
  hasSerial @11 :Bool;
  serial @12 :Text;
  deny @13 :Bool;
  connectMode @14 :Bool;       # export.mode = "connect"; else "listen"
  address @15 :Text;           # export.address, empty when none
  allowedPeers @16 :List(Text);  # canonical PeerRule forms: "10.0.0.0/8", "vsock:3", "any"
  limits @17 :UrbLimits;
}

# One device the broker offers to this worker's client, with everything decideImport() reads.
struct OfferedDevice {
  candidate @0 :ExportCandidate;
  attributes @1 :DeviceAttributes;
  policy @2 :DevicePolicy;
}

# A capability whose content is the file descriptor it carries (Capability::Server::getFd). The
# receiver takes the descriptor with Capability::Client::getFd() and dup()s it to keep it.
interface FdHandle {}

# policy/urb_limits.h: the part of the device's policy the worker enforces on the URB stream.
# The broker fills it from the policy that allowed the import; the worker trusts it (it comes
# from the broker) but the reader still bounds every list and range-checks every size, as for any
# IPC field.
#
# The field defaults are policy::UrbLimits{}'s, written out (ipc_test checks that they agree): an
# ImportedDevice whose `limits` the broker never set (a device named on the command line, a
# simulated device) thus means "the policy defaults", never the schema's zeros, which would read as
# a 0-byte transfer cap and no claimable interface. A size of 0 that the broker did write is
# refused by the reader.
struct ControlRequest {
  requestType @0 :UInt8;  # bmRequestType, direction bit included
  request @1 :UInt8;      # bRequest
}

struct UrbLimits {
  maxTransferSize @0 :UInt32 = 16777216;   # kDefaultMaxTransferSize
  maxBytesInFlight @1 :UInt32 = 33554432;  # kDefaultMaxBytesInFlight
  maxUrbsInFlight @2 :UInt32 = 512;        # kDefaultMaxUrbsInFlight
  allowReset @3 :Bool;
  extraControlRequests @4 :List(ControlRequest);
  allInterfaces @5 :Bool = true;
  interfaceNumbers @6 :List(UInt8);
  interfaceClasses @7 :List(UInt8);
  hidOnly @8 :Bool;
  readOnly @9 :Bool;
}

struct ImportedDevice {
  exported @0 :ExportedDevice;  # the record for OP_REP_IMPORT
  limits @3 :UrbLimits;         # what the worker enforces on this device's URB stream
  union {
    # /dev/bus/usb/BBB/DDD opened read-write, kernel drivers detached from the exported
    # interfaces, those interfaces claimed, and usbfs privileges dropped (USBDEVFS_DROP_PRIVILEGES)
    # so that this descriptor can claim nothing else and detach no driver.
    usbfs @1 :FdHandle;
    # A simulated device ("hid", "cdc", "uac"): the worker instantiates it itself; nothing to open.
    simulated @2 :Text;
  }
}

struct ImportResult {
  union {
    device @0 :ImportedDevice;
    # The broker said no; the text says why (for the worker's log). The client gets status 1.
    refused @1 :Text;
  }
}

interface Broker {
  clientConnection @0 () -> (socket :FdHandle, peer :Text, reverseBusid :Text);
  # Called by: the worker, first, exactly once per session.
  # Trust: none needed. Hands over the accepted (or dialled) client socket, which the worker was
  # started to serve; `peer` names the client for the worker's logs. `reverseBusid` is set when
  # the broker dialled the client (usbip-host connect): the one device this connection exports,
  # which an OP_REQ_IMPORT with an empty busid means (docs/protocol.md, "Reverse handshake").

  listDevices @1 () -> (devices :List(OfferedDevice));
  # Called by: the worker, after clientConnection, at most once, for OP_REQ_DEVLIST or to
  # pre-check an OP_REQ_IMPORT with decideImport().
  # Trust: none needed. The broker lists only the devices this connection's client may import
  # now (policy::mayImport with the peer the broker accepted, not one the worker names) and that
  # no other worker holds. Beyond OP_REP_DEVLIST's records it reveals the policy of those
  # devices, which a worker needs to pre-check and grants nothing: the broker decides again.

  importDevice @2 (busid :Text) -> (result :ImportResult);
  # Called by: the worker, after clientConnection, at most once, for OP_REQ_IMPORT.
  # Trust: none. `busid` comes straight from the network client. The broker re-checks it with
  # the worker's pre-check function, decideImport(), on its own table (devices present now, the
  # policy it loaded, the peer it accepted) and against its own state (not imported by another
  # worker), looks the device up again and decides once more on what is there, before it opens
  # anything; a refusal is an answer, never a crash. `limits` of the answer come from the policy
  # the broker used, never from the worker.
}
