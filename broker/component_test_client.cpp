#include "broker/component_test_client.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <stdexcept>

#include "common/socket.h"
#include "common/spawn.h"
#include "common/syscall.h"

namespace usbip::component_test {

uint32_t be32(const std::vector<uint8_t>& b, size_t at) {
  if (at + 4 > b.size()) throw std::runtime_error("reply too short");
  return uint32_t{b[at]} << 24 | uint32_t{b[at + 1]} << 16 | uint32_t{b[at + 2]} << 8 | b[at + 3];
}

namespace {

std::string text(const std::vector<uint8_t>& b, size_t at, size_t size) {
  if (at + size > b.size()) throw std::runtime_error("reply too short");
  const auto* p = reinterpret_cast<const char*>(b.data() + at);
  return std::string(p, strnlen(p, size));
}

constexpr size_t kHeader = kOpHeaderBytes, kRecord = 312;
Record recordAt(const std::vector<uint8_t>& b, size_t at) {
  return {text(b, at + 256, 32), be32(b, at + 288), be32(b, at + 292), b.at(at + 311)};
}

// argv for usbip-host ARGS...; points into `args`, which must outlive it.
std::vector<char*> hostArgv(std::vector<std::string>& args) {
  args.insert(args.begin(), USBIP_HOST_PATH);
  return spawnArgv(args);
}

}  // namespace

PolicyDir::PolicyDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "usbip-policy-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throwErrno(errno, "mkdtemp for a policy directory");
  path_ = pattern;
  std::filesystem::permissions(path_, std::filesystem::perms(0755));
}

PolicyDir::~PolicyDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

void PolicyDir::write(const std::string& name, const std::string& text) const {
  const auto file = std::filesystem::path(path_) / name;
  std::ofstream out(file);
  out << text;
  out.close();
  if (!out) throw std::runtime_error("cannot write policy file " + file.string());
  std::filesystem::permissions(file, std::filesystem::perms(0644));
}

Captured runHost(std::vector<std::string> args) {
  auto argv = hostArgv(args);
  int out[2];
  checkSyscall(::pipe2(out, O_CLOEXEC), "pipe for usbip-host's output");
  UniqueFd reader(out[0]);
  UniqueFd writer(out[1]);
  SpawnFileActions files;
  checkSpawn(posix_spawn_file_actions_adddup2(&files.actions, writer.get(), STDOUT_FILENO),
             "spawn: output pipe as stdout");
  checkSpawn(posix_spawn_file_actions_adddup2(&files.actions, writer.get(), STDERR_FILENO),
             "spawn: output pipe as stderr");
  pid_t pid = 0;
  const int rc =
      ::posix_spawn(&pid, USBIP_HOST_PATH, &files.actions, nullptr, argv.data(), environ);
  writer.reset();
  if (rc != 0) throwErrno(rc, "spawn usbip-host");
  Captured captured;
  char chunk[4096];
  for (ssize_t n; (n = ::read(reader.get(), chunk, sizeof chunk)) > 0;)
    captured.output.append(chunk, static_cast<size_t>(n));
  int status = 0;
  checkSyscall(::waitpid(pid, &status, 0), "waitpid usbip-host");
  captured.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return captured;
}

HostProcess::HostProcess(std::vector<std::string> args, bool captureLog) {
  auto argv = hostArgv(args);
  SpawnFileActions files;
  UniqueFd logRead, logWrite;
  if (captureLog) {
    int pipe[2];
    checkSyscall(::pipe2(pipe, O_CLOEXEC), "pipe for the host's log");
    logRead = UniqueFd(pipe[0]);
    logWrite = UniqueFd(pipe[1]);
    checkSpawn(posix_spawn_file_actions_adddup2(&files.actions, logWrite.get(), STDERR_FILENO),
               "spawn: log pipe as stderr");
  }
  const int rc =
      ::posix_spawn(&pid_, USBIP_HOST_PATH, &files.actions, nullptr, argv.data(), environ);
  if (rc != 0) throwErrno(rc, "spawn usbip-host");
  if (captureLog) {
    collector_ =
        std::thread([this, from = std::move(logRead)]() mutable { collectLog(std::move(from)); });
  }
}

