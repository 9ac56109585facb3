// Step 3: setupEmptyRoot().
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "common/syscall.h"
#include "worker/sandbox/steps.h"

namespace usbip::worker::sandbox {

namespace {

// Any existing directory serves as the mount point: the mount happens in our own mount
// namespace and the directory disappears with the old root. /tmp exists on every system.
constexpr const char* kStagingDirectory = "/tmp";

// Without this, the tmpfs below would propagate back into the host's namespace wherever the host
// marked mounts shared (systemd marks "/" shared), since a copied namespace stays in the same
// peer groups.
void makeAllMountsPrivate() {
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0) return;
  if (errno == EINVAL) {
    // A chroot into a plain directory: the mount that holds it is out of reach, so its
    // propagation cannot be changed, and a mount made here could leak to the host.
    throwErrno(errno,
               "mount(/, MS_REC | MS_PRIVATE): the root directory is not a mount point "
               "(a chroot into a plain directory?); start the worker with its root at a "
               "mount point");
  }
  throwErrno(errno, "mount(/, MS_REC | MS_PRIVATE)");
}

void mountEmptyTmpfs(const char* where) {
  checkSyscall(::mount("usbip-worker-root", where, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                       "size=16k,nr_inodes=16,mode=0555"),
               std::string("mount(tmpfs, ") + where + ")");
}

// pivot_root(".", ".") stacks the old root on top of the new one at the same place; unmounting
// "." then detaches the whole old tree, which is unreachable from then on. It also moves every
// other process of this mount namespace whose root was the old root, which is the supervisor:
// it ends up in the empty root as well. The kernel refuses when the current root is the
// initramfs itself; a system that boots that way must switch_root (or chroot into a mount) first.
void pivotInto(const char* newRoot) {
  checkSyscall(::chdir(newRoot), std::string("chdir(") + newRoot + ")");
  checkSyscall(static_cast<int>(::syscall(SYS_pivot_root, ".", ".")), "pivot_root(., .)");
  checkSyscall(::umount2(".", MNT_DETACH), "umount2(old root, MNT_DETACH)");
  checkSyscall(::chdir("/"), "chdir(/) in the new root");
}

void remountRootReadOnly() {
  checkSyscall(
      ::mount(nullptr, "/", nullptr,
              MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr),
      "mount(/, MS_REMOUNT | MS_RDONLY)");
}

}  // namespace

void setupEmptyRoot() {
  makeAllMountsPrivate();
  mountEmptyTmpfs(kStagingDirectory);
  pivotInto(kStagingDirectory);
  remountRootReadOnly();
}

}  // namespace usbip::worker::sandbox
