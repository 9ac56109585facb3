// engine-requests: the URB engine serving a simulated device over a socketpair, driven by a
// client thread through the real codec, one request at a time. Run under callgrind by
// bench/engine-cost.sh, which subtracts a short run from a long one to get the engine's own
// instructions per request: a figure that, unlike wall-clock time under emulation, is the same
// on every run of the same build.
//
//   engine-requests control COUNT   COUNT GET_DESCRIPTOR(device) requests to sim:hid
//   engine-requests bulk COUNT      COUNT round trips of 512 bytes through sim:cdc's echo
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <future>
#include <stdexcept>
#include <string>
#include <string_view>

#include "common/syscall.h"
#include "worker/engine_test_client.h"
#include "worker/engine_test_requests.h"
#include "worker/sim/sim_devices.h"
#include "worker/urb_engine.h"

namespace {

using namespace usbip;
using namespace usbip::worker;

void run(std::string_view kind, int count) {
  bool bulk = kind == "bulk";
  if (!bulk && kind != "control") throw std::invalid_argument("kind must be control or bulk");
  auto device = sim::makeSimulatedDevice(bulk ? "cdc" : "hid", sim::SimOptions{});
  uint32_t devid = device->description().exported.device.devid();
  int fds[2];
  checkSyscall(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), "socketpair");
  testing::EngineTestClient client{UniqueFd(fds[1])};
  UrbEngine engine{UniqueFd(fds[0]), std::vector<uint8_t>{}, *device, UrbEngineOptions{}};
  auto served = std::async(std::launch::async, [&] { return engine.run(); });

  const std::vector<uint8_t> chunk(512, 0x5a);
  uint32_t seqnum = 0;
  for (int i = 0; i < count; ++i) {
    if (bulk) {
      client.send(testing::submit(++seqnum, 2, proto::Direction::kOut, 512, chunk, devid));
      if (client.receiveRetSubmit().status != 0) throw std::runtime_error("bulk OUT failed");
      client.send(testing::submit(++seqnum, 2, proto::Direction::kIn, 512, {}, devid));
      proto::RetSubmit echoed = client.receiveRetSubmit();
      if (echoed.status != 0 || echoed.payload != chunk) throw std::runtime_error("no echo");
    } else {
      client.send(testing::control(++seqnum, testing::setupBytes(0x80, 0x06, 0x0100, 0, 18), {},
                                   devid));
      if (client.receiveRetSubmit().status != 0) throw std::runtime_error("request failed");
    }
  }
  client.close();
  served.get();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: engine-requests control|bulk COUNT\n");
    return 2;
  }
  try {
    spdlog::set_level(spdlog::level::warn);
    run(argv[1], std::atoi(argv[2]));
  } catch (const std::exception& error) {
    std::fprintf(stderr, "engine-requests: %s\n", error.what());
    return 1;
  }
  return 0;
}
