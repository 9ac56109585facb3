#include "policy/parser.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "policy/policy_error.h"
#include "policy/temp_dir_for_test.h"

namespace usbip::policy {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Every error of `text`, as check-policy prints them; empty when the text parses.
std::vector<std::string> errorsOf(std::string_view text) {
  try {
    parsePolicy(text, "t.toml", "t");
  } catch (const PolicyError& e) {
    std::vector<std::string> lines;
    for (const auto& d : e.diagnostics())
      lines.push_back(d.toString());
    return lines;
  }
  return {};
}

// The single error of `text`; fails the test when there is not exactly one.
std::string errorOf(std::string_view text) {
  const auto errors = errorsOf(text);
  EXPECT_EQ(errors.size(), 1u) << ::testing::PrintToString(errors);
  return errors.empty() ? std::string() : errors.front();
}

// A valid rule's head; tests append the section they are about (from line 6 on).
constexpr std::string_view kHead = R"([match]
busid = "1-2"
[export]
mode = "listen"
allowed_peers = ["any"]
)";

std::string withHead(std::string_view tail) {
  return std::string(kHead) + std::string(tail);
}

TEST(PolicyParser, ParsesTheExampleFile) {
  const auto policy = parsePolicyFile(std::string(USBIP_POLICY_EXAMPLES_DIR) + "/1-2.toml");
  EXPECT_EQ(policy.name, "1-2");
  EXPECT_FALSE(policy.deny);
  EXPECT_EQ(policy.match.busid, "1-2");
  ASSERT_TRUE(policy.match.vidPid.has_value());
  EXPECT_EQ(policy.match.vidPid->toString(), "0403:6001");
  EXPECT_EQ(policy.exportRule.mode, ExportRule::Mode::kListen);
  ASSERT_EQ(policy.exportRule.allowedPeers.size(), 2u);
  EXPECT_EQ(policy.exportRule.allowedPeers[0].toString(), "vsock:3");
  EXPECT_EQ(policy.exportRule.allowedPeers[1].toString(), "192.0.2.0/24");
  EXPECT_FALSE(policy.limits.allInterfaces);
  EXPECT_EQ(policy.limits.interfaceNumbers, std::vector<uint8_t>{0});
  EXPECT_EQ(policy.limits.extraControlRequests.size(), 8u);
  EXPECT_EQ(policy.limits.maxTransferSize, 65536u);
  EXPECT_EQ(policy.limits.maxBytesInFlight, 1048576u);
  EXPECT_EQ(policy.limits.maxUrbsInFlight, 64u);
}

TEST(PolicyParser, ParsesEveryExampleInTheDocs) {
  std::ifstream in(USBIP_POLICY_DOC);
  const std::string doc(std::istreambuf_iterator<char>(in), {});
  ASSERT_FALSE(doc.empty());
  constexpr std::string_view kOpen = "```toml\n";
  int examples = 0;
  for (auto at = doc.find(kOpen); at != std::string::npos; at = doc.find(kOpen, at)) {
    at += kOpen.size();
    const auto end = doc.find("```", at);
    ASSERT_NE(end, std::string::npos);
    const auto example = doc.substr(at, end - at);
    EXPECT_NO_THROW(parsePolicy(example, "docs/policy.md", "example")) << example;
    ++examples;
  }
  EXPECT_GE(examples, 4);
}

TEST(PolicyParser, MinimalListenRuleGetsDefaults) {
  const auto policy = parsePolicy(kHead, "dir/usb.toml", "usb");
  EXPECT_EQ(policy.name, "usb");
  EXPECT_EQ(policy.file, "dir/usb.toml");
  EXPECT_EQ(policy.origin, "dir/usb.toml");
  EXPECT_EQ(policy.matchLine, 1u);
  EXPECT_FALSE(policy.exportRule.address.has_value());
  EXPECT_EQ(policy.limits, UrbLimits{});
  EXPECT_TRUE(policy.limits.allInterfaces);
  EXPECT_FALSE(policy.limits.allowReset);
  EXPECT_EQ(policy.limits.maxTransferSize, 16u << 20);
}

