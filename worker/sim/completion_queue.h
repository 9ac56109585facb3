// The transfers a simulated device holds, and the completions it owes. A transfer is in flight
// from submit() until the device finishes it; it is then ready until deliverReady(), called
// from handleEvents(), hands its result to the engine. An eventfd is readable while anything is
// ready, so the engine's poll loop wakes up for it.
#pragma once

#include <poll.h>

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <vector>

#include "common/unique_fd.h"
#include "worker/device_backend.h"

namespace usbip::worker::sim {

class CompletionQueue {
 public:
  CompletionQueue();

  // Takes a new transfer. Throws std::invalid_argument when its id is already held.
  void add(Transfer transfer, Completion done);
  // The transfer, while it is in flight (not yet finished); nullptr otherwise.
  Transfer* inFlight(uint64_t id);
  // Ids of the transfers in flight, ascending.
  std::vector<uint64_t> inFlightIds() const;
  // Whether `id` is held at all: in flight, or finished and not yet delivered.
  bool holds(uint64_t id) const { return entries_.contains(id); }
  bool empty() const { return entries_.empty(); }
  bool hasReady() const { return !ready_.empty(); }

  // Records the result of a transfer in flight. False when `id` is not in flight.
  bool finish(uint64_t id, TransferResult result);

  // Calls the completions of the transfers that were ready when it was called, oldest first.
  // Each entry is forgotten before its completion runs, so the completion may resubmit its id.
  size_t deliverReady();

  pollfd pollFd() const { return {wakeup_.get(), POLLIN, 0}; }
  // Empties the eventfd; deliverReady() signals it again if anything is still ready.
  void clearWakeup();
  void signalWakeup();

 private:
  struct Entry {
    Transfer transfer;
    Completion done;
    std::optional<TransferResult> result;  // set once finished
  };

  UniqueFd wakeup_;
  std::map<uint64_t, Entry> entries_;
  std::deque<uint64_t> ready_;  // finished, in the order they finished
};

}  // namespace usbip::worker::sim
