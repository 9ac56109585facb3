// The allowlist table itself: well-formed, nothing dangerous in it, and measured (the count and
// the list printed here are what docs/security.md quotes).
#include "worker/sandbox/syscall_allowlist.h"

#include <gtest/gtest.h>
#include <linux/filter.h>
#include <linux/usbdevice_fs.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <initializer_list>
#include <iostream>
#include <memory>
#include <set>
#include <sstream>
#include <string>

#include "worker/sandbox/seccomp_filter.h"

namespace usbip::worker::sandbox {
namespace {

const AllowedSyscall* findRow(std::string_view name) {
  for (const AllowedSyscall& row : syscallAllowlist()) {
    if (row.name == name) return &row;
  }
  return nullptr;
}

const PermittedValue* findValue(const AllowedSyscall& row, uint64_t value) {
  for (const PermittedValue& permitted : row.values) {
    if (permitted.value == value) return &permitted;
  }
  return nullptr;
}

std::string joined(const std::set<std::string>& names) {
  std::string list;
  for (const std::string& name : names) {
    list += (list.empty() ? "" : " ") + name;
  }
  return list;
}

TEST(SyscallAllowlist, CountAndList) {
  std::set<std::string> runs;
  std::set<std::string> refused;
  std::set<std::string> ioctlsRun;
  std::set<std::string> ioctlsRefused;
  for (const AllowedSyscall& row : syscallAllowlist()) {
    (row.refuseWith == 0 ? runs : refused).insert(std::string(row.name));
    if (row.name != "ioctl") continue;
    for (const PermittedValue& request : row.values) {
      (request.refuseWith == 0 ? ioctlsRun : ioctlsRefused).insert(std::string(request.name));
    }
  }
  std::cout << "system calls that run: " << runs.size() << ": " << joined(runs) << "\n"
            << "system calls refused with an errno: " << refused.size() << ": " << joined(refused)
            << "\n"
            << "ioctl requests that run: " << ioctlsRun.size() << ": " << joined(ioctlsRun) << "\n"
            << "ioctl requests refused with an errno: " << ioctlsRefused.size() << ": "
            << joined(ioctlsRefused) << "\n";
  RecordProperty("allowed_syscalls", static_cast<int>(runs.size()));
  RecordProperty("allowed_ioctl_requests", static_cast<int>(ioctlsRun.size()));

  // A deliberate number: a change to the table should be a change to the documentation too.
#if defined(__SANITIZE_ADDRESS__)
  EXPECT_EQ(runs.size(), 51u) << "AddressSanitizer builds add sigaltstack";
#else
  EXPECT_EQ(runs.size(), 50u) << "update docs/security.md when the table changes";
#endif
}

// The length of the BPF program the kernel runs on every system call the worker makes.
TEST(SyscallAllowlist, CompiledFilterSize) {
  const SeccompFilter filter = buildSeccompFilter();
  std::unique_ptr<FILE, int (*)(FILE*)> program(std::tmpfile(), &std::fclose);
  ASSERT_TRUE(program);
  ASSERT_EQ(seccomp_export_bpf(filter.get(), fileno(program.get())), 0);
  std::fflush(program.get());
  struct stat status {};
  ASSERT_EQ(::fstat(fileno(program.get()), &status), 0);
  const auto instructions = static_cast<size_t>(status.st_size) / sizeof(sock_filter);
  std::cout << "compiled filter: " << instructions << " BPF instructions\n";
  RecordProperty("bpf_instructions", static_cast<int>(instructions));
  EXPECT_GT(instructions, 0u);
  EXPECT_LE(instructions, 4096u);  // BPF_MAXINSNS
}

TEST(SyscallAllowlist, EveryRowNamesARealCallOnceWithAReason) {
  std::set<std::string_view> seen;
  for (const AllowedSyscall& row : syscallAllowlist()) {
    EXPECT_TRUE(seen.insert(row.name).second) << row.name << " appears twice";
    EXPECT_FALSE(row.why.empty()) << row.name;
#if defined(__x86_64__)
    EXPECT_NE(seccomp_syscall_resolve_name(std::string(row.name).c_str()), __NR_SCMP_ERROR)
        << row.name << " is not a system call on x86_64";
#endif
    for (const PermittedValue& permitted : row.values) {
      EXPECT_FALSE(permitted.name.empty() || permitted.why.empty()) << row.name;
    }
    EXPECT_EQ(row.values.empty(), row.rule != ArgumentRule::kOneOf) << row.name;
  }
}

// New processes, programs, files, sockets, namespaces, other processes, kernel objects.
constexpr std::string_view kNeverAllowed =
    "socket socketpair connect bind listen accept accept4 sendto open openat openat2 creat "
    "open_by_handle_at mknod mkdir unlink rename truncate chmod chown execve execveat ptrace "
    "mount umount2 pivot_root chroot unshare setns clone clone3 fork vfork kill tkill bpf "
    "keyctl add_key request_key perf_event_open process_vm_readv process_vm_writev setuid "
    "setgid setresuid setresgid setgroups capset seccomp init_module finit_module "
    "userfaultfd io_uring_setup memfd_create dup dup2 dup3 pipe2";

TEST(SyscallAllowlist, LeavesOutEverythingThatReachesBeyondTheWorker) {
  std::istringstream names{std::string(kNeverAllowed)};
  std::string forbidden;
  while (names >> forbidden) {
    EXPECT_EQ(findRow(forbidden), nullptr) << forbidden << " must not be in the allowlist";
  }
}

TEST(SyscallAllowlist, DriverControlIoctlsNeverRun) {
  const AllowedSyscall* ioctl = findRow("ioctl");
  ASSERT_NE(ioctl, nullptr);
  ASSERT_EQ(ioctl->rule, ArgumentRule::kOneOf);
  // Refused with an errno libusb understands.
  for (const uint64_t request :
       std::initializer_list<uint64_t>{USBDEVFS_IOCTL, USBDEVFS_DISCONNECT_CLAIM}) {
    const PermittedValue* value = findValue(*ioctl, request);
    ASSERT_NE(value, nullptr) << request;
    EXPECT_NE(value->refuseWith, 0) << value->name;
  }
  // Absent, so killed: USB/IP carries no stream ids, and hub ports are the broker's.
  for (const uint64_t request : std::initializer_list<uint64_t>{
           USBDEVFS_ALLOC_STREAMS, USBDEVFS_FREE_STREAMS, USBDEVFS_DISCONNECT, USBDEVFS_CONNECT,
           USBDEVFS_CLAIM_PORT, USBDEVFS_RELEASE_PORT, USBDEVFS_DROP_PRIVILEGES}) {
    EXPECT_EQ(findValue(*ioctl, request), nullptr) << request;
  }
  // The URB loop itself runs.
  for (const uint64_t request : std::initializer_list<uint64_t>{
           USBDEVFS_SUBMITURB, USBDEVFS_REAPURBNDELAY, USBDEVFS_DISCARDURB}) {
    const PermittedValue* value = findValue(*ioctl, request);
    ASSERT_NE(value, nullptr) << request;
    EXPECT_EQ(value->refuseWith, 0) << value->name;
  }
}

TEST(SyscallAllowlist, MemoryIsNeverMadeExecutable) {
  for (const char* name : {"mmap", "mprotect"}) {
    const AllowedSyscall* row = findRow(name);
    ASSERT_NE(row, nullptr) << name;
    EXPECT_EQ(row->rule, ArgumentRule::kWithoutBits) << name;
    EXPECT_EQ(row->argument, 2u) << name;
    EXPECT_EQ(row->forbiddenBits, static_cast<uint64_t>(PROT_EXEC)) << name;
  }
}

}  // namespace
}  // namespace usbip::worker::sandbox
