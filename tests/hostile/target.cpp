#include "tests/hostile/target.h"

#include <algorithm>
#include <stdexcept>

#include "tests/hostile/wire.h"

namespace usbip::hostile {
namespace {

// The honest requests' seqnums, far from those of the cases (CaseRun::seqnum), which may
// share a connection with them.
uint32_t nextSeqnum = 1u << 30;

std::runtime_error failure(const std::string& what) {
  return std::runtime_error(what);
}

}  // namespace

Target parseTarget(const std::string& spec) {
  Target target;
  const auto colon = spec.find(':');
  target.busid = spec.substr(0, colon);
  if (colon != std::string::npos) {
    const std::string check = spec.substr(colon + 1);
    if (check == "echo") {
      target.check = DataCheck::kEcho;
    } else if (check == "sourcesink") {
      target.check = DataCheck::kSourceSink;
    } else {
      throw std::invalid_argument("unknown data check '" + check + "' in '" + spec +
                                  "' (echo or sourcesink)");
    }
  }
  if (target.busid.empty()) throw std::invalid_argument("no bus ID in '" + spec + "'");
  return target;
}

proto::RetSubmit transact(Connection& connection, const proto::CmdSubmit& request) {
  auto& urbs = connection.urbs();
  urbs.send(request);
  for (;;) {
    auto reply = urbs.receive(10s);
    if (!reply) throw failure("no reply to seqnum " + std::to_string(request.base.seqnum));
    if (auto* ret = std::get_if<proto::RetSubmit>(&*reply)) {
      if (ret->base.seqnum == request.base.seqnum) return *ret;
    }
  }
}

void discover(uint16_t port, Target& target) {
  Connection connection(port);
  const auto reply = connection.import(target.busid);
  if (!reply || reply->status != 0) throw failure("cannot import " + target.busid);
  target.devid = reply->device.devid();
  auto head = transact(connection, wire::control(nextSeqnum++, target.devid,
                                                 wire::setupBytes(0x80, 0x06, 0x0200, 0, 9)));
  if (head.status != 0 || head.payload.size() < 4) throw failure("no configuration descriptor");
  const uint16_t total = static_cast<uint16_t>(head.payload[2] | head.payload[3] << 8);
  auto full = transact(connection, wire::control(nextSeqnum++, target.devid,
                                                 wire::setupBytes(0x80, 0x06, 0x0200, 0, total)));
  if (full.status != 0) throw failure("configuration descriptor refused");
  target.layout = parseConfiguration(full.payload);
}

bool selectAlternate(Connection& connection, const Target& target, const Endpoint& endpoint) {
  if (endpoint.alternate == 0) return true;
  const auto reply = transact(
      connection,
      wire::control(nextSeqnum++, target.devid,
                    wire::setupBytes(0x01, 0x0b, endpoint.alternate, endpoint.interface, 0)));
  return reply.status == 0;
}

void honestTransfers(Connection& connection, const Target& target) {
  const auto device = transact(connection, wire::getDeviceDescriptor(nextSeqnum++, target.devid));
  if (device.status != 0 || device.payload.size() != 18 || device.payload[1] != 0x01) {
    throw failure("GET_DESCRIPTOR(DEVICE) answered status " + std::to_string(device.status) +
                  " with " + std::to_string(device.payload.size()) + " bytes");
  }
  if (target.check == DataCheck::kNone) return;
  const auto out = target.layout.find(endpoint_type::kBulk, false);
  const auto in = target.layout.find(endpoint_type::kBulk, true);
  if (!out || !in) throw failure("no bulk endpoint pair for the data check");
  // SourceSink checks what it sinks against its pattern (zeros in the test VM) and halts the
  // endpoint on a mismatch; the echo device gets a pattern that shows reordering.
  std::vector<uint8_t> data(out->maxPacket);
  if (target.check == DataCheck::kEcho) {
    for (size_t i = 0; i < data.size(); ++i)
      data[i] = static_cast<uint8_t>(i * 7 + 1);
  }
  const auto wrote = transact(
      connection, wire::submit(nextSeqnum++, target.devid, out->number(), proto::Direction::kOut,
                               static_cast<int32_t>(data.size()), data));
  if (wrote.status != 0 || wrote.actual_length != static_cast<int32_t>(data.size())) {
    throw failure("bulk OUT answered status " + std::to_string(wrote.status) + ", " +
                  std::to_string(wrote.actual_length) + " bytes");
  }
  const auto read =
      transact(connection, wire::submit(nextSeqnum++, target.devid, in->number(),
                                        proto::Direction::kIn, static_cast<int32_t>(data.size())));
  if (read.status != 0) throw failure("bulk IN answered status " + std::to_string(read.status));
  if (target.check == DataCheck::kEcho && read.payload != data) {
    throw failure("bulk IN did not echo what was written (" + std::to_string(read.payload.size()) +
                  " bytes back)");
  }
  if (target.check == DataCheck::kSourceSink &&
      (read.payload.empty() ||
       std::any_of(read.payload.begin(), read.payload.end(), [](uint8_t b) { return b != 0; }))) {
    throw failure("bulk IN from the source did not deliver its zeros (" +
                  std::to_string(read.payload.size()) + " bytes)");
  }
}

}  // namespace usbip::hostile