HostProcess::~HostProcess() {
  if (pid_ > 0) stop();
  if (collector_.joinable()) collector_.join();  // ends when every writer has gone
}

int HostProcess::stop() {
  ::kill(pid_, SIGTERM);
  return wait();
}

int HostProcess::wait() {
  int status = 0;
  ::waitpid(std::exchange(pid_, 0), &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void HostProcess::collectLog(UniqueFd from) {
  char chunk[4096];
  for (;;) {
    const ssize_t n = ::read(from.get(), chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    std::lock_guard lock(mutex_);
    log_.append(chunk, static_cast<size_t>(n));
  }
}

std::string HostProcess::log() const {
  std::lock_guard lock(mutex_);
  return log_;
}

bool HostProcess::waitForLog(const std::string& needle, size_t count,
                             std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (occurrences(log(), needle) < count) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

size_t occurrences(const std::string& text, const std::string& needle) {
  size_t count = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
    ++count;
  return count;
}

pid_t newestWorkerPid(const HostProcess& host) {
  const std::string log = host.log();
  static const std::regex connected(R"(\(worker (\d+)\): connected)");
  pid_t pid = 0;
  for (auto it = std::sregex_iterator(log.begin(), log.end(), connected);
       it != std::sregex_iterator(); ++it)
    pid = static_cast<pid_t>(std::stol((*it)[1]));
  return pid;
}

pid_t importingWorkerPid(const HostProcess& host, const std::string& busid, size_t nth) {
  const std::string suffix = "): imports " + busid + " ";
  if (nth == 0 || !host.waitForLog(suffix, nth)) return 0;
  const std::string log = host.log();
  size_t at = 0;
  for (size_t seen = 0; seen < nth; ++seen)
    at = log.find(suffix, seen == 0 ? 0 : at + 1);
  const size_t open = log.rfind("(worker ", at);
  if (open == std::string::npos) return 0;
  return static_cast<pid_t>(std::stol(log.substr(open + 8, at - open - 8)));
}

std::string socketPath(const char* name) {
  return (std::filesystem::temp_directory_path() /
          (std::string(name) + "-" + std::to_string(::getpid()) + ".sock"))
      .string();
}

UniqueFd dial(const std::string& path) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  for (;;) {
    try {
      return connectTo(parseAddress("unix:" + path));
    } catch (const std::system_error&) {
      if (std::chrono::steady_clock::now() > deadline) throw;
      std::this_thread::sleep_for(20ms);
    }
  }
}

void sendBytes(const UniqueFd& fd, const std::vector<uint8_t>& bytes) {
  writeAll(fd, bytes.data(), bytes.size());
}

std::vector<uint8_t> readToEnd(const UniqueFd& fd) {
  std::vector<uint8_t> bytes;
  uint8_t chunk[1024];
  for (;;) {
    pollfd pfd{fd.get(), POLLIN, 0};
    if (::poll(&pfd, 1, 10000) != 1) throw std::runtime_error("no reply within 10 s");
    const ssize_t n = ::read(fd.get(), chunk, sizeof chunk);
    if (n <= 0) return bytes;
    bytes.insert(bytes.end(), chunk, chunk + n);
  }
}

bool closedByPeer(const UniqueFd& fd) {
  pollfd pfd{fd.get(), POLLIN, 0};
  if (::poll(&pfd, 1, 10000) != 1) return false;
  uint8_t byte;
  return ::read(fd.get(), &byte, 1) == 0;
}

Devlist devlist(const std::string& path) {
  auto fd = dial(path);
  send(fd, proto::OpReqDevlist{});
  const auto b = readToEnd(fd);
  Devlist list{be32(b, 4), {}, {}};
  size_t at = kHeader + 4;
  for (uint32_t i = 0, n = be32(b, kHeader); i < n; ++i) {
    list.devices.push_back(recordAt(b, at));
    list.firstInterfaceClasses.push_back(b.at(at + kRecord));
    at += kRecord + 4u * list.devices.back().numInterfaces;
  }
  return list;
}

std::optional<ImportReply> import(const UniqueFd& fd, const std::string& busid) {
  send(fd, proto::OpReqImport{busid});
  std::vector<uint8_t> b(kHeader);
  try {
    readExact(fd, b.data(), kHeader);
  } catch (const std::runtime_error&) {
    return std::nullopt;
  }
  ImportReply reply{be32(b, 4), std::nullopt};
  if (reply.status == 0) {
    b.resize(kHeader + kRecord);
    readExact(fd, b.data() + kHeader, kRecord);
    reply.device = recordAt(b, kHeader);
  }
  return reply;
}

UrbClient::UrbClient(UniqueFd connection, uint32_t devid)
    : connection_(std::move(connection)),
      devid_(devid),
      decoder_(proto::Limits{}, [this](uint32_t seqnum) -> std::optional<proto::PendingSubmit> {
        const auto it = pending_.find(seqnum);
        if (it == pending_.end()) return std::nullopt;
        return it->second;
      }) {}

std::optional<proto::RetSubmit> UrbClient::transfer(proto::CmdSubmit submit,
                                                    std::chrono::milliseconds timeout) {
  const uint32_t seqnum = nextSeqnum_++;
  submit.base.seqnum = seqnum;
  submit.base.devid = devid_;
  pending_[seqnum] = {submit.base.direction, false, submit.transfer_buffer_length, 0};
  try {
    send(connection_, submit);
  } catch (const std::system_error&) {
    return std::nullopt;  // the server went away (EPIPE, ECONNRESET)
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  uint8_t chunk[4096];
  for (;;) {
    while (auto message = decoder_.next()) {
      if (auto* ret = std::get_if<proto::RetSubmit>(&*message); ret && ret->base.seqnum == seqnum) {
        pending_.erase(seqnum);
        return std::move(*ret);
      }
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      throw std::runtime_error("no RET_SUBMIT for seqnum " + std::to_string(seqnum) + " in time");
    }
    pollfd pfd{connection_.get(), POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(left.count())) != 1) continue;
    const ssize_t n = ::read(connection_.get(), chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;
    decoder_.feed(std::span<const uint8_t>(chunk, static_cast<size_t>(n)));
  }
}

proto::CmdSubmit controlIn(std::array<uint8_t, 8> setup, int32_t length) {
  proto::CmdSubmit submit;
  submit.base = {0, 0, proto::Direction::kIn, 0};
  submit.transfer_buffer_length = length;
  submit.setup = setup;
  return submit;
}

proto::CmdSubmit controlOut(std::array<uint8_t, 8> setup) {
  proto::CmdSubmit submit;
  submit.base = {0, 0, proto::Direction::kOut, 0};
  submit.setup = setup;
  return submit;
}

proto::CmdSubmit bulkOut(uint32_t endpoint, std::vector<uint8_t> data) {
  proto::CmdSubmit submit;
  submit.base = {0, 0, proto::Direction::kOut, endpoint};
  submit.transfer_buffer_length = static_cast<int32_t>(data.size());
  submit.payload.assign(data.begin(), data.end());
  return submit;
}

proto::CmdSubmit bulkIn(uint32_t endpoint, int32_t length) {
  proto::CmdSubmit submit;
  submit.base = {0, 0, proto::Direction::kIn, endpoint};
  submit.transfer_buffer_length = length;
  return submit;
}

std::string echoThroughCdc(UrbClient& cdc, const std::string& text) {
  const std::vector<uint8_t> sent(text.begin(), text.end());
  const auto out = cdc.transfer(bulkOut(2, sent));
  if (!out) return "connection closed before the bulk OUT completed";
  if (out->status != 0) return "bulk OUT status " + std::to_string(out->status);
  std::vector<uint8_t> echoed;
  while (echoed.size() < sent.size()) {
    const auto in = cdc.transfer(bulkIn(2, 64));
    if (!in) return "connection closed before the bulk IN completed";
    if (in->status != 0) return "bulk IN status " + std::to_string(in->status);
    echoed.insert(echoed.end(), in->payload.begin(), in->payload.end());
  }
  if (echoed != sent) return "echoed '" + std::string(echoed.begin(), echoed.end()) + "'";
  return "";
}

}  // namespace usbip::component_test
