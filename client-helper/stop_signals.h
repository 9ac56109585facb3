// SIGINT and SIGTERM as a file descriptor, so that the listener waits for a connection or a stop
// in one poll() and stops between two connections, never in the middle of an attach.
#pragma once

#include <signal.h>

#include "common/unique_fd.h"

namespace usbip::client {

class StopSignals {
 public:
  // Blocks SIGINT and SIGTERM for this thread (create it before any other thread) and opens a
  // signalfd for them.
  StopSignals();
  // Restores the signal mask.
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  const UniqueFd& fd() const { return fd_; }

  // Consumes a pending stop signal; returns whether there was one. It must be consumed: one left
  // pending would be delivered, and kill the process, when the destructor unblocks it.
  bool take();

 private:
  sigset_t previous_{};
  UniqueFd fd_;
};

}  // namespace usbip::client
