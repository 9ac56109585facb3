// Who could change the policy. Whoever can write a policy file, or add one to the policy
// directory, can widen access to a device, so both must be changeable only by root (or by the
// user the program runs as, for tests and unprivileged checks).
#pragma once

#include <sys/stat.h>

#include <string>
#include <string_view>

namespace usbip::policy {

// Empty when only root or the effective user can change what `st` describes; otherwise why not,
// with the fix. `what` names it in the message: "a policy file", "the policy directory".
std::string untrustedWriter(const struct stat& st, std::string_view what);

}  // namespace usbip::policy
