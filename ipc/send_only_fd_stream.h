// The broker's message stream on the broker-worker socketpair: it sends descriptors with its
// messages and never accepts one.
//
// Cap'n Proto 0.9 attaches descriptors to outgoing messages only when the network was created
// with maxFdsPerMessage > 0, and that same number also lets the peer send descriptors in. The
// broker must send (the client socket, the usbfs node) but has no use for a descriptor from a
// worker, which may be hostile: this stream reads without room for descriptors, so the kernel
// discards any that a worker attaches.
#pragma once

#include <capnp/serialize-async.h>
#include <kj/async-io.h>

namespace usbip::ipc {

// capnp::MessageStream has no virtual destructor; this type is only ever used by value.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"

class SendOnlyFdStream final : public capnp::MessageStream {
 public:
  explicit SendOnlyFdStream(kj::AsyncCapabilityStream& stream) : inner_(stream) {}

  kj::Promise<kj::Maybe<capnp::MessageReaderAndFds>> tryReadMessage(
      kj::ArrayPtr<kj::AutoCloseFd> /*fdSpace*/, capnp::ReaderOptions options,
      kj::ArrayPtr<capnp::word> scratchSpace) override {
    return inner_.tryReadMessage(nullptr, options, scratchSpace);
  }
  kj::Promise<void> writeMessage(
      kj::ArrayPtr<const int> fds,
      kj::ArrayPtr<const kj::ArrayPtr<const capnp::word>> segments) override {
    return inner_.writeMessage(fds, segments);
  }
  kj::Promise<void> writeMessages(
      kj::ArrayPtr<kj::ArrayPtr<const kj::ArrayPtr<const capnp::word>>> messages) override {
    return inner_.writeMessages(messages);
  }
  kj::Maybe<int> getSendBufferSize() override { return inner_.getSendBufferSize(); }
  kj::Promise<void> end() override { return inner_.end(); }

 private:
  capnp::AsyncCapabilityMessageStream inner_;
};

#pragma GCC diagnostic pop

// How many descriptors one message from the broker may carry (the worker's receive limit, and
// the number that switches sending on for the broker).
inline constexpr unsigned kMaxFdsPerBrokerMessage = 1;

}  // namespace usbip::ipc
