// The commands end to end, against a scripted server on a real unix socket and a fake vhci_hcd
// sysfs tree: a reply that breaks a rule attaches nothing (R2); a good one attaches to a port of
// the right speed and records where the device came from.
#include "client-helper/commands/commands.h"

#include <gtest/gtest.h>

#include <sstream>

#include "client-helper/errors.h"
#include "client-helper/port_record.h"
#include "client-helper/test_support.h"
#include "client-helper/vhci_status.h"
#include "protocol/errors.h"

namespace usbip::client::test {
namespace {

namespace off = reply_offset;
constexpr size_t kImportRequestSize = 40;

// Whether vhci's attach file received "PORT SOCKFD DEVID SPEED" with these values (any sockfd).
::testing::AssertionResult attachedAs(const std::string& written, uint32_t port, uint32_t devid,
                                      uint32_t speed) {
  std::istringstream in(written);
  uint32_t values[4] = {};
  for (auto& value : values)
    in >> value;
  std::string rest;
  if (!in.fail() && !(in >> rest) && values[0] == port && values[2] == devid &&
      values[3] == speed) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "attach file holds '" << written << "'";
}

class Commands : public ::testing::Test {
 protected:
  Commands() {
    invocation.sysfsDir = vhci.platformDir();
    invocation.stateDir = vhci.stateDir();
    invocation.timeout = std::chrono::milliseconds(500);
    invocation.address = parseAddress("unix:" + (sockets.path() / "server.sock").string());
    listener = listenOn(invocation.address);
  }

  Invocation attach(const std::string& busid) {
    Invocation inv = invocation;
    inv.command = Command::kAttach;
    inv.busid = busid;
    return inv;
  }

  std::filesystem::path record(uint32_t port) const {
    return vhci.stateDir() / ("port" + std::to_string(port));
  }

