// The hostile-client table: one row per invalid input of docs/input-rules.md and per attack
// shape behind published USB/IP bugs, each with what the host must do about it.
#pragma once

#include <span>

#include "tests/hostile/case_run.h"

namespace usbip::hostile {

// What a case needs of the target; a case whose need the target lacks is not run on it.
enum class Needs {
  kNothing,     // handshake only, no device: run once per suite
  kDevice,      // any imported device (endpoint 0): run on the first target only
  kInEndpoint,  // a non-control IN endpoint
  kBulkOut,
  kPendingIn,  // a bulk IN that waits for data (an echo device with nothing written)
  kIsoIn,
  kIsoOut,
  kOneWay,  // an endpoint number that exists for one direction only
  kStorm,   // the connection storm: run once, alone
};

struct Case {
  const char* id;
  const char* rule;    // the docs/input-rules.md rule, or the attack it stands for
  const char* yields;  // what the host must do: the assertion, in words
  Needs needs;
  void (*run)(CaseRun&);
};

std::span<const Case> hostileCases();

}  // namespace usbip::hostile
