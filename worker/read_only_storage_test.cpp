// guards.read_only through the engine: a Bulk-Only mass-storage device (the fake backend playing
// it), a client speaking Bulk-Only Transport as usb-storage does, over a real socketpair.
#include "worker/read_only_storage.h"

#include <gtest/gtest.h>

#include <cerrno>

#include "worker/engine_test_fixture.h"
#include "worker/engine_test_requests.h"
#include "worker/little_endian.h"

namespace usbip::worker {
namespace {

using proto::Direction;
using testing::control;
using testing::setupBytes;
using testing::submit;

constexpr uint32_t kBulkIn = 1;   // 0x81
constexpr uint32_t kBulkOut = 2;  // 0x02

// High speed, one configuration: interface 0, SCSI over Bulk-Only, bulk IN 0x81, bulk OUT 0x02.
DeviceDescription storageDescription(uint8_t protocol = 0x50) {
  DeviceDescription description = testing::testDeviceDescription();
  description.exported.device.bNumConfigurations = 1;
  description.exported.device.bNumInterfaces = 1;
  description.exported.interfaces = {{0x08, 0x06, protocol}};
  description.configurations = {testing::ConfigBytes(1)
                                    .interface(0, 0, 2, 0x08, 0x06, protocol)
                                    .endpoint(0x81, testing::attributes::kBulk, 512)
                                    .endpoint(0x02, testing::attributes::kBulk, 512)
                                    .bytes()};
  return description;
}

std::vector<uint8_t> cbw(uint32_t tag, uint32_t dataLength, bool in, std::vector<uint8_t> command) {
  std::vector<uint8_t> bytes(31, 0);
  writeLe32(bytes, 0, 0x43425355);
  writeLe32(bytes, 4, tag);
  writeLe32(bytes, 8, dataLength);
  bytes[12] = in ? 0x80 : 0x00;
  bytes[14] = static_cast<uint8_t>(command.size());
  std::copy(command.begin(), command.end(), bytes.begin() + 15);
  return bytes;
}

std::vector<uint8_t> read10(uint32_t blocks) {
  return {0x28, 0, 0, 0, 0, 0, 0, 0, static_cast<uint8_t>(blocks), 0};
}
std::vector<uint8_t> write10(uint32_t blocks) {
  return {0x2a, 0, 0, 0, 0, 0, 0, 0, static_cast<uint8_t>(blocks), 0};
}
const std::vector<uint8_t> kRequestSense = {0x03, 0, 0, 0, 18, 0};

class ReadOnlyStorageTest : public testing::EngineFixture {
 protected:
  ReadOnlyStorageTest() : EngineFixture(storageDescription()) {
    backend.responder = [](const Transfer& transfer) {
      return std::optional(testing::FakeBackend::fullResult(transfer));
    };
  }

  void startReadOnly(bool readOnly = true) {
    UrbEngineOptions options;
    options.policy.readOnly = readOnly;
    start(options);
  }

  proto::RetSubmit out(std::vector<uint8_t> data) {
    const auto length = static_cast<int32_t>(data.size());
    client->send(submit(next++, kBulkOut, Direction::kOut, length, std::move(data)));
    return client->receiveRetSubmit();
  }
  proto::RetSubmit in(int32_t length) {
    client->send(submit(next++, kBulkIn, Direction::kIn, length));
    return client->receiveRetSubmit();
  }
  // The CSW the client reads, checked for what usb-storage checks: signature, tag, status.
  void expectCsw(uint32_t tag, uint32_t residue, uint8_t status) {
    proto::RetSubmit reply = in(13);
    ASSERT_EQ(reply.status, 0);
    ASSERT_EQ(reply.payload.size(), 13u);
    EXPECT_EQ(le32(reply.payload, 0), 0x53425355u);
    EXPECT_EQ(le32(reply.payload, 4), tag);
    EXPECT_EQ(le32(reply.payload, 8), residue);
    EXPECT_EQ(reply.payload[12], status);
  }