TEST(PolicyParser, EveryMatchKey) {
  const auto policy = parsePolicy(R"([match]
busid = "3-1.4.2"
port_path = "pci-0000:00:14.0-usb-0:1.4.2"
vid_pid = "046D:c52b"
serial = "AB 12-x"
[export]
mode = "listen"
allowed_peers = ["unix"]
)",
                                  "t.toml", "t");
  EXPECT_EQ(policy.match.busid, "3-1.4.2");
  EXPECT_EQ(policy.match.portPath, "pci-0000:00:14.0-usb-0:1.4.2");
  EXPECT_EQ(policy.match.vidPid, (VidPid{0x046d, 0xc52b}));
  EXPECT_EQ(policy.match.serial, "AB 12-x");
  EXPECT_EQ(
      policy.match.toString(),
      "busid=3-1.4.2 port_path=pci-0000:00:14.0-usb-0:1.4.2 vid_pid=046d:c52b serial=AB 12-x");
}

TEST(PolicyParser, DenyRuleHasOnlyMatch) {
  const auto policy = parsePolicy("deny = true\n[match]\nvid_pid = \"1234:5678\"\n", "t.toml", "t");
  EXPECT_TRUE(policy.deny);
  EXPECT_EQ(policy.matchLine, 2u);
}

TEST(PolicyParser, ExportListenWithOwnAddress) {
  const auto policy = parsePolicy(R"([match]
busid = "1-2"
[export]
mode = "listen"
address = "tcp:[::1]:3241"
allowed_peers = ["::1", "10.0.0.0/8"]
)",
                                  "t.toml", "t");
  ASSERT_TRUE(policy.exportRule.address.has_value());
  EXPECT_EQ(policy.exportRule.address->toString(), "tcp:[::1]:3241");
  EXPECT_EQ(policy.exportRule.allowedPeers.size(), 2u);
}

TEST(PolicyParser, ExportConnect) {
  const auto policy = parsePolicy(R"([match]
busid = "1-2"
[export]
mode = "connect"
address = "vsock:3:3240"
)",
                                  "t.toml", "t");
  EXPECT_EQ(policy.exportRule.mode, ExportRule::Mode::kConnect);
  EXPECT_EQ(policy.exportRule.address->toString(), "vsock:3:3240");
  EXPECT_TRUE(policy.exportRule.allowedPeers.empty());
}

TEST(PolicyParser, InterfacesByNumberAndClass) {
  const auto policy = parsePolicy(withHead(R"([interfaces]
numbers = [0, 31]
classes = ["hid", 0xff, "mass_storage", 2]
)"),
                                  "t.toml", "t");
  EXPECT_FALSE(policy.limits.allInterfaces);
  EXPECT_EQ(policy.limits.interfaceNumbers, (std::vector<uint8_t>{0, 31}));
  EXPECT_EQ(policy.limits.interfaceClasses, (std::vector<uint8_t>{0x03, 0xff, 0x08, 0x02}));
}

TEST(PolicyParser, EveryClassNameIsKnown) {
  for (const auto* name :
       {"audio", "cdc", "hid", "physical", "image", "printer", "mass_storage", "cdc_data",
        "smart_card", "content_security", "video", "personal_healthcare", "audio_video",
        "billboard", "diagnostic", "wireless", "misc", "application", "vendor"}) {
    EXPECT_TRUE(interfaceClassByName(name).has_value()) << name;
  }
  EXPECT_EQ(interfaceClassByName("hid"), 0x03);
  EXPECT_EQ(interfaceClassByName("vendor"), 0xff);
  EXPECT_FALSE(interfaceClassByName("hub").has_value());
}

TEST(PolicyParser, Requests) {
  const auto policy = parsePolicy(withHead(R"([requests]
allow_reset = true
extra_control_requests = [{ request_type = 0x40, request = 1 }, { request = 7, request_type = 0 }]
max_transfer_size = 1
max_bytes_in_flight = 1073741824
max_urbs_in_flight = 65536
)"),
                                  "t.toml", "t");
  const auto& limits = policy.limits;
  EXPECT_TRUE(limits.allowReset);
  EXPECT_EQ(limits.extraControlRequests, (std::vector<ControlRequest>{{0x40, 1}, {0x00, 7}}));
  EXPECT_EQ(limits.maxTransferSize, 1u);
  EXPECT_EQ(limits.maxBytesInFlight, 1u << 30);
  EXPECT_EQ(limits.maxUrbsInFlight, 65536u);
}

