// What the broker's component tests share: a usbip-host child process whose log they can read,
// and a plain USB/IP client (the test itself, not the client helper) for devlist, import and URBs.
#pragma once

#include <sys/types.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/unique_fd.h"
#include "protocol/codec.h"
#include "protocol/messages.h"

namespace usbip::component_test {

using namespace std::chrono_literals;

// A usbip-host child process, stopped with SIGTERM when the test ends.
class HostProcess {
 public:
  // With `captureLog`, its stderr (its own log lines and its workers') is collected for log() and
  // waitForLog(); otherwise it goes to the test's stderr.
  explicit HostProcess(std::vector<std::string> args, bool captureLog = false);
  ~HostProcess();
  HostProcess(const HostProcess&) = delete;
  HostProcess& operator=(const HostProcess&) = delete;

  pid_t pid() const { return pid_; }
  // SIGTERM, then the exit status (-1 when killed by a signal).
  int stop();
  int wait();

  std::string log() const;
  // Waits until `needle` occurs at least `count` times in the log; false at the deadline.
  bool waitForLog(const std::string& needle, size_t count = 1,
                  std::chrono::milliseconds timeout = 20s) const;

 private:
  void collectLog(UniqueFd from);

  pid_t pid_ = 0;
  mutable std::mutex mutex_;
  std::string log_;
  std::thread collector_;
};

struct Captured {
  int status = -1;     // exit status; -1 when killed by a signal
  std::string output;  // stdout and stderr
};
// Runs usbip-host ARGS... to its end with its output captured.
Captured runHost(std::vector<std::string> args);

// A policy directory of its own for one test (root's, mode 0755, as the broker requires),
// removed afterwards.
class PolicyDir {
 public:
  PolicyDir();
  ~PolicyDir();
  PolicyDir(const PolicyDir&) = delete;
  PolicyDir& operator=(const PolicyDir&) = delete;
  // Writes NAME with `text`, mode 0644; throws when it cannot.
  void write(const std::string& name, const std::string& text) const;
  std::string path() const { return path_; }

 private:
  std::string path_;
};

size_t occurrences(const std::string& text, const std::string& needle);

// The pid the host logged for its newest worker ("client ... (worker 4711): connected"), or 0.
pid_t newestWorkerPid(const HostProcess& host);
// The pid of the `nth` worker (from 1) the host logged as importing `busid` ("(worker 4711):
// imports 1-2 under ..."), once that line is in the log: the log comes through a pipe and can
// lag behind the import's reply. 0 when it does not come within the log wait's timeout.
pid_t importingWorkerPid(const HostProcess& host, const std::string& busid, size_t nth);

std::string socketPath(const char* name);

// Dials `path` until the host listens there (it may still be starting).
UniqueFd dial(const std::string& path);

void sendBytes(const UniqueFd& fd, const std::vector<uint8_t>& bytes);
void send(const UniqueFd& fd, const auto& message) {
  std::vector<uint8_t> bytes;
  proto::encode(message, bytes);
  sendBytes(fd, bytes);
}

// Reads everything until the server closes the connection.
std::vector<uint8_t> readToEnd(const UniqueFd& fd);

// True when the server closes the connection within 10 s without sending anything more.
bool closedByPeer(const UniqueFd& fd);

// The fixed layout of the replies is read directly: this is a plain USB/IP client, not the
// client helper's decoder. A big-endian 32-bit field at `at`; throws when the reply is shorter.
uint32_t be32(const std::vector<uint8_t>& bytes, size_t at);
inline constexpr size_t kOpHeaderBytes = 8;  // version, code, status

struct Record {
  std::string busid;
  uint32_t busnum = 0, devnum = 0;
  uint8_t numInterfaces = 0;
  uint32_t devid() const { return busnum << 16 | devnum; }
};

struct Devlist {
  uint32_t status = 0;
  std::vector<Record> devices;
  std::vector<uint8_t> firstInterfaceClasses;
};
Devlist devlist(const std::string& path);

struct ImportReply {
  uint32_t status = 0;
  std::optional<Record> device;
};
// OP_REQ_IMPORT on `fd`; nullopt when the server closed the connection instead of replying.
std::optional<ImportReply> import(const UniqueFd& fd, const std::string& busid);

// The URB stream of one imported device: each call submits one URB and waits for its RET_SUBMIT.
class UrbClient {
 public:
  UrbClient(UniqueFd connection, uint32_t devid);
  UrbClient(const UrbClient&) = delete;
  UrbClient& operator=(const UrbClient&) = delete;

  // Fills in seqnum and devid, sends `submit` and returns its RET_SUBMIT; nullopt when the
  // server closes the connection first. Throws std::runtime_error when nothing came in time.
  std::optional<proto::RetSubmit> transfer(proto::CmdSubmit submit,
                                           std::chrono::milliseconds timeout = 10s);

 private:
  UniqueFd connection_;
  uint32_t devid_;
  uint32_t nextSeqnum_ = 1;
  std::map<uint32_t, proto::PendingSubmit> pending_;
  proto::ServerUrbDecoder decoder_;
};

proto::CmdSubmit controlIn(std::array<uint8_t, 8> setup, int32_t length);
proto::CmdSubmit controlOut(std::array<uint8_t, 8> setup);
proto::CmdSubmit bulkOut(uint32_t endpoint, std::vector<uint8_t> data);
proto::CmdSubmit bulkIn(uint32_t endpoint, int32_t length);
// Writes `text` to sim:cdc's data endpoint and reads it back from its echo. Empty when that
// worked, else what went wrong.
std::string echoThroughCdc(UrbClient& cdc, const std::string& text);

inline constexpr std::array<uint8_t, 8> kGetDeviceDescriptor = {0x80, 0x06, 0x00, 0x01,
                                                                0x00, 0x00, 18,   0x00};

}  // namespace usbip::component_test
