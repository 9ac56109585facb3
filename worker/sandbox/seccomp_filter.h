// The allowlist compiled into a libseccomp filter, apart from loading it, so that tests can
// measure the program the kernel runs on every system call.
#pragma once

#include <seccomp.h>

#include <memory>

namespace usbip::worker::sandbox {

using SeccompFilter = std::unique_ptr<void, void (*)(scmp_filter_ctx)>;

// Default action: kill the process; one rule per allowlist row (per permitted value). The
// tgkill rule names the calling process's pid, so build it in the process that will load it.
SeccompFilter buildSeccompFilter();

}  // namespace usbip::worker::sandbox