TEST(PolicyParser, Guards) {
  const auto policy =
      parsePolicy(withHead("[guards]\nhid_only = true\nread_only = true\n"), "t.toml", "t");
  EXPECT_TRUE(policy.limits.hidOnly);
  EXPECT_TRUE(policy.limits.readOnly);
  const auto off =
      parsePolicy(withHead("[guards]\nhid_only = false\nread_only = false\n"), "t.toml", "t");
  EXPECT_FALSE(off.limits.hidOnly);
  EXPECT_FALSE(off.limits.readOnly);
}

TEST(PolicyParser, DottedKeysAreTheSameAsTables) {
  const auto policy = parsePolicy(
      "match.busid = \"1-2\"\nexport.mode = \"listen\"\nexport.allowed_peers = [\"unix\"]\n",
      "t.toml", "t");
  EXPECT_EQ(policy.match.busid, "1-2");
}

// ---- errors: top level

TEST(PolicyParserErrors, Syntax) {
  EXPECT_THAT(errorOf("[match]\nbusid = \n"), HasSubstr("t.toml:2: (syntax): "));
  EXPECT_THAT(errorOf("[match]\nbusid = \"1-2\"\nbusid = \"1-3\"\n"),
              HasSubstr("t.toml:3: (syntax): "));
}

TEST(PolicyParserErrors, MissingMatch) {
  EXPECT_EQ(errorOf("[export]\nmode = \"listen\"\nallowed_peers = [\"any\"]\n"),
            "t.toml:1: match: missing: every policy file needs a [match] table");
}

TEST(PolicyParserErrors, MissingExport) {
  EXPECT_EQ(errorOf("[match]\nbusid = \"1-2\"\n"),
            "t.toml:1: export: missing: say how the device is exported, or set deny = true to "
            "refuse it");
}

TEST(PolicyParserErrors, TablesMustBeTables) {
  EXPECT_THAT(errorsOf("match = 1\nexport = \"x\"\n"),
              ElementsAre("t.toml:1: match: must be a table ([match])",
                          "t.toml:2: export: must be a table ([export])"));
  // Keys of the document itself come before the first [table] header.
  EXPECT_EQ(errorOf("interfaces = []\n" + std::string(kHead)),
            "t.toml:1: interfaces: must be a table ([interfaces])");
  EXPECT_EQ(errorOf("requests = 5\n" + std::string(kHead)),
            "t.toml:1: requests: must be a table ([requests])");
  EXPECT_EQ(errorOf("guards = true\n" + std::string(kHead)),
            "t.toml:1: guards: must be a table ([guards])");
}

TEST(PolicyParserErrors, UnknownTopLevelKey) {
  EXPECT_EQ(errorOf("expor = 1\n" + std::string(kHead)),
            "t.toml:1: expor: unknown key (known here: match, deny, export, interfaces, "
            "requests, guards)");
  EXPECT_EQ(errorOf(withHead("[guard]\nhid_only = true\n")),
            "t.toml:6: guard: unknown key (known here: match, deny, export, interfaces, "
            "requests, guards)");
}

TEST(PolicyParserErrors, DenyMustBeBoolean) {
  EXPECT_EQ(errorOf("deny = \"yes\"\n" + std::string(kHead)),
            "t.toml:1: deny: must be true or false");
}

TEST(PolicyParserErrors, DenyRuleHasNothingButMatch) {
  EXPECT_THAT(errorsOf("deny = true\n" + std::string(kHead) +
                       "[interfaces]\nnumbers = [0]\n[requests]\nallow_reset = true\n"
                       "[guards]\nhid_only = true\n"),
              ElementsAre("t.toml:4: export: not allowed with deny = true: a denying rule has "
                          "only [match]",
                          "t.toml:7: interfaces: not allowed with deny = true: a denying rule "
                          "has only [match]",
                          "t.toml:9: requests: not allowed with deny = true: a denying rule has "
                          "only [match]",
                          "t.toml:11: guards: not allowed with deny = true: a denying rule has "
                          "only [match]"));
}

