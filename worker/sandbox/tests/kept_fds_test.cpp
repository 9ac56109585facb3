// What the worker keeps must still work inside the sandbox: reading and writing its sockets,
// receiving the usbfs fd from the broker (SCM_RIGHTS), and doing both through kj and Cap'n Proto
// the way the IPC layer does.
#include <capnp/any.h>
#include <capnp/message.h>
#include <capnp/serialize-async.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <kj/async-io.h>
#include <kj/io.h>
#include <libusb.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "common/socket.h"
#include "common/syscall.h"
#include "worker/sandbox/tests/sandboxed_child.h"

namespace usbip::worker::testing {
namespace {

#define SKIP_UNLESS_SANDBOX_AVAILABLE()                                          \
  do {                                                                           \
    if (const auto reason = sandboxUnavailableReason()) GTEST_SKIP() << *reason; \
  } while (false)

// One fd and one byte of payload (SCM_RIGHTS needs at least one byte of data on a stream).
void sendFd(int socket, int fd) {
  char byte = 'F';
  iovec data{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr message{};
  message.msg_iov = &data;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen = sizeof control;
  cmsghdr* header = CMSG_FIRSTHDR(&message);
  header->cmsg_level = SOL_SOCKET;
  header->cmsg_type = SCM_RIGHTS;
  header->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(header), &fd, sizeof fd);
  retrySyscall("sendmsg(SCM_RIGHTS)", [&] { return ::sendmsg(socket, &message, 0); });
}

UniqueFd receiveFd(int socket) {
  char byte = 0;
  iovec data{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr message{};
  message.msg_iov = &data;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen = sizeof control;
  retrySyscall("recvmsg(SCM_RIGHTS)",
               [&] { return ::recvmsg(socket, &message, MSG_CMSG_CLOEXEC); });
  const cmsghdr* header = CMSG_FIRSTHDR(&message);
  if (header == nullptr || header->cmsg_type != SCM_RIGHTS) return UniqueFd();
  int fd = -1;
  std::memcpy(&fd, CMSG_DATA(header), sizeof fd);
  return UniqueFd(fd);
}

// Reads exactly `size` bytes from a borrowed fd; false on EOF or error.
bool readAll(int fd, void* buffer, size_t size) {
  auto* bytes = static_cast<char*>(buffer);
  while (size > 0) {
    const ssize_t got = ::read(fd, bytes, size);
    if (got <= 0) return false;
    bytes += got;
    size -= static_cast<size_t>(got);
  }
  return true;
}

TEST(SandboxKeptFds, ReadAndWriteOnAKeptSocket) {
  SKIP_UNLESS_SANDBOX_AVAILABLE();
  SandboxedChild child(testConfig(), [](int control) {
    char request[4];
    if (!readAll(control, request, sizeof request) || std::memcmp(request, "ping", 4) != 0) {
      return 1;
    }
    return ::write(control, "pong", 4) == 4 ? 0 : 2;
  });
  writeAll(child.control(), "ping", 4);
  char reply[4];
  readExact(child.control(), reply, sizeof reply);
  EXPECT_EQ(std::string(reply, sizeof reply), "pong");
  const auto outcome = child.wait();
  EXPECT_TRUE(outcome.exited && outcome.exitCode == 0) << outcome.describe();
}

TEST(SandboxKeptFds, FdsPassBothWaysOverScmRights) {
  SKIP_UNLESS_SANDBOX_AVAILABLE();
  SandboxedChild child(testConfig(), [](int control) {
    // In: a pipe's write end, standing in for the usbfs fd the broker passes.
    const UniqueFd received = receiveFd(control);
    if (!received || ::write(received.get(), "via passed fd", 13) != 13) return 1;
    // Out: an fd made inside the sandbox.
    const UniqueFd counter(::eventfd(7, EFD_CLOEXEC));
    if (!counter) return 2;
    sendFd(control, counter.get());
    return 0;
  });
  int pipeEnds[2];
  ASSERT_EQ(::pipe2(pipeEnds, O_CLOEXEC), 0);
  UniqueFd pipeRead(pipeEnds[0]);
  {
    UniqueFd pipeWrite(pipeEnds[1]);
    sendFd(child.control().get(), pipeWrite.get());
  }
  char passed[13];
  readExact(pipeRead, passed, sizeof passed);
  EXPECT_EQ(std::string(passed, sizeof passed), "via passed fd");

  const UniqueFd counter = receiveFd(child.control().get());
  ASSERT_TRUE(counter);
  uint64_t value = 0;
  ASSERT_EQ(::read(counter.get(), &value, sizeof value), static_cast<ssize_t>(sizeof value));
  EXPECT_EQ(value, 7u);
  const auto outcome = child.wait();
  EXPECT_TRUE(outcome.exited && outcome.exitCode == 0) << outcome.describe();
}

// The event loop is made after entering, as the worker's must be: its epoll, signalfd and
// eventfd are not among the kept fds.
TEST(SandboxKeptFds, KjEventLoopAndCapnpMessagesWithFdsWorkInside) {
  SKIP_UNLESS_SANDBOX_AVAILABLE();
  SandboxedChild child(testConfig(), [](int control) {
    auto io = kj::setupAsyncIo();
    auto stream = io.lowLevelProvider->wrapUnixSocketFd(control);
    kj::AutoCloseFd received = stream->receiveFd().wait(io.waitScope);
    if (::write(received.get(), "kj", 2) != 2) return 1;

    capnp::MallocMessageBuilder message;
    message.getRoot<capnp::AnyPointer>().setAs<capnp::Text>("hello from the sandbox");
    const UniqueFd counter(::eventfd(5, EFD_CLOEXEC));
    const int attached[] = {counter.get()};
    capnp::writeMessage(*stream, attached, message).wait(io.waitScope);
    return 0;
  });

  auto io = kj::setupAsyncIo();
  auto stream = io.lowLevelProvider->wrapUnixSocketFd(child.control().get());
  int pipeEnds[2];
  ASSERT_EQ(::pipe2(pipeEnds, O_CLOEXEC), 0);
  UniqueFd pipeRead(pipeEnds[0]);
  {
    UniqueFd pipeWrite(pipeEnds[1]);
    stream->sendFd(pipeWrite.get()).wait(io.waitScope);
  }
  char written[2];
  readExact(pipeRead, written, sizeof written);
  EXPECT_EQ(std::string(written, 2), "kj");

  kj::AutoCloseFd fdSpace[1];
  auto reply = capnp::readMessage(*stream, fdSpace).wait(io.waitScope);
  EXPECT_EQ(std::string(reply.reader->getRoot<capnp::AnyPointer>().getAs<capnp::Text>().cStr()),
            "hello from the sandbox");
  ASSERT_EQ(reply.fds.size(), 1u);
  uint64_t value = 0;
  ASSERT_EQ(::read(reply.fds[0].get(), &value, sizeof value), static_cast<ssize_t>(sizeof value));
  EXPECT_EQ(value, 5u);
  const auto outcome = child.wait();
  EXPECT_TRUE(outcome.exited && outcome.exitCode == 0) << outcome.describe();
}

// spdlog formats (time, pid) and writes to the kept stderr, as the worker's log does.
TEST(SandboxKeptFds, LogLinesReachStderrFromInside) {
  SKIP_UNLESS_SANDBOX_AVAILABLE();
  int logPipe[2];
  ASSERT_EQ(::pipe2(logPipe, O_CLOEXEC), 0);
  UniqueFd logRead(logPipe[0]);
  UniqueFd logWrite(logPipe[1]);
  SandboxedChild child(
      testConfig(),
      [](int) {
        spdlog::info("URB {} done after {:.1f} ms", 42, 1.5);
        spdlog::default_logger()->flush();
        return 0;
      },
      [fd = logWrite.get()](SandboxConfig& config) {
        ::dup2(fd, STDERR_FILENO);
        logToStderrLikeTheWorker(config);
      });
  logWrite.reset();
  const auto outcome = child.wait();
  EXPECT_TRUE(outcome.exited && outcome.exitCode == 0) << outcome.describe();

  std::string log;
  char chunk[512];
  ssize_t got = 0;
  while ((got = ::read(logRead.get(), chunk, sizeof chunk)) > 0) {
    log.append(chunk, static_cast<size_t>(got));
  }
  EXPECT_NE(log.find("worker sandbox entered"), std::string::npos) << log;
  EXPECT_NE(log.find("URB 42 done after 1.5 ms"), std::string::npos) << log;
}

// The worker's recipe for libusb: the context is made before entering (libusb_init reads
// /dev/bus/usb and /sys, and calls uname), its event and timer fds are kept, and the usbfs fd is
// wrapped inside. Here the "device" is a socket, so the wrap fails, but through the calls the
// filter allows or refuses with an errno (readlink, USBDEVFS_CONNECTINFO), never a kill.
TEST(SandboxKeptFds, LibusbContextMadeBeforeEnteringWorksInside) {
  SKIP_UNLESS_SANDBOX_AVAILABLE();
  static libusb_context* context = nullptr;
  const auto outcome = runSandboxed(
      testConfig(),
      [](int control) {
        timeval noWait{0, 0};
        if (libusb_handle_events_timeout_completed(context, &noWait, nullptr) != 0) return 1;
        libusb_device_handle* handle = nullptr;
        if (libusb_wrap_sys_device(context, control, &handle) == 0) return 2;
        libusb_exit(context);
        return 0;
      },
      [](SandboxConfig& config) {
        logToStderrLikeTheWorker(config);
        if (libusb_set_option(nullptr, LIBUSB_OPTION_NO_DEVICE_DISCOVERY) != 0 ||
            libusb_init(&context) != 0) {
          ::_exit(3);
        }
        const libusb_pollfd** pollfds = libusb_get_pollfds(context);
        for (const libusb_pollfd** each = pollfds; each != nullptr && *each != nullptr; ++each) {
          config.keepFds.push_back((*each)->fd);
        }
        libusb_free_pollfds(pollfds);
      });
  EXPECT_TRUE(outcome.exited && outcome.exitCode == 0)
      << outcome.describe() << " (1: event handling failed, 2: a socket was wrapped, 3: no init)";
}

}  // namespace
}  // namespace usbip::worker::testing
