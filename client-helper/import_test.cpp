// The client side of the handshake against rule R1: every malformed reply is a typed error that
// names the rule and the field, whether it comes as bytes or over a real socket.
#include "client-helper/import.h"

#include <gtest/gtest.h>

#include "client-helper/errors.h"
#include "client-helper/test_support.h"
#include "protocol/errors.h"

namespace usbip::client::test {
namespace {

using proto::Rule;
namespace off = reply_offset;

constexpr size_t kImportRequestSize = 8 + 32;
constexpr size_t kDevlistRequestSize = 8;

template <typename Call>
::testing::AssertionResult violates(Call&& call, Rule rule, const std::string& field) {
  try {
    call();
  } catch (const proto::ProtocolError& e) {
    if (e.rule() == rule && e.field() == field) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "expected rule " << proto::ruleName(rule) << " field "
                                         << field << ", got " << e.what();
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure() << "not a ProtocolError: " << e.what();
  }
  return ::testing::AssertionFailure() << "accepted";
}

::testing::AssertionResult importRejects(const Bytes& reply, const std::string& field,
                                         std::string_view busid = "1-1") {
  return violates([&] { parseImportReply(reply, busid, proto::Limits{}); }, Rule::R1, field);
}

const Bytes kGoodReply = importReply(sampleDevice());

TEST(ImportReply, AcceptsAWellFormedReplyForTheRequestedDevice) {
  const auto imported = parseImportReply(kGoodReply, "1-1", proto::Limits{});
  EXPECT_EQ(imported.device(), sampleDevice());
}

TEST(ImportReply, R1_RejectsWrongVersion) {
  EXPECT_TRUE(importRejects(patch32(kGoodReply, off::kVersion, 0x01100003), "version"));
  EXPECT_TRUE(importRejects(patch32(kGoodReply, off::kVersion, 0x00000003), "version"));
}

TEST(ImportReply, R1_RejectsWrongCode) {
  EXPECT_TRUE(importRejects(patch32(kGoodReply, off::kVersion, 0x01110005), "code"));  // DEVLIST
  EXPECT_TRUE(importRejects(patch32(kGoodReply, off::kVersion, 0x01118003), "code"));  // a request
}

TEST(ImportReply, R1_StatusOtherThanZeroIsARefusalNamingTheStatus) {
  const Bytes refused = encoded(proto::OpRepImport{4, {}});
  try {
    parseImportReply(refused, "1-1", proto::Limits{});
    FAIL() << "accepted";
  } catch (const ImportRefused& e) {
    EXPECT_EQ(e.status(), 4u);
    const std::string message = e.what();
    EXPECT_NE(message.find("'1-1'"), std::string::npos) << message;
    EXPECT_NE(message.find("not exported"), std::string::npos) << message;
  }
  EXPECT_THROW(parseImportReply(encoded(proto::OpRepImport{0xdeadbeef, {}}), "1-1", {}),
               ImportRefused);
}

TEST(ImportReply, R1_RejectsBusidWithoutNul) {
  EXPECT_TRUE(importRejects(fill(kGoodReply, off::kBusid, 32, 'x'), "busid"));
}

TEST(ImportReply, R1_RejectsPathWithoutNul) {
  EXPECT_TRUE(importRejects(fill(kGoodReply, off::kPath, 256, '/'), "path"));
}

TEST(ImportReply, R1_RejectsUnknownSpeed) {
  EXPECT_TRUE(importRejects(patch32(kGoodReply, off::kSpeed, 0), "speed"));
  EXPECT_TRUE(importRejects(patch32(kGoodReply, off::kSpeed, 7), "speed"));
  EXPECT_TRUE(importRejects(patch32(kGoodReply, off::kSpeed, 0xffffffff), "speed"));
}

TEST(ImportReply, R1_RejectsBusnumOutOfRange) {
  EXPECT_TRUE(importRejects(patch32(kGoodReply, off::kBusnum, 0x10000), "busnum"));
}

TEST(ImportReply, R1_RejectsDevnumOutOfRange) {
  EXPECT_TRUE(importRejects(patch32(kGoodReply, off::kDevnum, 0), "devnum"));
  EXPECT_TRUE(importRejects(patch32(kGoodReply, off::kDevnum, 128), "devnum"));
}

TEST(ImportReply, R1_RejectsAReplyForAnotherDevice) {
  EXPECT_TRUE(importRejects(kGoodReply, "busid", "1-2"));
}

TEST(ImportReply, R1_RejectsAnEmptyBusidEvenWhenAnyDeviceWasAskedFor) {
  auto device = sampleDevice();
  device.busid = "";
  EXPECT_TRUE(importRejects(importReply(device), "busid", ""));
  EXPECT_EQ(parseImportReply(kGoodReply, "", proto::Limits{}).device().busid, "1-1");
}

TEST(ImportReply, R1_RejectsATruncatedReply) {
  EXPECT_TRUE(importRejects(Bytes(kGoodReply.begin(), kGoodReply.begin() + 5), "reply"));
  EXPECT_TRUE(importRejects(Bytes(kGoodReply.begin(), kGoodReply.begin() + 8), "reply"));
  EXPECT_TRUE(importRejects(Bytes(kGoodReply.begin(), kGoodReply.end() - 1), "reply"));
  EXPECT_TRUE(importRejects(Bytes{}, "reply"));
}

// Over a real socket.

HandshakeOptions quick() {
  HandshakeOptions options;
  options.timeout = std::chrono::milliseconds(300);
  return options;
}

TEST(ImportDevice, SendsOpReqImportWithTheBusid) {
  auto [mine, theirs] = socketPair();
  ScriptedPeer server(std::move(theirs), kImportRequestSize, kGoodReply);
  importDevice(mine, "1-1", quick());
  Bytes expected = {0x01, 0x11, 0x80, 0x03, 0, 0, 0, 0, '1', '-', '1'};
  expected.resize(kImportRequestSize, 0);
  EXPECT_EQ(server.request(), expected);
}

TEST(ImportDevice, R2_NeverReadsPastTheReplyBecauseTheRestBelongsToVhci) {
  auto [mine, theirs] = socketPair();
  const Bytes urbStream = {0, 0, 0, 3, 0xaa, 0xbb};
  ScriptedPeer server(std::move(theirs), kImportRequestSize, kGoodReply + urbStream);
  importDevice(mine, "1-1", quick());
  Bytes left(urbStream.size());
  readExact(mine, left.data(), left.size());
  EXPECT_EQ(left, urbStream);
}

TEST(ImportDevice, RefusalEndsAfterTheHeader) {
  auto [mine, theirs] = socketPair();
  ScriptedPeer server(std::move(theirs), kImportRequestSize, encoded(proto::OpRepImport{2, {}}));
  EXPECT_THROW(importDevice(mine, "1-1", quick()), ImportRefused);
}

TEST(ImportDevice, R1_RejectsAStreamThatEndsInTheMiddleOfTheReply) {
  for (size_t size : {size_t{0}, size_t{4}, size_t{8}, size_t{100}, kGoodReply.size() - 1}) {
    auto [mine, theirs] = socketPair();
    ScriptedPeer server(
        std::move(theirs), kImportRequestSize,
        Bytes(kGoodReply.begin(), kGoodReply.begin() + static_cast<std::ptrdiff_t>(size)),
        /*closeAfterReply=*/true);
    EXPECT_TRUE(violates([&] { importDevice(mine, "1-1", quick()); }, Rule::R1, "reply"))
        << size << " bytes";
  }
}

TEST(ImportDevice, F11_GivesUpOnAServerThatStallsMidReply) {
  auto [mine, theirs] = socketPair();
  ScriptedPeer server(std::move(theirs), kImportRequestSize,
                      Bytes(kGoodReply.begin(), kGoodReply.begin() + 20));
  const auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(violates([&] { importDevice(mine, "1-1", quick()); }, Rule::F11, "OP_REP_IMPORT"));
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
}

// OP_REP_DEVLIST

proto::ExportedDevice exported(const std::string& busid, uint8_t interfaces) {
  proto::ExportedDevice e;
  e.device = sampleDevice();
  e.device.busid = busid;
  e.device.bNumInterfaces = interfaces;
  for (uint8_t i = 0; i < interfaces; ++i)
    e.interfaces.push_back({3, 1, i});
  return e;
}

proto::OpRepDevlist listFrom(const Bytes& reply) {
  auto [mine, theirs] = socketPair();
  ScriptedPeer server(std::move(theirs), kDevlistRequestSize, reply, /*closeAfterReply=*/true);
  return listDevices(mine, quick());
}

TEST(ListDevices, ReadsEveryDeviceAndItsInterfaces) {
  const proto::OpRepDevlist sent{0, {exported("1-1", 2), exported("2-4.1", 0)}};
  EXPECT_EQ(listFrom(encoded(sent)), sent);
}

TEST(ListDevices, R1_RejectsTooManyDevices) {
  Bytes header = {0x01, 0x11, 0x00, 0x05, 0, 0, 0, 0, 0x00, 0x00, 0x01, 0x01};  // 257 devices
  EXPECT_TRUE(violates([&] { listFrom(header); }, Rule::R1, "ndev"));
}

TEST(ListDevices, R1_RejectsTooManyInterfaces) {
  Bytes reply = encoded(proto::OpRepDevlist{0, {exported("1-1", 1)}});
  reply[8 + 4 + 311] = 33;  // bNumInterfaces of the first record
  EXPECT_TRUE(violates([&] { listFrom(reply); }, Rule::R1, "bNumInterfaces"));
}

TEST(ListDevices, R1_RejectsAListCutShort) {
  const Bytes reply = encoded(proto::OpRepDevlist{0, {exported("1-1", 2), exported("1-2", 1)}});
  EXPECT_TRUE(
      violates([&] { listFrom(Bytes(reply.begin(), reply.end() - 3)); }, Rule::R1, "reply"));
}

TEST(ListDevices, R1_RejectsAReplyToAnotherRequest) {
  EXPECT_TRUE(violates([&] { listFrom(kGoodReply); }, Rule::R1, "code"));
}

TEST(ListDevices, AnErrorStatusIsAFailure) {
  EXPECT_THROW(listFrom(encoded(proto::OpRepDevlist{1, {}})), std::runtime_error);
}

}  // namespace
}  // namespace usbip::client::test