TEST(PolicyParserErrors, AllErrorsOfAFileInLineOrder) {
  EXPECT_THAT(
      errorsOf(R"([match]
busid = "x"
vid_pid = "1:2"
[export]
mode = "both"
[requests]
max_urbs_in_flight = 0
)"),
      ElementsAre(HasSubstr("t.toml:2: match.busid: "), HasSubstr("t.toml:3: match.vid_pid: "),
                  HasSubstr("t.toml:5: export.mode: "),
                  HasSubstr("t.toml:7: requests.max_urbs_in_flight: ")));
}

// ---- errors: [match]

TEST(PolicyParserErrors, BadBusIds) {
  for (const auto* busid : {"1", "1-", "-2", "0-2", "1-0", "01-2", "1-2.", "1-2..3", "a-b",
                            "1-2.3.4.5.6.7.8.9.10.11.12.13.14", "1-2 ", "1234-1"}) {
    EXPECT_EQ(errorOf(std::string("[match]\nbusid = \"") + busid +
                      "\"\n[export]\nmode = \"listen\"\nallowed_peers = [\"any\"]\n"),
              std::string("t.toml:2: match.busid: \"") + busid +
                  "\" is not a bus ID (expected BUS-PORT[.PORT...], e.g. \"1-2\" or \"3-1.4\")");
  }
}

TEST(PolicyParserErrors, BadPortPath) {
  EXPECT_EQ(errorOf(R"([match]
port_path = "pci 0000"
[export]
mode = "listen"
allowed_peers = ["any"]
)"),
            "t.toml:2: match.port_path: \"pci 0000\" is not a udev ID_PATH (letters, digits and "
            ":._+- only, e.g. \"pci-0000:00:14.0-usb-0:2\")");
}

TEST(PolicyParserErrors, BadVidPid) {
  for (const auto* vidPid :
       {"46d:c52b", "046d-c52b", "046d:c52", "zzzz:0000", "046d:c52b0", "+46d:c52b"}) {
    EXPECT_EQ(errorOf(std::string("[match]\nvid_pid = \"") + vidPid +
                      "\"\n[export]\nmode = \"listen\"\nallowed_peers = [\"any\"]\n"),
              std::string("t.toml:2: match.vid_pid: \"") + vidPid +
                  "\" is not VID:PID (four hex digits each, as lsusb prints, e.g. \"046d:c52b\")");
  }
}

TEST(PolicyParserErrors, BadSerial) {
  for (const auto* serial : {R"("")", R"("a\tb")", R"("a\u007f")"}) {
    EXPECT_EQ(errorOf(std::string("[match]\nserial = ") + serial +
                      "\n[export]\nmode = \"listen\"\nallowed_peers = [\"any\"]\n"),
              "t.toml:2: match.serial: must be 1 to 255 bytes without control characters");
  }
  EXPECT_EQ(errorOf("[match]\nserial = \"" + std::string(256, 'x') +
                    "\"\n[export]\nmode = \"listen\"\nallowed_peers = [\"any\"]\n"),
            "t.toml:2: match.serial: must be 1 to 255 bytes without control characters");
}

TEST(PolicyParserErrors, MatchValuesMustBeStrings) {
  EXPECT_EQ(
      errorOf("[match]\nbusid = 12\n[export]\nmode = \"listen\"\nallowed_peers = [\"any\"]\n"),
      "t.toml:2: match.busid: must be a string");
}

TEST(PolicyParserErrors, EmptyMatch) {
  EXPECT_EQ(errorOf("[match]\n[export]\nmode = \"listen\"\nallowed_peers = [\"any\"]\n"),
            "t.toml:1: match: empty: give at least one of busid, port_path, vid_pid, serial");
}

TEST(PolicyParserErrors, MisspeltMatchKey) {
  EXPECT_THAT(errorsOf("[match]\nbus_id = \"1-2\"\n[export]\nmode = \"listen\"\n"
                       "allowed_peers = [\"any\"]\n"),
              ElementsAre("t.toml:1: match: empty: give at least one of busid, port_path, "
                          "vid_pid, serial",
                          "t.toml:2: match.bus_id: unknown key (known here: busid, port_path, "
                          "vid_pid, serial)"));
}

