#include "tests/hostile/host_under_test.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string_view>

#include "common/syscall.h"

namespace usbip::hostile {
namespace {

// "client tcp:127.0.0.1:4711 (worker 99): ..." or "client tcp:127.0.0.1:4711: ...": the peer,
// and what follows it.
std::optional<std::pair<std::string, std::string_view>> peerOf(std::string_view line) {
  const auto at = line.find(": client ");
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view rest = line.substr(at + 9);
  const auto space = rest.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  std::string_view peer = rest.substr(0, space);
  if (peer.ends_with(':')) peer.remove_suffix(1);
  return std::pair{std::string(peer), rest.substr(space + 1)};
}

}  // namespace

HostUnderTest::HostUnderTest(const std::string& hostPath, const std::string& address,
                             const std::vector<std::string>& devices,
                             const std::vector<std::string>& args, const std::string& logCopy) {
  int pipeFds[2];
  checkSyscall(::pipe2(pipeFds, O_CLOEXEC), "pipe for the host's log");
  UniqueFd readEnd(pipeFds[0]), writeEnd(pipeFds[1]);

  std::vector<std::string> argv = {hostPath, "listen", address};
  argv.insert(argv.end(), devices.begin(), devices.end());
  argv.insert(argv.end(), {"--log-level", "info"});
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> pointers;
  for (auto& a : argv)
    pointers.push_back(a.data());
  pointers.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, writeEnd.get(), STDERR_FILENO);
  const int rc =
      ::posix_spawn(&pid_, hostPath.c_str(), &actions, nullptr, pointers.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throwErrno(rc, "start " + hostPath);
  writeEnd.reset();
  reader_ = std::thread(
      [this, fd = std::move(readEnd), logCopy]() mutable { readLog(std::move(fd), logCopy); });
}

HostUnderTest::~HostUnderTest() {
  if (pid_ > 0) stop();
  if (reader_.joinable()) reader_.join();
}

void HostUnderTest::readLog(UniqueFd pipe, std::string logCopy) {
  std::ofstream copy;
  if (!logCopy.empty()) copy.open(logCopy, std::ios::app);
  std::string pending;
  char chunk[4096];
  for (;;) {
    const ssize_t n = ::read(pipe.get(), chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    pending.append(chunk, static_cast<size_t>(n));
    size_t newline;
    while ((newline = pending.find('\n')) != std::string::npos) {
      const std::string line = pending.substr(0, newline);
      pending.erase(0, newline + 1);
      if (copy) copy << line << '\n' << std::flush;
      parse(line);
    }
  }
  std::lock_guard lock(mutex_);
  logClosed_ = true;
  changed_.notify_all();
}

void HostUnderTest::parse(const std::string& line) {
  std::lock_guard lock(mutex_);
  lines_.push_back(line);
  const auto found = peerOf(line);
  if (!found) return;
  const auto& [peer, rest] = *found;
  auto& records = connections_[peer];
  if (line.find("usbip-worker[") != std::string::npos) {
    if (!records.empty()) records.back().workerLines.emplace_back(rest);
  } else if (rest.starts_with("(worker ")) {
    const auto worker = static_cast<pid_t>(std::stol(std::string(rest.substr(8))));
    if (rest.ends_with("): connected")) {
      records.push_back({});
      records.back().worker = worker;
      ++connectionCount_;
    }
    constexpr std::string_view kEnd = "): worker ", kPeak = ", peak memory ";
    const auto end = rest.find(kEnd);
    const auto peak = rest.find(kPeak);
    if (end != std::string_view::npos && peak != std::string_view::npos && peak > end) {
      for (auto it = records.rbegin(); it != records.rend(); ++it) {
        if (it->worker != worker) continue;
        it->end = std::string(rest.substr(end + kEnd.size(), peak - end - kEnd.size()));
        it->peakKiB = std::stoull(std::string(rest.substr(peak + kPeak.size())));
        break;
      }
    }
  } else if (rest.starts_with("closed unanswered")) {
    records.push_back({});
    records.back().unanswered = true;
    ++connectionCount_;
  }
  changed_.notify_all();
}

size_t HostUnderTest::connectionsFrom(const std::string& peer) {
  std::lock_guard lock(mutex_);
  auto it = connections_.find(peer);
  return it == connections_.end() ? 0 : it->second.size();
}

std::optional<ConnectionRecord> HostUnderTest::waitForEnd(const std::string& peer, size_t index,
                                                          std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  auto ended = [&] {
    auto it = connections_.find(peer);
    return it != connections_.end() && it->second.size() > index && it->second[index].ended();
  };
  changed_.wait_for(lock, timeout, [&] { return logClosed_ || ended(); });
  if (!ended()) return std::nullopt;
  return connections_[peer][index];
}

std::optional<ConnectionRecord> HostUnderTest::record(const std::string& peer, size_t index) {
  std::lock_guard lock(mutex_);
  auto it = connections_.find(peer);
  if (it == connections_.end() || it->second.size() <= index) return std::nullopt;
  return it->second[index];
}

std::vector<std::string> HostUnderTest::signalledWorkers() {
  std::lock_guard lock(mutex_);
  std::vector<std::string> found;
  for (const auto& [peer, records] : connections_) {
    for (const auto& record : records) {
      if (record.end && record.end->starts_with("killed by signal")) {
        found.push_back(peer + ": " + *record.end);
      }
    }
  }
  return found;
}

size_t HostUnderTest::connectionsSeen() {
  std::lock_guard lock(mutex_);
  return connectionCount_;
}

bool HostUnderTest::alive() {
  if (pid_ <= 0) return false;
  siginfo_t info{};
  // WNOWAIT: looking must not reap it, stop() does that.
  if (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) < 0) {
    return false;
  }
  return info.si_pid == 0;
}

int HostUnderTest::stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  int status = 0;
  for (;;) {
    const pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_) break;
    if (done < 0 || std::chrono::steady_clock::now() > deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      pid_ = 0;
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  pid_ = 0;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::vector<std::string> HostUnderTest::tail(size_t count) {
  std::lock_guard lock(mutex_);
  const size_t from = lines_.size() > count ? lines_.size() - count : 0;
  return {lines_.begin() + static_cast<std::ptrdiff_t>(from), lines_.end()};
}

}  // namespace usbip::hostile
