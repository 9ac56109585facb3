#include "policy/peer_rule.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

namespace usbip::policy {
namespace {

bool matches(std::string_view rule, std::string_view peer) {
  return peerMatches(parsePeerRule(rule), peer);
}

TEST(PeerRule, CanonicalForms) {
  EXPECT_EQ(parsePeerRule("any").toString(), "any");
  EXPECT_EQ(parsePeerRule("unix").toString(), "unix");
  EXPECT_EQ(parsePeerRule("vsock:3").toString(), "vsock:3");
  EXPECT_EQ(parsePeerRule("vsock:4294967295").toString(), "vsock:4294967295");
  EXPECT_EQ(parsePeerRule("192.0.2.7").toString(), "192.0.2.7/32");
  EXPECT_EQ(parsePeerRule("192.0.2.0/24").toString(), "192.0.2.0/24");
  EXPECT_EQ(parsePeerRule("0.0.0.0/0").toString(), "0.0.0.0/0");
  EXPECT_EQ(parsePeerRule("::1").toString(), "::1/128");
  EXPECT_EQ(parsePeerRule("2001:DB8::/32").toString(), "2001:db8::/32");
  EXPECT_EQ(parsePeerRule("::/0").toString(), "::/0");
}

TEST(PeerRule, Ipv4MappedNetworksBecomeIpv4) {
  const auto rule = parsePeerRule("::ffff:192.0.2.0/120");
  EXPECT_EQ(rule.kind, PeerRule::Kind::kIpv4);
  EXPECT_EQ(rule, parsePeerRule("192.0.2.0/24"));
  EXPECT_EQ(parsePeerRule("::ffff:0.0.0.0/96"), parsePeerRule("0.0.0.0/0"));
  // Shorter than /96 it covers more than the mapped range, so it stays IPv6.
  EXPECT_EQ(parsePeerRule("::/80").kind, PeerRule::Kind::kIpv6);
}

TEST(PeerRule, RejectsMalformedRules) {
  for (const auto* text : {"",
                           "anyone",
                           "Unix",
                           "vsock:",
                           "vsock:-1",
                           "vsock:4294967296",
                           "vsock:3:1024",
                           "192.0.2.0/33",
                           "192.0.2.0/",
                           "192.0.2.0/-1",
                           "192.0.2.0/2x",
                           "192.0.2",
                           "256.0.0.0",
                           "::1/129",
                           "example.com",
                           "tcp:192.0.2.1:5",
                           "192.0.2.1/24",
                           "fe80::1/10",
                           "::ffff:192.0.2.1/120",
                           " 192.0.2.1"}) {
    EXPECT_THROW(parsePeerRule(text), std::invalid_argument) << text;
  }
}

TEST(PeerRule, HostBitsErrorSuggestsTheNetwork) {
  try {
    parsePeerRule("2001:db8::1/32");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(),
                 "bad peer '2001:db8::1/32': address has bits set after the /32 prefix; did you "
                 "mean 2001:db8::/32?");
  }
}

TEST(PeerMatch, Ipv4NetworkEdges) {
  EXPECT_FALSE(matches("192.0.2.0/24", "tcp:192.0.1.255:1"));
  EXPECT_TRUE(matches("192.0.2.0/24", "tcp:192.0.2.0:1"));
  EXPECT_TRUE(matches("192.0.2.0/24", "tcp:192.0.2.255:1"));
  EXPECT_FALSE(matches("192.0.2.0/24", "tcp:192.0.3.0:1"));
  EXPECT_TRUE(matches("192.0.2.6/31", "tcp:192.0.2.7:1"));
  EXPECT_FALSE(matches("192.0.2.6/31", "tcp:192.0.2.8:1"));
  EXPECT_FALSE(matches("192.0.2.6/31", "tcp:192.0.2.5:1"));
  EXPECT_TRUE(matches("10.0.0.0/9", "tcp:10.127.255.255:1"));
  EXPECT_FALSE(matches("10.0.0.0/9", "tcp:10.128.0.0:1"));
  EXPECT_TRUE(matches("128.0.0.0/1", "tcp:255.255.255.255:1"));
  EXPECT_FALSE(matches("128.0.0.0/1", "tcp:127.255.255.255:1"));
}

TEST(PeerMatch, Ipv4HostAndEverything) {
  EXPECT_TRUE(matches("127.0.0.1", "tcp:127.0.0.1:5000"));
  EXPECT_FALSE(matches("127.0.0.1", "tcp:127.0.0.2:5000"));
  EXPECT_TRUE(matches("0.0.0.0/0", "tcp:0.0.0.0:0"));
  EXPECT_TRUE(matches("0.0.0.0/0", "tcp:255.255.255.255:65535"));
  EXPECT_FALSE(matches("0.0.0.0/0", "tcp:[::1]:5000"));
  EXPECT_FALSE(matches("0.0.0.0/0", "vsock:3:1024"));
  EXPECT_FALSE(matches("0.0.0.0/0", "unix"));
}

TEST(PeerMatch, Ipv6NetworkEdges) {
  EXPECT_TRUE(matches("::1", "tcp:[::1]:5000"));
  EXPECT_FALSE(matches("::1", "tcp:[::2]:5000"));
  EXPECT_TRUE(matches("2001:db8::/64", "tcp:[2001:db8::ffff:ffff:ffff:ffff]:1"));
  EXPECT_FALSE(matches("2001:db8::/64", "tcp:[2001:db8:0:1::]:1"));
  EXPECT_TRUE(matches("2001:db8::/127", "tcp:[2001:db8::1]:1"));
  EXPECT_FALSE(matches("2001:db8::/127", "tcp:[2001:db8::2]:1"));
  // A prefix that ends inside a byte: /61 leaves 3 host bits in the 8th byte.
  EXPECT_TRUE(matches("2001:db8:0:8::/61", "tcp:[2001:db8:0:f:ffff::]:1"));
  EXPECT_FALSE(matches("2001:db8:0:8::/61", "tcp:[2001:db8:0:10::]:1"));
  EXPECT_FALSE(matches("2001:db8:0:8::/61", "tcp:[2001:db8:0:7::]:1"));
  EXPECT_TRUE(matches("::/0", "tcp:[fe80::1]:1"));
  EXPECT_FALSE(matches("::/0", "tcp:127.0.0.1:1"));
}

TEST(PeerMatch, Ipv4ClientsOfADualStackListenerAreIpv4) {
  EXPECT_TRUE(matches("192.0.2.0/24", "tcp:[::ffff:192.0.2.9]:5000"));
  EXPECT_FALSE(matches("192.0.2.0/24", "tcp:[::ffff:192.0.3.9]:5000"));
  EXPECT_TRUE(matches("::ffff:192.0.2.0/120", "tcp:192.0.2.9:5000"));
  EXPECT_FALSE(matches("::/0", "tcp:[::ffff:192.0.2.9]:5000"));
}

TEST(PeerMatch, VsockCids) {
  EXPECT_TRUE(matches("vsock:3", "vsock:3:1024"));
  EXPECT_TRUE(matches("vsock:3", "vsock:3:4294967295"));
  EXPECT_FALSE(matches("vsock:3", "vsock:4:1024"));
  EXPECT_FALSE(matches("vsock:3", "vsock:33:1024"));
  EXPECT_TRUE(matches("vsock:0", "vsock:0:1"));
  EXPECT_FALSE(matches("vsock:3", "tcp:0.0.0.3:1024"));
  EXPECT_FALSE(matches("vsock:3", "unix"));
}

TEST(PeerMatch, UnixAndAny) {
  EXPECT_TRUE(matches("unix", "unix"));
  EXPECT_FALSE(matches("unix", "tcp:127.0.0.1:1"));
  for (const auto* peer : {"unix", "vsock:3:1", "tcp:[::1]:2", "tcp:10.0.0.1:3"}) {
    EXPECT_TRUE(matches("any", peer)) << peer;
  }
}

TEST(PeerMatch, MalformedPeersThrow) {
  for (const auto* peer :
       {"", "tcp:", "tcp:127.0.0.1", "tcp:127.0.0.1:", "tcp:127.0.0.1:65536", "tcp:::1:5",
        "tcp:[::1]", "tcp:[::1]5", "tcp:[127.0.0.1]:5", "tcp:host:5", "vsock:3", "vsock:x:1",
        "unix:/run/x", "UNIX", "udp:1.2.3.4:5"}) {
    EXPECT_THROW(matches("any", peer), std::invalid_argument) << peer;
  }
}

TEST(PeerMatch, AllowedWhenAnyRuleMatches) {
  const std::vector<PeerRule> rules = {parsePeerRule("vsock:3"), parsePeerRule("10.0.0.0/8")};
  EXPECT_TRUE(peerAllowed(rules, "vsock:3:99"));
  EXPECT_TRUE(peerAllowed(rules, "tcp:10.1.2.3:4"));
  EXPECT_FALSE(peerAllowed(rules, "tcp:11.1.2.3:4"));
  EXPECT_FALSE(peerAllowed({}, "tcp:10.1.2.3:4"));
  EXPECT_THROW(peerAllowed({}, "nonsense"), std::invalid_argument);
}

}  // namespace
}  // namespace usbip::policy
