// One way to call the OS: every failed call becomes a std::system_error that names the call
// and its context, and EINTR is retried where the call can be restarted.
#pragma once

#include <cerrno>
#include <string>
#include <system_error>
#include <type_traits>

namespace usbip {

[[noreturn]] inline void throwErrno(int err, const std::string& what) {
  throw std::system_error(err, std::generic_category(), what);
}

// Throws when `rc` is negative (the libc convention), using errno.
template <typename T>
T checkSyscall(T rc, const std::string& what) {
  if (rc < 0) throwErrno(errno, what);
  return rc;
}

// Runs `call` until it does not fail with EINTR; throws on any other failure.
template <typename Call>
auto retrySyscall(const std::string& what, Call&& call) -> decltype(call()) {
  for (;;) {
    auto rc = call();
    if (rc >= 0) return rc;
    if (errno != EINTR) throwErrno(errno, what);
  }
}

}  // namespace usbip
