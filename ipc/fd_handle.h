// File descriptors as capabilities: the broker wraps an opened fd in an FdHandle server, Cap'n
// Proto sends it as SCM_RIGHTS with the capability, and the worker takes it out again.
#pragma once

#include <kj/async.h>

#include "common/unique_fd.h"
#include "ipc/broker.capnp.h"

namespace usbip::ipc {

// Cap'n Proto servers are destroyed through kj::Own, which knows their real type; the generated
// bases have no virtual destructor of their own.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"

// Owns `fd` for as long as the capability lives; the RPC layer dup()s it into each message.
class FdHandleServer final : public FdHandle::Server {
 public:
  explicit FdHandleServer(UniqueFd fd) : fd_(std::move(fd)) {}
  kj::Maybe<int> getFd() override { return fd_.get(); }

 private:
  UniqueFd fd_;
};

#pragma GCC diagnostic pop

// Waits for the descriptor a received FdHandle carries and returns an owned duplicate (close-on-
// exec). Throws std::runtime_error when no descriptor came with it (fd passing off on the link).
UniqueFd takeFd(FdHandle::Client handle, kj::WaitScope& waitScope, const char* what);

}  // namespace usbip::ipc