// ---- errors: [export]

std::string exportDoc(std::string_view exportLines) {
  return "[match]\nbusid = \"1-2\"\n[export]\n" + std::string(exportLines);
}

TEST(PolicyParserErrors, ExportModeMissingOrWrong) {
  EXPECT_EQ(errorOf(exportDoc("allowed_peers = [\"any\"]\n")),
            "t.toml:3: export.mode: missing: \"listen\" or \"connect\"");
  EXPECT_EQ(errorOf(exportDoc("mode = \"Listen\"\n")),
            "t.toml:4: export.mode: must be \"listen\" or \"connect\", not \"Listen\"");
  EXPECT_EQ(errorOf(exportDoc("mode = 1\n")), "t.toml:4: export.mode: must be a string");
}

TEST(PolicyParserErrors, ExportBadAddress) {
  EXPECT_THAT(
      errorOf(exportDoc("mode = \"listen\"\naddress = \"udp:1\"\nallowed_peers = [\"any\"]\n")),
      HasSubstr("t.toml:5: export.address: bad address 'udp:1': unknown transport 'udp'"));
  EXPECT_THAT(errorOf(exportDoc("mode = \"connect\"\naddress = \"tcp:host:99999\"\n")),
              HasSubstr("t.toml:5: export.address: bad address 'tcp:host:99999': port"));
}

TEST(PolicyParserErrors, ConnectNeedsAnAddressToDial) {
  EXPECT_EQ(errorOf(exportDoc("mode = \"connect\"\n")),
            "t.toml:3: export.address: missing: mode = \"connect\" needs the address to dial");
  EXPECT_EQ(errorOf(exportDoc("mode = \"connect\"\naddress = \"tcp:3240\"\n")),
            "t.toml:5: export.address: mode = \"connect\" needs a host to dial: tcp:HOST:PORT");
  EXPECT_EQ(errorOf(exportDoc("mode = \"connect\"\naddress = \"vsock:3240\"\n")),
            "t.toml:5: export.address: mode = \"connect\" needs a CID to dial: vsock:CID:PORT");
}

TEST(PolicyParserErrors, ConnectHasNoAllowedPeers) {
  EXPECT_EQ(errorOf(exportDoc("mode = \"connect\"\naddress = \"unix:/run/x\"\n"
                              "allowed_peers = [\"any\"]\n")),
            "t.toml:6: export.allowed_peers: only for mode = \"listen\"; in connect mode the "
            "peer is export.address");
}

TEST(PolicyParserErrors, ListenNeedsAllowedPeers) {
  EXPECT_EQ(errorOf(exportDoc("mode = \"listen\"\n")),
            "t.toml:3: export.allowed_peers: missing: list who may import the device (\"any\" "
            "for everyone)");
  EXPECT_EQ(errorOf(exportDoc("mode = \"listen\"\nallowed_peers = []\n")),
            "t.toml:5: export.allowed_peers: empty: nobody could import the device (use deny = "
            "true to refuse it)");
  EXPECT_EQ(errorOf(exportDoc("mode = \"listen\"\nallowed_peers = \"any\"\n")),
            "t.toml:5: export.allowed_peers: must be an array [ ... ]");
}

TEST(PolicyParserErrors, BadAllowedPeers) {
  EXPECT_THAT(
      errorsOf(exportDoc("mode = \"listen\"\nallowed_peers = [\n  \"10.0.0.1/8\",\n  3,\n"
                         "  \"vsock:x\",\n  \"unix\",\n  \"unix\",\n  \"host.example\",\n]\n")),
      ElementsAre("t.toml:6: export.allowed_peers[0]: bad peer '10.0.0.1/8': address has bits "
                  "set after the /8 prefix; did you mean 10.0.0.0/8?",
                  "t.toml:7: export.allowed_peers[1]: must be a string",
                  "t.toml:8: export.allowed_peers[2]: bad peer 'vsock:x': vsock CID must be a "
                  "number from 0 to 4294967295",
                  "t.toml:10: export.allowed_peers[4]: \"unix\" is listed twice",
                  "t.toml:11: export.allowed_peers[5]: bad peer 'host.example': expected "
                  "\"any\", \"unix\", \"vsock:CID\", an IP address, or ADDRESS/PREFIX"));
}

