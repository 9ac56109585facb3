#include "worker/sim/completion_queue.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <stdexcept>
#include <string>

#include "common/syscall.h"

namespace usbip::worker::sim {

CompletionQueue::CompletionQueue()
    : wakeup_(
          checkSyscall(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC), "eventfd for sim completions")) {}

void CompletionQueue::add(Transfer transfer, Completion done) {
  const uint64_t id = transfer.id;
  if (entries_.contains(id)) {
    throw std::invalid_argument("transfer id " + std::to_string(id) + " is already pending");
  }
  entries_.emplace(id, Entry{std::move(transfer), std::move(done), std::nullopt});
}

Transfer* CompletionQueue::inFlight(uint64_t id) {
  const auto it = entries_.find(id);
  if (it == entries_.end() || it->second.result) return nullptr;
  return &it->second.transfer;
}

std::vector<uint64_t> CompletionQueue::inFlightIds() const {
  std::vector<uint64_t> ids;
  for (const auto& [id, entry] : entries_) {
    if (!entry.result) ids.push_back(id);
  }
  return ids;
}

bool CompletionQueue::finish(uint64_t id, TransferResult result) {
  const auto it = entries_.find(id);
  if (it == entries_.end() || it->second.result) return false;
  it->second.result = std::move(result);
  ready_.push_back(id);
  signalWakeup();
  return true;
}

size_t CompletionQueue::deliverReady() {
  size_t delivered = 0;
  // Only what was ready on entry: a completion that resubmits and finishes at once must not
  // keep this loop going forever.
  for (size_t count = ready_.size(); count > 0; --count) {
    const uint64_t id = ready_.front();
    ready_.pop_front();
    auto node = entries_.extract(id);
    Entry& entry = node.mapped();
    entry.done(id, std::move(*entry.result));
    ++delivered;
  }
  if (!ready_.empty()) signalWakeup();
  return delivered;
}

void CompletionQueue::clearWakeup() {
  uint64_t count = 0;
  const ssize_t rc = ::read(wakeup_.get(), &count, sizeof count);
  if (rc < 0 && errno != EAGAIN && errno != EINTR) throwErrno(errno, "read sim completion eventfd");
}

void CompletionQueue::signalWakeup() {
  const uint64_t one = 1;
  retrySyscall("write sim completion eventfd",
               [&] { return ::write(wakeup_.get(), &one, sizeof one); });
}

}  // namespace usbip::worker::sim
