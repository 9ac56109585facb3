// vhci_hcd's sysfs layer, against status texts in the kernel's format and a fake sysfs tree.
#include "client-helper/vhci.h"

#include <gtest/gtest.h>

#include "client-helper/errors.h"
#include "client-helper/test_support.h"
#include "client-helper/vhci_status.h"

namespace usbip::client::test {
namespace {

using proto::Speed;

TEST(VhciStatus, ParsesBothRootHubsAndUsedPorts) {
  const std::string text = "hub port sta spd dev      sockfd local_busid\n" +
                           statusLine("hs", 0, kPortUsed, 3, 0x00010002, 3, "3-1") +
                           statusLine("hs", 1) + statusLine("ss", 2) +
                           statusLine("ss", 3, kPortNotAssigned, 5, 0x00020003, 4, "4-1");
  const auto ports = parseVhciStatus(text, "status");
  ASSERT_EQ(ports.size(), 4u);
  EXPECT_EQ(ports[0], (VhciPort{HubSpeed::kHigh, 0, kPortUsed, 3, 0x00010002, 3, "3-1"}));
  EXPECT_TRUE(ports[1].isFree());
  EXPECT_EQ(ports[1].hub, HubSpeed::kHigh);
  EXPECT_EQ(ports[2].hub, HubSpeed::kSuper);
  EXPECT_EQ(ports[2].localBusid, "0-0");
  EXPECT_EQ(ports[3], (VhciPort{HubSpeed::kSuper, 3, kPortNotAssigned, 5, 0x00020003, 4, "4-1"}));
  EXPECT_FALSE(ports[3].isFree());
}

TEST(VhciStatus, ParsesTheFullDefaultController) {
  const auto ports = parseVhciStatus(freeStatus(1, 8), "status.1");
  ASSERT_EQ(ports.size(), 16u);
  EXPECT_EQ(ports.front().port, 16u);
  EXPECT_EQ(ports[7].hub, HubSpeed::kHigh);
  EXPECT_EQ(ports[8].hub, HubSpeed::kSuper);
  EXPECT_EQ(ports.back().port, 31u);
}

TEST(VhciStatus, RejectsTextThatIsNotTheKernelFormat) {
  // Kernels before 4.13: no hub column.
  EXPECT_THROW(parseVhciStatus("port sta spd dev      socket           local_busid\n"
                               "0000 004 000 00000000 0000000000000000 0-0\n",
                               "status"),
               std::runtime_error);
  EXPECT_THROW(parseVhciStatus("", "status"), std::runtime_error);
  const std::string header = "hub port sta spd dev      sockfd local_busid\n";
  EXPECT_THROW(parseVhciStatus(header + "xs  0000 004 000 00000000 000000 0-0\n", "status"),
               std::runtime_error);
  EXPECT_THROW(parseVhciStatus(header + "hs  00x0 004 000 00000000 000000 0-0\n", "status"),
               std::runtime_error);
  EXPECT_THROW(parseVhciStatus(header + "hs  0000 004 000 0000zz00 000000 0-0\n", "status"),
               std::runtime_error);
  EXPECT_THROW(parseVhciStatus(header + "hs  0000 004 000 00000000 000000\n", "status"),
               std::runtime_error);
  try {
    parseVhciStatus(header + "hs  0000 004\n", "the/status");
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("the/status line 2"), std::string::npos) << e.what();
  }
}

TEST(VhciStatus, UsbTwoSpeedsUseTheHighSpeedHubAndUsbThreeSpeedsTheSuperSpeedHub) {
  EXPECT_EQ(hubSpeedFor(Speed::kLow), HubSpeed::kHigh);
  EXPECT_EQ(hubSpeedFor(Speed::kFull), HubSpeed::kHigh);
  EXPECT_EQ(hubSpeedFor(Speed::kHigh), HubSpeed::kHigh);
  EXPECT_EQ(hubSpeedFor(Speed::kWireless), HubSpeed::kHigh);
  EXPECT_EQ(hubSpeedFor(Speed::kSuper), HubSpeed::kSuper);
  EXPECT_EQ(hubSpeedFor(Speed::kSuperPlus), HubSpeed::kSuper);
}

TEST(VhciStatus, ChoosesTheLowestFreePortOfTheRightHub) {
  auto ports = parseVhciStatus(freeStatus(0, 4), "status");
  EXPECT_EQ(chooseFreePort(ports, HubSpeed::kHigh), 0u);
  EXPECT_EQ(chooseFreePort(ports, HubSpeed::kSuper), 4u);
  ports[0].status = kPortUsed;
  ports[1].status = kPortNotAssigned;
  ports[4].status = kPortError;
  EXPECT_EQ(chooseFreePort(ports, HubSpeed::kHigh), 2u);
  EXPECT_EQ(chooseFreePort(ports, HubSpeed::kSuper), 5u);
}

TEST(VhciStatus, NoFreePortWhenTheRightHubIsFull) {
  auto ports = parseVhciStatus(freeStatus(0, 2), "status");
  ports[0].status = kPortUsed;
  ports[1].status = kPortUsed;
  EXPECT_EQ(chooseFreePort(ports, HubSpeed::kHigh), std::nullopt);
  EXPECT_EQ(chooseFreePort(ports, HubSpeed::kSuper), 2u);
}

TEST(VhciStatus, AttachLineIsPortSockfdDevidSpeedInDecimal) {
  EXPECT_EQ(attachLine(9, 7, 0x00010002, Speed::kSuper), "9 7 65538 5");
  EXPECT_EQ(attachLine(0, 3, 0x00030001, Speed::kLow), "0 3 196609 1");
}

TEST(Vhci, ReadsEveryControllersStatusFile) {
  FakeVhci fake(3, 8);
  const auto ports = Vhci(fake.platformDir()).ports();
  ASSERT_EQ(ports.size(), 48u);
  for (uint32_t i = 0; i < ports.size(); ++i)
    EXPECT_EQ(ports[i].port, i);
}

TEST(Vhci, SaysToLoadTheModuleWhenItIsMissing) {
  TempDir empty;
  const Vhci vhci(empty.path());
  try {
    vhci.ports();
    FAIL() << "no error";
  } catch (const VhciNotLoaded& e) {
    EXPECT_NE(std::string(e.what()).find("modprobe vhci-hcd"), std::string::npos) << e.what();
  }
  EXPECT_THROW(vhci.requireWriteAccess(), VhciNotLoaded);
}

TEST(Vhci, AttachesAHighSpeedDeviceToTheFirstFreeHighSpeedPort) {
  FakeVhci fake(1, 8);
  fake.setStatus(0, "hub port sta spd dev      sockfd local_busid\n" +
                        statusLine("hs", 0, kPortUsed, 3, 0x10001, 3, "3-1") + statusLine("hs", 1) +
                        statusLine("ss", 2));
  const auto [mine, theirs] = socketPair();
  const uint32_t port = Vhci(fake.platformDir()).attach(mine, 0x00010002, Speed::kHigh);
  EXPECT_EQ(port, 1u);
  EXPECT_EQ(fake.attachWrites(), "1 " + std::to_string(mine.get()) + " 65538 3");
}

TEST(Vhci, AttachesASuperSpeedDeviceToASuperSpeedPort) {
  FakeVhci fake(2, 8);
  const auto [mine, theirs] = socketPair();
  const uint32_t port = Vhci(fake.platformDir()).attach(mine, 0x00020005, Speed::kSuperPlus);
  EXPECT_EQ(port, 8u);
  EXPECT_EQ(fake.attachWrites(), "8 " + std::to_string(mine.get()) + " 131077 6");
}

TEST(Vhci, UsesTheNextControllerWhenTheFirstIsFull) {
  FakeVhci fake(2, 1);
  fake.setStatus(0, "hub port sta spd dev      sockfd local_busid\n" +
                        statusLine("hs", 0, kPortUsed, 2, 0x10001, 3, "3-1") + statusLine("ss", 1));
  const auto [mine, theirs] = socketPair();
  EXPECT_EQ(Vhci(fake.platformDir()).attach(mine, 0x00010002, Speed::kFull), 2u);
}

TEST(Vhci, AllPortsOfTheNeededHubFullIsAClearErrorAndNothingIsWritten) {
  FakeVhci fake(1, 2);
  fake.setStatus(0, "hub port sta spd dev      sockfd local_busid\n" +
                        statusLine("hs", 0, kPortUsed, 3, 0x10001, 3, "3-1") +
                        statusLine("hs", 1, kPortUsed, 3, 0x10002, 4, "3-2") + statusLine("ss", 2) +
                        statusLine("ss", 3));
  const auto [mine, theirs] = socketPair();
  try {
    Vhci(fake.platformDir()).attach(mine, 0x00010003, Speed::kHigh);
    FAIL() << "no error";
  } catch (const NoFreePort& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("no free vhci_hcd port"), std::string::npos) << message;
    EXPECT_NE(message.find("all 2 hs ports are in use"), std::string::npos) << message;
  }
  EXPECT_EQ(fake.attachWrites(), "");
}

TEST(Vhci, DetachWritesThePortNumber) {
  FakeVhci fake(1, 8);
  fake.setStatus(0, "hub port sta spd dev      sockfd local_busid\n" + statusLine("hs", 0) +
                        statusLine("ss", 1, kPortUsed, 5, 0x10002, 3, "4-1"));
  Vhci(fake.platformDir()).detach(1);
  EXPECT_EQ(fake.detachWrites(), "1");
}

TEST(Vhci, DetachRefusesAFreeOrMissingPort) {
  FakeVhci fake(1, 2);
  const Vhci vhci(fake.platformDir());
  EXPECT_THROW(vhci.detach(0), std::runtime_error);
  EXPECT_THROW(vhci.detach(4), std::runtime_error);
  EXPECT_EQ(fake.detachWrites(), "");
}

}  // namespace
}  // namespace usbip::client::test
