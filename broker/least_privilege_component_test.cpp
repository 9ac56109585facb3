// Component test: the capabilities the running usbip-host and its workers hold, read from
// /proc/PID/status, and the whole path still serving a simulated device with only those
// (docs/security.md, "Broker least privilege"). Needs root, as CI runs.
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iostream>

#include "broker/component_test_client.h"
#include "common/socket.h"

namespace usbip {
namespace {

using namespace component_test;

struct CapabilitySets {
  uint64_t inheritable = 0, permitted = 0, effective = 0, bounding = 0, ambient = 0;
};

CapabilitySets capabilitySetsOf(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  if (!status) throw std::runtime_error("no /proc/" + std::to_string(pid) + "/status");
  CapabilitySets sets;
  const std::pair<const char*, uint64_t*> fields[] = {{"CapInh:", &sets.inheritable},
                                                      {"CapPrm:", &sets.permitted},
                                                      {"CapEff:", &sets.effective},
                                                      {"CapBnd:", &sets.bounding},
                                                      {"CapAmb:", &sets.ambient}};
  for (std::string line; std::getline(status, line);) {
    for (const auto& [name, value] : fields) {
      if (line.starts_with(name)) *value = std::stoull(line.substr(std::strlen(name)), nullptr, 16);
    }
  }
  return sets;
}

uint64_t maskOf(std::initializer_list<int> capabilities) {
  uint64_t mask = 0;
  for (const int capability : capabilities)
    mask |= uint64_t{1} << capability;
  return mask;
}

const uint64_t kServingSet = maskOf({CAP_SYS_ADMIN, CAP_SETUID, CAP_SETGID, CAP_SETPCAP, CAP_KILL});

// The measurement docs/security.md quotes.
void report(const char* process, pid_t pid, const CapabilitySets& sets) {
  std::cout << std::hex << process << " (pid " << std::dec << pid << std::hex << "): CapInh "
            << sets.inheritable << " CapPrm " << sets.permitted << " CapEff " << sets.effective
            << " CapBnd " << sets.bounding << " CapAmb " << sets.ambient << std::dec << "\n";
}

void expectExactly(const CapabilitySets& sets, uint64_t expected, const char* process) {
  EXPECT_EQ(sets.effective, expected) << process << " CapEff";
  EXPECT_EQ(sets.permitted, expected) << process << " CapPrm";
  EXPECT_EQ(sets.bounding, expected) << process << " CapBnd";
  EXPECT_EQ(sets.inheritable, 0u) << process << " CapInh";
  EXPECT_EQ(sets.ambient, 0u) << process << " CapAmb";
}

// The sandboxed worker is the only child of the supervisor the broker started.
pid_t childOf(pid_t pid) {
  std::ifstream children("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) +
                         "/children");
  pid_t child = 0;
  children >> child;
  return child;
}

class BrokerLeastPrivilege : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "the broker holds capabilities only when run as root";
  }
};

TEST_F(BrokerLeastPrivilege, ListenKeepsExactlyItsSetAndServesThroughTheSandbox) {
  const auto path = socketPath("usbip-host-caps");
  HostProcess host({"listen", "unix:" + path, "sim:cdc", "--log-level", "info"}, true);
  ASSERT_EQ(devlist(path).devices.size(), 1u);  // listening: the drop is behind it

  const auto broker = capabilitySetsOf(host.pid());
  report("usbip-host listen", host.pid(), broker);
  expectExactly(broker, kServingSet, "usbip-host");
  EXPECT_TRUE(host.waitForLog(
      "capabilities kept: CAP_SYS_ADMIN CAP_SETUID CAP_SETGID CAP_SETPCAP CAP_KILL; every other "
      "one dropped, bounding set included"));

  // End to end, sandbox on, started by the reduced broker.
  auto fd = dial(path);
  const auto reply = import(fd, "0-2");
  ASSERT_TRUE(reply && reply->device);
  ASSERT_EQ(reply->status, 0u);
  UrbClient cdc(std::move(fd), reply->device->devid());
  EXPECT_EQ(echoThroughCdc(cdc, "least privilege"), "");
  EXPECT_TRUE(host.waitForLog("worker sandbox entered"));

  const pid_t supervisor = newestWorkerPid(host);
  ASSERT_GT(supervisor, 0);
  const pid_t worker = childOf(supervisor);
  ASSERT_GT(worker, 0);
  const auto supervisorSets = capabilitySetsOf(supervisor);
  const auto workerSets = capabilitySetsOf(worker);
  report("worker supervisor", supervisor, supervisorSets);
  report("sandboxed worker", worker, workerSets);
  expectExactly(supervisorSets, 0, "supervisor");
  expectExactly(workerSets, 0, "worker");
  EXPECT_EQ(echoThroughCdc(cdc, "still echoing"), "");
}

TEST_F(BrokerLeastPrivilege, ConnectKeepsTheSameSet) {
  const auto path = socketPath("usbip-host-caps-connect");
  const Address address = parseAddress("unix:" + path);
  auto listener = listenOn(address);
  HostProcess host({"connect", "unix:" + path, "sim:hid", "--log-level", "warn"});
  pollfd pfd{listener.get(), POLLIN, 0};
  ASSERT_EQ(::poll(&pfd, 1, 10000), 1) << "the host did not dial";
  const auto sets = capabilitySetsOf(host.pid());
  report("usbip-host connect", host.pid(), sets);
  expectExactly(sets, kServingSet, "usbip-host connect");
  acceptConnection(listener, address);  // and closed at once: the worker ends, the host redials
  EXPECT_EQ(host.stop(), 0);
  std::filesystem::remove(path);
}

// A free tcp port below 1024 on the loopback, or 0.
uint16_t freeLowPort() {
  for (uint16_t port = 1023; port > 900; --port) {
    UniqueFd probe(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(probe.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
      return port;
    }
  }
  return 0;
}

TEST_F(BrokerLeastPrivilege, ListeningBelowPort1024AlsoKeepsNetBindService) {
  const uint16_t port = freeLowPort();
  if (port == 0) GTEST_SKIP() << "no free tcp port below 1024 on the loopback";
  HostProcess host(
      {"listen", "tcp:127.0.0.1:" + std::to_string(port), "sim:hid", "--log-level", "info"}, true);
  ASSERT_TRUE(host.waitForLog("listening on")) << host.log();
  const auto sets = capabilitySetsOf(host.pid());
  report("usbip-host listen (port below 1024)", host.pid(), sets);
  expectExactly(sets, kServingSet | maskOf({CAP_NET_BIND_SERVICE}), "usbip-host");
}

}  // namespace
}  // namespace usbip
