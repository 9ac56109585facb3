// How far the broker reads into one Cap'n Proto message from a worker. Shared by the broker and
// the fuzz target that plays a hostile worker, so that the fuzzer tests the limits in use.
#pragma once

#include <capnp/message.h>

namespace usbip::ipc {

// IPC messages from a worker are tiny; a worker sending more is broken or hostile.
inline capnp::ReaderOptions workerMessageLimits() {
  capnp::ReaderOptions options;
  options.traversalLimitInWords = 16 * 1024;
  options.nestingLimit = 16;
  return options;
}

}  // namespace usbip::ipc