TEST(PolicyParserErrors, PeersThatCanNeverReachTheListener) {
  EXPECT_EQ(errorOf(exportDoc("mode = \"listen\"\naddress = \"vsock:5000\"\n"
                              "allowed_peers = [\"vsock:3\", \"10.0.0.0/8\"]\n")),
            "t.toml:6: export.allowed_peers[1]: \"10.0.0.0/8\" can never match a client of "
            "vsock:5000");
  EXPECT_EQ(errorOf(exportDoc("mode = \"listen\"\naddress = \"tcp:3240\"\n"
                              "allowed_peers = [\"unix\"]\n")),
            "t.toml:6: export.allowed_peers[0]: \"unix\" can never match a client of tcp:3240");
  EXPECT_EQ(errorOf(exportDoc("mode = \"listen\"\naddress = \"unix:/run/u.sock\"\n"
                              "allowed_peers = [\"vsock:2\"]\n")),
            "t.toml:6: export.allowed_peers[0]: \"vsock:2\" can never match a client of "
            "unix:/run/u.sock");
  EXPECT_TRUE(errorsOf(exportDoc("mode = \"listen\"\naddress = \"fc-vsock:/run/v.sock:52\"\n"
                                 "allowed_peers = [\"unix\", \"any\"]\n"))
                  .empty());
}

TEST(PolicyParserErrors, UnknownExportKey) {
  EXPECT_EQ(errorOf(exportDoc("mode = \"listen\"\nallowed_peers = [\"any\"]\npeers = [\"x\"]\n")),
            "t.toml:6: export.peers: unknown key (known here: mode, address, allowed_peers)");
}

// ---- errors: [interfaces]

TEST(PolicyParserErrors, EmptyInterfaces) {
  EXPECT_EQ(errorOf(withHead("[interfaces]\n")),
            "t.toml:6: interfaces: empty: give numbers or classes (leave [interfaces] out to "
            "allow every interface)");
}

TEST(PolicyParserErrors, BadInterfaceNumbers) {
  EXPECT_THAT(errorsOf(withHead("[interfaces]\nnumbers = [0, 32, -1, \"1\", 0]\n")),
              ElementsAre("t.toml:7: interfaces.numbers[1]: must be an integer from 0 to 31",
                          "t.toml:7: interfaces.numbers[2]: must be an integer from 0 to 31",
                          "t.toml:7: interfaces.numbers[3]: must be an integer from 0 to 31",
                          "t.toml:7: interfaces.numbers[4]: 0 is listed twice"));
  EXPECT_EQ(errorOf(withHead("[interfaces]\nnumbers = 0\n")),
            "t.toml:7: interfaces.numbers: must be an array [ ... ]");
}

TEST(PolicyParserErrors, BadInterfaceClasses) {
  EXPECT_THAT(
      errorsOf(withHead("[interfaces]\nclasses = [\"hid\", \"hub\", 9, 256, true, 3]\n")),
      ElementsAre(
          "t.toml:7: interfaces.classes[1]: unknown class name \"hub\" (known: audio, cdc, hid, "
          "physical, image, printer, mass_storage, cdc_data, smart_card, content_security, "
          "video, personal_healthcare, audio_video, billboard, diagnostic, wireless, misc, "
          "application, vendor; or give the class code as a number)",
          "t.toml:7: interfaces.classes[2]: hubs are never exported",
          "t.toml:7: interfaces.classes[3]: must be an integer from 0 to 255",
          "t.toml:7: interfaces.classes[4]: must be a class code from 0 to 255 or a class name",
          "t.toml:7: interfaces.classes[5]: 3 is listed twice"));
}

TEST(PolicyParserErrors, UnknownInterfacesKey) {
  EXPECT_EQ(errorOf(withHead("[interfaces]\nnumbers = [0]\nclass = [3]\n")),
            "t.toml:8: interfaces.class: unknown key (known here: numbers, classes)");
}

// ---- errors: [requests]

TEST(PolicyParserErrors, AllowResetMustBeBoolean) {
  EXPECT_EQ(errorOf(withHead("[requests]\nallow_reset = 1\n")),
            "t.toml:7: requests.allow_reset: must be true or false");
}