  FakeVhci vhci;
  TempDir sockets;
  Invocation invocation;
  UniqueFd listener;
  std::ostringstream out;
};

TEST_F(Commands, R2_AMalformedImportReplyAttachesNothing) {
  const Bytes good = importReply(sampleDevice());
  const std::vector<std::pair<std::string, Bytes>> cases = {
      {"bad version", patch32(good, off::kVersion, 0x01000003)},
      {"wrong code", patch32(good, off::kVersion, 0x01110005)},
      {"busid without NUL", fill(good, off::kBusid, 32, 'A')},
      {"unknown speed", patch32(good, off::kSpeed, 9)},
      {"busnum out of range", patch32(good, off::kBusnum, 0x10000)},
      {"devnum out of range", patch32(good, off::kDevnum, 0)},
      {"another device", importReply([] {
         auto d = sampleDevice();
         d.busid = "9-9";
         return d;
       }())},
      {"truncated", Bytes(good.begin(), good.begin() + 100)},
  };
  for (const auto& [name, reply] : cases) {
    ScriptedPeer server(listener, invocation.address, kImportRequestSize, reply,
                        /*closeAfterReply=*/true);
    EXPECT_THROW(runAttach(attach("1-1"), out), proto::ProtocolError) << name;
    EXPECT_EQ(vhci.attachWrites(), "") << name;
    EXPECT_FALSE(std::filesystem::exists(record(0))) << name;
  }
}

TEST_F(Commands, R2_ARefusedImportAttachesNothing) {
  ScriptedPeer server(listener, invocation.address, kImportRequestSize,
                      encoded(proto::OpRepImport{4, {}}));
  try {
    runAttach(attach("1-1"), out);
    FAIL() << "no error";
  } catch (const ImportRefused& e) {
    EXPECT_NE(std::string(e.what()).find("device not found (not exported)"), std::string::npos);
  }
  EXPECT_EQ(vhci.attachWrites(), "");
}

TEST_F(Commands, AttachImportsAttachesAndRecords) {
  ScriptedPeer server(listener, invocation.address, kImportRequestSize,
                      importReply(sampleDevice(proto::Speed::kHigh)));
  EXPECT_EQ(runAttach(attach("1-1"), out), kExitOk);
  EXPECT_TRUE(attachedAs(vhci.attachWrites(), 0, 65538, 3));
  EXPECT_EQ(out.str(),
            "attached 1-1 (0525:a4a0) from " + invocation.address.toString() + " on port 0\n");
  EXPECT_EQ(readFile(record(0)), "unix:" + invocation.address.path + " - 1-1\n");
  Bytes expectedRequest = {0x01, 0x11, 0x80, 0x03, 0, 0, 0, 0, '1', '-', '1'};
  expectedRequest.resize(kImportRequestSize);
  EXPECT_EQ(server.request(), expectedRequest);
}

TEST_F(Commands, AttachPutsASuperSpeedDeviceOnASuperSpeedPortAndSpeaksJson) {
  ScriptedPeer server(listener, invocation.address, kImportRequestSize,
                      importReply(sampleDevice(proto::Speed::kSuper)));
  auto inv = attach("1-1");
  inv.json = true;
  EXPECT_EQ(runAttach(inv, out), kExitOk);
  EXPECT_TRUE(attachedAs(vhci.attachWrites(), 8, 65538, 5));
  EXPECT_EQ(out.str().rfind("{\"port\":8,\"remote\":\"unix:", 0), 0u) << out.str();
  EXPECT_NE(out.str().find("\"speed\":\"super\""), std::string::npos) << out.str();
}

TEST_F(Commands, AttachWithEveryPortOfTheSpeedTakenIsAClearError) {
  std::string status = "hub port sta spd dev      sockfd local_busid\n";
  for (uint32_t p = 0; p < 8; ++p)
    status += statusLine("hs", p, kPortUsed, 3, 0x10001 + p, 3, "3-1");
  for (uint32_t p = 8; p < 16; ++p)
    status += statusLine("ss", p);
  vhci.setStatus(0, status);
  ScriptedPeer server(listener, invocation.address, kImportRequestSize,
                      importReply(sampleDevice(proto::Speed::kFull)));
  EXPECT_THROW(runAttach(attach("1-1"), out), NoFreePort);
  EXPECT_EQ(vhci.attachWrites(), "");
}

TEST_F(Commands, AttachWithoutVhciFailsBeforeDialling) {
  TempDir empty;
  auto inv = attach("1-1");
  inv.sysfsDir = empty.path();
  inv.address = parseAddress("unix:" + (empty.path() / "nobody.sock").string());
  EXPECT_THROW(runAttach(inv, out), VhciNotLoaded);
}

TEST_F(Commands, PortShowsUsedPortsWithTheirRemote) {
  vhci.setStatus(0, "hub port sta spd dev      sockfd local_busid\n" + statusLine("hs", 0) +
                        statusLine("hs", 1, kPortUsed, 3, 0x00010002, 5, "3-2") +
                        statusLine("ss", 2, kPortUsed, 5, 0x00020003, 6, "4-1"));
  PortRecords(vhci.stateDir()).write(1, PortRecord{"server", "3240", "1-1"});
  Invocation inv = invocation;
  inv.command = Command::kPort;
  EXPECT_EQ(runPort(inv, out), kExitOk);
  EXPECT_EQ(out.str(),
            "PORT  HUB  STATE   SPEED  LOCAL-BUSID  REMOTE-BUS/DEV  REMOTE           REMOTE-BUSID\n"
            "1     hs   in use  high   3-2          001/002         tcp:server:3240  1-1\n"
            "2     ss   in use  super  4-1          002/003         unknown          unknown\n");

  std::ostringstream json;
  inv.json = true;
  runPort(inv, json);
  EXPECT_EQ(json.str(),
            "{\"ports\":[{\"port\":1,\"hub\":\"hs\",\"state\":\"in use\",\"speed\":\"high\","
            "\"localBusid\":\"3-2\",\"remoteBusnum\":1,\"remoteDevnum\":2,"
            "\"remote\":\"tcp:server:3240\",\"remoteBusid\":\"1-1\"},"
            "{\"port\":2,\"hub\":\"ss\",\"state\":\"in use\",\"speed\":\"super\","
            "\"localBusid\":\"4-1\",\"remoteBusnum\":2,\"remoteDevnum\":3,"
            "\"remote\":null,\"remoteBusid\":null}]}\n");
}

TEST_F(Commands, PortWithNothingAttached) {
  Invocation inv = invocation;
  inv.command = Command::kPort;
  runPort(inv, out);
  EXPECT_EQ(out.str(), "no devices attached (16 vhci_hcd ports, all free)\n");
}

TEST_F(Commands, DetachWritesThePortAndRemovesItsRecord) {
  vhci.setStatus(0, "hub port sta spd dev      sockfd local_busid\n" + statusLine("hs", 0) +
                        statusLine("hs", 1, kPortUsed, 3, 0x00010002, 5, "3-2"));
  PortRecords(vhci.stateDir()).write(1, PortRecord{"server", "3240", "1-1"});
  Invocation inv = invocation;
  inv.command = Command::kDetach;
  inv.port = 1;
  EXPECT_EQ(runDetach(inv, out), kExitOk);
  EXPECT_EQ(vhci.detachWrites(), "1");
  EXPECT_FALSE(std::filesystem::exists(record(1)));
  EXPECT_EQ(out.str(), "detached port 1\n");
}

proto::OpRepDevlist twoDevices() {
  proto::ExportedDevice mouse{sampleDevice(proto::Speed::kLow), {{3, 1, 2}}};
  mouse.device.busid = "1-1";
  mouse.device.idVendor = 0x046d;
  mouse.device.idProduct = 0xc077;
  proto::ExportedDevice disk{sampleDevice(proto::Speed::kSuper), {{8, 6, 0x50}, {0xff, 0, 0}}};
  disk.device.busid = "2-3.1\x1b[2J";  // a hostile busid must not reach the terminal raw
  disk.device.bNumInterfaces = 2;
  return {0, {mouse, disk}};
}

TEST_F(Commands, ListShowsTheExportedDevices) {
  ScriptedPeer server(listener, invocation.address, 8, encoded(twoDevices()), true);
  Invocation inv = invocation;
  inv.command = Command::kList;
  EXPECT_EQ(runList(inv, out), kExitOk);
  EXPECT_EQ(out.str(),
            "BUSID         VID:PID    SPEED  CLASS     INTERFACES\n"
            "1-1           046d:c077  low    00/00/00  03/01/02\n"
            "2-3.1\\x1b[2J  0525:a4a0  super  00/00/00  08/06/50,ff/00/00\n");
}

TEST_F(Commands, ListSpeaksJson) {
  ScriptedPeer server(listener, invocation.address, 8, encoded(twoDevices()), true);
  Invocation inv = invocation;
  inv.command = Command::kList;
  inv.json = true;
  runList(inv, out);
  const std::string json = out.str();
  EXPECT_EQ(json.rfind("{\"server\":\"unix:", 0), 0u) << json;
  EXPECT_NE(json.find("\"busid\":\"2-3.1\\u001b[2J\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"interfaces\":[{\"class\":\"08/06/50\"},{\"class\":\"ff/00/00\"}]"),
            std::string::npos)
      << json;
}

}  // namespace
}  // namespace usbip::client::test
