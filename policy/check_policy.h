// `usbip-host check-policy [--policy-dir DIR]`, for operators and for ExecStartPre=.
#pragma once

#include <filesystem>
#include <ostream>

namespace usbip::policy {

// Validates every policy file in `dir`. On success prints one summary line to `out` and returns 0;
// otherwise prints every problem as `file:line: key: what is wrong` to `err`, then a count, and
// returns 1.
int runCheckPolicy(const std::filesystem::path& dir, std::ostream& out, std::ostream& err);

}  // namespace usbip::policy