TEST(PolicyParserErrors, SizeLimitsOutOfRange) {
  EXPECT_THAT(errorsOf(withHead("[requests]\nmax_transfer_size = 0\nmax_bytes_in_flight = "
                                "1073741825\nmax_urbs_in_flight = 65537\n")),
              ElementsAre("t.toml:7: requests.max_transfer_size: must be an integer from 1 to "
                          "67108864",
                          "t.toml:8: requests.max_bytes_in_flight: must be an integer from 1 to "
                          "1073741824",
                          "t.toml:9: requests.max_urbs_in_flight: must be an integer from 1 to "
                          "65536"));
  EXPECT_EQ(errorOf(withHead("[requests]\nmax_transfer_size = 1.5\n")),
            "t.toml:7: requests.max_transfer_size: must be an integer from 1 to 67108864");
}

TEST(PolicyParserErrors, BytesInFlightBelowTransferSize) {
  EXPECT_EQ(errorOf(withHead("[requests]\nmax_transfer_size = 4096\nmax_bytes_in_flight = 4095\n")),
            "t.toml:8: requests.max_bytes_in_flight: smaller than max_transfer_size (4096): a "
            "transfer of the largest allowed size could never be sent");
  EXPECT_EQ(errorOf(withHead("[requests]\nmax_transfer_size = 67108864\n")),
            "t.toml:7: requests.max_transfer_size: larger than the default max_bytes_in_flight "
            "(33554432): raise that too");
  EXPECT_TRUE(errorsOf(withHead("[requests]\nmax_transfer_size = 4096\nmax_bytes_in_flight = "
                                "4096\n"))
                  .empty());
}