  uint32_t next = 1;
};

TEST_F(ReadOnlyStorageTest, RefusedWriteThenSenseThenASuccessfulRead) {
  startReadOnly();
  // WRITE(10) of 8 blocks: the CBW and its 4096 data bytes are taken, none reach the device.
  proto::RetSubmit command = out(cbw(7, 4096, false, write10(8)));
  EXPECT_EQ(command.status, 0);
  EXPECT_EQ(command.actual_length, 31);
  proto::RetSubmit data = out(std::vector<uint8_t>(4096, 0xee));
  EXPECT_EQ(data.status, 0);
  EXPECT_EQ(data.actual_length, 4096);
  expectCsw(7, 4096, 1);  // command failed, nothing processed
  EXPECT_EQ(backend.submittedCount(), 0u);

  // usb-storage's automatic REQUEST SENSE, answered by the guard: DATA PROTECT, WRITE PROTECTED.
  EXPECT_EQ(out(cbw(8, 18, true, kRequestSense)).status, 0);
  proto::RetSubmit sense = in(18);
  EXPECT_EQ(sense.status, 0);
  ASSERT_EQ(sense.payload.size(), 18u);
  EXPECT_EQ(sense.payload[0], 0x70);
  EXPECT_EQ(sense.payload[2] & 0x0f, 0x07);
  EXPECT_EQ(sense.payload[7], 10);
  EXPECT_EQ(sense.payload[12], 0x27);
  EXPECT_EQ(sense.payload[13], 0x00);
  expectCsw(8, 0, 0);
  EXPECT_EQ(backend.submittedCount(), 0u);

  // A read goes to the device, unchanged, and so does its CSW.
  const std::vector<uint8_t> read = cbw(9, 512, true, read10(1));
  EXPECT_EQ(out(read).status, 0);
  proto::RetSubmit block = in(512);
  EXPECT_EQ(block.status, 0);
  ASSERT_EQ(block.payload.size(), 512u);
  EXPECT_EQ(block.payload[3], static_cast<uint8_t>(3 * 7 + 0x81));  // the device's data
  in(13);
  auto transfers = backend.submitted();
  ASSERT_EQ(transfers.size(), 3u);
  EXPECT_EQ(transfers[0].endpoint, 0x02);
  EXPECT_EQ(transfers[0].data, read);
  EXPECT_EQ(transfers[1].endpoint, 0x81);
  EXPECT_EQ(transfers[1].data.size(), 512u);
  EXPECT_EQ(transfers[2].endpoint, 0x81);
  EXPECT_EQ(transfers[2].data.size(), 13u);
  EXPECT_EQ(closeAndWait().stats.refused, 1u);
}

TEST_F(ReadOnlyStorageTest, WritesPassWithoutTheGuard) {
  startReadOnly(false);
  out(cbw(1, 512, false, write10(1)));
  out(std::vector<uint8_t>(512, 0xee));
  EXPECT_EQ(backend.submittedCount(), 2u);
}

TEST_F(ReadOnlyStorageTest, ModeSenseRepliesSayWriteProtected) {
  // The device answers 16 of 192 bytes; usb-storage's URB_SHORT_NOT_OK makes that -EREMOTEIO.
  backend.responder = [](const Transfer& transfer) {
    TransferResult result = testing::FakeBackend::fullResult(transfer);
    if (transfer.data.size() == 192) {
      result.status = -EREMOTEIO;
      result.actualLength = 16;
    }
    return std::optional(result);
  };
  startReadOnly();
  out(cbw(1, 192, true, {0x1a, 0, 0x3f, 0, 192, 0}));  // MODE SENSE(6)
  client->send(submit(next++, kBulkIn, Direction::kIn, 192));
  proto::RetSubmit six = client->receiveRetSubmit();
  EXPECT_EQ(six.status, -EREMOTEIO);
  ASSERT_EQ(six.payload.size(), 16u);
  EXPECT_EQ(six.payload[2], static_cast<uint8_t>((2 * 7 + 0x81) | 0x80));
  EXPECT_EQ(six.payload[1], static_cast<uint8_t>(1 * 7 + 0x81));  // the rest untouched
  in(13);
  out(cbw(2, 8, true, {0x5a, 0, 0x3f, 0, 0, 0, 0, 0, 8, 0}));  // MODE SENSE(10)
  proto::RetSubmit ten = in(8);
  ASSERT_EQ(ten.payload.size(), 8u);
  EXPECT_EQ(ten.payload[3], static_cast<uint8_t>((3 * 7 + 0x81) | 0x80));
  EXPECT_EQ(ten.payload[2], static_cast<uint8_t>(2 * 7 + 0x81));
}

TEST_F(ReadOnlyStorageTest, AnythingButOneValidCbwIsStalled) {
  startReadOnly();
  std::vector<uint8_t> shortCbw = cbw(1, 0, false, {0x00, 0, 0, 0, 0, 0});
  shortCbw.pop_back();
  EXPECT_EQ(out(shortCbw).status, -EPIPE);
  std::vector<uint8_t> badSignature = cbw(2, 0, false, {0x00, 0, 0, 0, 0, 0});
  badSignature[0] = 0x56;
  EXPECT_EQ(out(badSignature).status, -EPIPE);
  std::vector<uint8_t> twoCbws = cbw(3, 0, false, {0x00, 0, 0, 0, 0, 0});
  const auto copy = twoCbws;
  twoCbws.insert(twoCbws.end(), copy.begin(), copy.end());
  EXPECT_EQ(out(twoCbws).status, -EPIPE);
  EXPECT_EQ(backend.submittedCount(), 0u);
  // TEST UNIT READY as one valid CBW passes.
  EXPECT_EQ(out(cbw(4, 0, false, {0x00, 0, 0, 0, 0, 0})).status, 0);
  EXPECT_EQ(backend.submittedCount(), 1u);
}

TEST_F(ReadOnlyStorageTest, AllowedCommandWithADataOutStageIsRefused) {
  startReadOnly();
  // VERIFY(10) with BYTCHK sends data the device takes; none may reach it.
  out(cbw(5, 512, false, {0x2f, 0x02, 0, 0, 0, 0, 0, 0, 1, 0}));
  EXPECT_EQ(out(std::vector<uint8_t>(512, 0)).actual_length, 512);
  expectCsw(5, 512, 1);
  EXPECT_EQ(backend.submittedCount(), 0u);
}

TEST_F(ReadOnlyStorageTest, RefusedCommandWithADataInStageEndsItShort) {
  startReadOnly();
  out(cbw(6, 512, true, {0x85, 0x08, 0x0e, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0xec, 0}));
  proto::RetSubmit data = in(512);
  EXPECT_EQ(data.status, 0);
  EXPECT_EQ(data.actual_length, 0);
  expectCsw(6, 512, 1);
  EXPECT_EQ(backend.submittedCount(), 0u);
}

TEST_F(ReadOnlyStorageTest, CommandAfterTheRefusedOneClearsItsSense) {
  startReadOnly();
  out(cbw(1, 0, false, {0x1b, 0, 0, 0, 0x02, 0}));  // START STOP UNIT, eject
  expectCsw(1, 0, 1);
  out(cbw(2, 0, false, {0x00, 0, 0, 0, 0, 0}));  // TEST UNIT READY: to the device
  in(13);
  out(cbw(3, 18, true, kRequestSense));  // the device's own sense now
  in(18);
  auto transfers = backend.submitted();
  ASSERT_EQ(transfers.size(), 4u);  // TEST UNIT READY, its CSW, REQUEST SENSE, the sense
  EXPECT_EQ(transfers[2].data, cbw(3, 18, true, kRequestSense));
  EXPECT_EQ(transfers[3].endpoint, 0x81);
}

TEST_F(ReadOnlyStorageTest, BulkOnlyResetEndsADiscardedDataStage) {
  startReadOnly();
  out(cbw(1, 4096, false, write10(8)));
  client->send(control(next++, setupBytes(0x21, 0xff, 0, 0, 0)));  // Bulk-Only Mass Storage Reset
  EXPECT_EQ(client->receiveRetSubmit().status, 0);
  // Not taken as the write's data: a command again, and an allowed one reaches the device.
  const std::vector<uint8_t> read = cbw(2, 512, true, read10(1));
  out(read);
  auto transfers = backend.submitted();
  ASSERT_EQ(transfers.size(), 2u);
  EXPECT_EQ(transfers[0].setup, setupBytes(0x21, 0xff, 0, 0, 0));
  EXPECT_EQ(transfers[1].data, read);
}

// Only Bulk-Only Transport can be inspected; a UAS interface is not claimable when read-only.
class ReadOnlyUasTest : public testing::EngineFixture {
 protected:
  ReadOnlyUasTest() : EngineFixture(storageDescription(0x62)) {}
};

TEST_F(ReadOnlyUasTest, UasInterfaceIsNotUsable) {
  UrbEngineOptions options;
  options.policy.readOnly = true;
  start(options);
  client->send(submit(1, kBulkOut, Direction::kOut, 31, cbw(1, 512, false, write10(1))));
  EXPECT_EQ(client->receiveRetSubmit().status, -EACCES);
  EXPECT_EQ(backend.submittedCount(), 0u);
}

TEST(ReadOnlyStorageGuard, WriteProtectBitIsNotSetInACsw) {
  std::vector<uint8_t> csw = {0x55, 0x53, 0x42, 0x53, 1, 0, 0, 0, 0, 0, 0, 0, 0};
  const auto copy = csw;
  setWriteProtect(csw, 2);
  EXPECT_EQ(csw, copy);
  std::vector<uint8_t> header = {3, 0, 0, 0};
  setWriteProtect(header, 2);
  EXPECT_EQ(header[2], 0x80);
  std::vector<uint8_t> tooShort = {3, 0};
  setWriteProtect(tooShort, 2);
  EXPECT_EQ(tooShort, (std::vector<uint8_t>{3, 0}));
}

}  // namespace
}  // namespace usbip::worker
