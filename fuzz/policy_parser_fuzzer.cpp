// The policy file parser (policy/parser.h) on arbitrary text: it returns a DevicePolicy or throws
// PolicyError with at least one diagnostic, nothing else. A policy it accepts must keep what
// docs/policy.md promises: limits within their ceilings, claimable interface numbers usbfs can
// grant, a [match] that matches the device it describes, peer rules that survive
// toString()/parsePeerRule(), and the same result when parsed again.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "fuzz/check.h"
#include "policy/parser.h"
#include "policy/peer_rule.h"
#include "policy/policy_error.h"

namespace usbip::fuzz {
namespace {

constexpr const char* kFile = "fuzz.toml";

// USBIP_FUZZ_VERBOSE=1 says whether each input was accepted: for checking the seeds.
bool verbose() {
  static const bool enabled = std::getenv("USBIP_FUZZ_VERBOSE") != nullptr;
  return enabled;
}

// The device a rule's [match] describes, with every other attribute left empty.
policy::DeviceAttributes describedDevice(const policy::Match& match) {
  policy::DeviceAttributes device;
  device.busid = match.busid.value_or("");
  device.portPath = match.portPath.value_or("");
  if (match.vidPid) {
    device.vid = match.vidPid->vid;
    device.pid = match.vidPid->pid;
  }
  device.serial = match.serial.value_or("");
  return device;
}

void checkAccepted(const policy::DevicePolicy& parsed, std::string_view text) {
  FUZZ_REQUIRE(parsed.name == "fuzz");
  const policy::Match& match = parsed.match;
  FUZZ_REQUIRE(match.busid || match.portPath || match.vidPid || match.serial);
  FUZZ_REQUIRE(match.covers(match));
  FUZZ_REQUIRE(match.matches(describedDevice(match)));

  const policy::UrbLimits& limits = parsed.limits;
  FUZZ_REQUIRE(limits.maxTransferSize >= 1 &&
               limits.maxTransferSize <= policy::kCeilingMaxTransferSize);
  FUZZ_REQUIRE(limits.maxBytesInFlight >= limits.maxTransferSize &&
               limits.maxBytesInFlight <= policy::kCeilingMaxBytesInFlight);
  FUZZ_REQUIRE(limits.maxUrbsInFlight >= 1 &&
               limits.maxUrbsInFlight <= policy::kCeilingMaxUrbsInFlight);
  for (uint8_t number : limits.interfaceNumbers)
    FUZZ_REQUIRE(number <= policy::kMaxClaimableInterfaceNumber);

  for (const policy::PeerRule& rule : parsed.exportRule.allowedPeers) {
    FUZZ_REQUIRE(policy::parsePeerRule(rule.toString()) == rule);
  }
  FUZZ_REQUIRE(policy::parsePolicy(text, kFile, "fuzz") == parsed);
}

}  // namespace
}  // namespace usbip::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace usbip;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    policy::DevicePolicy parsed = policy::parsePolicy(text, fuzz::kFile, "fuzz");
    fuzz::checkAccepted(parsed, text);
    if (fuzz::verbose()) std::fprintf(stderr, "accepted\n");
  } catch (const policy::PolicyError& error) {
    if (fuzz::verbose()) std::fprintf(stderr, "refused:\n%s\n", error.what());
    FUZZ_REQUIRE(!error.diagnostics().empty());
    for (const policy::Diagnostic& diagnostic : error.diagnostics()) {
      FUZZ_REQUIRE(diagnostic.file == fuzz::kFile);
      FUZZ_REQUIRE(!diagnostic.message.empty());
    }
  }
  return 0;
}
