// The device the cases attack, and what an honest client does with it.
#pragma once

#include <cstdint>
#include <string>

#include "protocol/messages.h"
#include "tests/hostile/connection.h"
#include "tests/hostile/device_layout.h"

namespace usbip::hostile {

// How an honest client checks the device's data path beyond endpoint 0.
enum class DataCheck {
  kNone,        // GET_DESCRIPTOR only
  kEcho,        // bulk OUT comes back on bulk IN (sim:cdc)
  kSourceSink,  // bulk OUT is consumed, bulk IN delivers data (the SourceSink gadget)
};

struct Target {
  std::string busid;
  DataCheck check = DataCheck::kNone;
  uint32_t devid = 0;
  DeviceLayout layout;
};

// "BUSID", "BUSID:echo" or "BUSID:sourcesink". Throws std::invalid_argument.
Target parseTarget(const std::string& spec);

// Imports the target once to learn its devid and endpoints. Throws std::runtime_error.
void discover(uint16_t port, Target& target);

// Sends `request` and waits for its RET_SUBMIT. Throws std::runtime_error when none comes.
proto::RetSubmit transact(Connection& connection, const proto::CmdSubmit& request);

// SET_INTERFACE to the endpoint's alternate setting when it is not 0. False if refused.
bool selectAlternate(Connection& connection, const Target& target, const Endpoint& endpoint);

// An honest client on an imported connection: GET_DESCRIPTOR(DEVICE) and, per `check`, a bulk
// round trip. Throws std::runtime_error saying what did not work.
void honestTransfers(Connection& connection, const Target& target);

}  // namespace usbip::hostile
