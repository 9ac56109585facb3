// `usbip-host check-policy [--policy-dir DIR]`, for operators and for ExecStartPre=.
#pragma once

#include <filesystem>
#include <ostream>

#include "policy/policy_error.h"
#include "policy/policy_set.h"

namespace usbip::policy {

// Every diagnostic of `error`, one `file:line: key: what is wrong` per line: what check-policy
// prints, and what a broker prints before it refuses to start.
void printPolicyErrors(const PolicyError& error, std::ostream& err);

// Validates every policy file in `dir`. On success prints one summary line to `out` and returns 0;
// otherwise prints every problem as `file:line: key: what is wrong` to `err`, then a count, and
// returns 1. A missing `dir` is an error unless `ifMissing` is kEmpty (the default directory,
// which the broker also reads as "no policy files").
int runCheckPolicy(const std::filesystem::path& dir, std::ostream& out, std::ostream& err,
                   PolicySet::IfMissing ifMissing = PolicySet::IfMissing::kError);

}  // namespace usbip::policy