TEST(PolicyParserErrors, BadExtraControlRequests) {
  EXPECT_THAT(
      errorsOf(withHead(R"([requests]
extra_control_requests = [
  "0x40:1",
  { request_type = 0x40 },
  { request_type = 0x140, request = 1 },
  { request_type = 0x40, request = 1, value = 2 },
  { request_type = 0x00, request = 5 },
  { request_type = 0x80, request = 5 },
  { request_type = 0x23, request = 3 },
  { request_type = 0xc0, request = 1 },
  { request_type = 0xc0, request = 1 },
]
)")),
      ElementsAre("t.toml:8: requests.extra_control_requests[0]: must be a table { request_type "
                  "= 0x40, request = 0x01 } (bmRequestType, bRequest)",
                  "t.toml:9: requests.extra_control_requests[1].request: missing",
                  "t.toml:10: requests.extra_control_requests[2].request_type: must be an "
                  "integer from 0 to 255",
                  "t.toml:11: requests.extra_control_requests[3].value: unknown key (known "
                  "here: request_type, request)",
                  "t.toml:12: requests.extra_control_requests[4]: SET_ADDRESS never reaches "
                  "the device",
                  "t.toml:13: requests.extra_control_requests[5]: SET_ADDRESS never reaches "
                  "the device",
                  "t.toml:14: requests.extra_control_requests[6]: requests to the client's "
                  "virtual hub port are governed by allow_reset",
                  "t.toml:16: requests.extra_control_requests[8]: listed twice"));
}

TEST(PolicyParserErrors, UnknownRequestsKey) {
  EXPECT_EQ(errorOf(withHead("[requests]\nmax_transfer = 1\n")),
            "t.toml:7: requests.max_transfer: unknown key (known here: allow_reset, "
            "extra_control_requests, max_transfer_size, max_bytes_in_flight, "
            "max_urbs_in_flight)");
}

// ---- errors: [guards]

TEST(PolicyParserErrors, Guards) {
  EXPECT_THAT(errorsOf(withHead("[guards]\nhid_only = \"true\"\nread_only = 0\nreadonly = true\n")),
              ElementsAre("t.toml:7: guards.hid_only: must be true or false",
                          "t.toml:8: guards.read_only: must be true or false",
                          "t.toml:9: guards.readonly: unknown key (known here: hid_only, "
                          "read_only)"));
}

// ---- files

TEST(PolicyFile, NameIsTheFileStem) {
  TempDirForTest dir;
  const auto policy = parsePolicyFile(dir.write("keyboard.toml", kHead));
  EXPECT_EQ(policy.name, "keyboard");
  EXPECT_EQ(policy.file, (dir.path() / "keyboard.toml").string());
}

TEST(PolicyFile, DiagnosticsNameTheFile) {
  TempDirForTest dir;
  const auto path = dir.write("bad.toml", "[match]\nbusid = 1\n");
  try {
    parsePolicyFile(path);
    FAIL() << "expected a PolicyError";
  } catch (const PolicyError& e) {
    ASSERT_FALSE(e.diagnostics().empty());
    EXPECT_EQ(e.diagnostics().front().file, path.string());
    EXPECT_THAT(e.what(), HasSubstr(path.string() + ":2: match.busid: must be a string"));
  }
}

TEST(PolicyFile, RefusesFilesOthersMayWrite) {
  TempDirForTest dir;
  const auto path = dir.write("open.toml", kHead);
  using std::filesystem::perms;
  for (const auto mode : {perms::group_write, perms::others_write}) {
    std::filesystem::permissions(path, perms::owner_read | perms::owner_write | mode);
    try {
      parsePolicyFile(path);
      FAIL() << "expected a PolicyError";
    } catch (const PolicyError& e) {
      ASSERT_EQ(e.diagnostics().size(), 1u);
      EXPECT_EQ(e.diagnostics().front().toString(),
                path.string() +
                    ":1: (file): writable by group or others: whoever can write a policy file "
                    "can widen access (chmod go-w)");
    }
  }
}

TEST(PolicyFile, RefusesFilesOwnedByAnotherUser) {
  if (::geteuid() != 0) GTEST_SKIP() << "changing a file's owner needs root";
  TempDirForTest dir;
  const auto path = dir.write("theirs.toml", kHead);
  ASSERT_EQ(::chown(path.c_str(), 65534, 65534), 0);
  try {
    parsePolicyFile(path);
    FAIL() << "expected a PolicyError";
  } catch (const PolicyError& e) {
    ASSERT_EQ(e.diagnostics().size(), 1u);
    EXPECT_EQ(e.diagnostics().front().toString(),
              path.string() +
                  ":1: (file): owned by uid 65534: whoever owns a policy file can widen access "
                  "(chown root)");
  }
}

TEST(PolicyFile, MissingFileAndDirectory) {
  TempDirForTest dir;
  EXPECT_THROW(
      {
        try {
          parsePolicyFile(dir.path() / "absent.toml");
        } catch (const PolicyError& e) {
          EXPECT_EQ(e.diagnostics().front().toString(),
                    (dir.path() / "absent.toml").string() +
                        ":1: (file): cannot read: No such file or directory");
          throw;
        }
      },
      PolicyError);
  std::filesystem::create_directory(dir.path() / "sub.toml");
  try {
    parsePolicyFile(dir.path() / "sub.toml");
    FAIL() << "expected a PolicyError";
  } catch (const PolicyError& e) {
    EXPECT_EQ(e.diagnostics().front().toString(),
              (dir.path() / "sub.toml").string() + ":1: (file): not a regular file");
  }
}

TEST(PolicyFile, TooLarge) {
  TempDirForTest dir;
  const auto path = dir.write("big.toml", std::string(kHead) + "#" + std::string(1 << 20, 'x'));
  try {
    parsePolicyFile(path);
    FAIL() << "expected a PolicyError";
  } catch (const PolicyError& e) {
    EXPECT_EQ(e.diagnostics().front().toString(),
              path.string() + ":1: (file): larger than 1 MiB; not a policy file");
  }
}

TEST(PolicyFile, EmptyFileSaysWhatIsMissing) {
  TempDirForTest dir;
  const auto path = dir.write("empty.toml", "");
  try {
    parsePolicyFile(path);
    FAIL() << "expected a PolicyError";
  } catch (const PolicyError& e) {
    ASSERT_EQ(e.diagnostics().size(), 2u);
    EXPECT_EQ(e.diagnostics()[0].key, "match");
    EXPECT_EQ(e.diagnostics()[1].key, "export");
  }
}

}  // namespace
}  // namespace usbip::policy
