#include "ipc/fd_handle.h"

#include <fcntl.h>

#include <stdexcept>
#include <string>

#include "common/syscall.h"

namespace usbip::ipc {

UniqueFd takeFd(FdHandle::Client handle, kj::WaitScope& waitScope, const char* what) {
  kj::Maybe<int> received = handle.getFd().wait(waitScope);
  KJ_IF_MAYBE (fd, received) {
    // The RPC layer closes its copy when the capability goes away; keep our own.
    return UniqueFd(checkSyscall(::fcntl(*fd, F_DUPFD_CLOEXEC, 0),
                                 std::string("duplicate received fd for ") + what));
  }
  throw std::runtime_error(std::string("the broker sent no file descriptor for ") + what);
}

}  // namespace usbip::ipc
