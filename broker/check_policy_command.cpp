// usbip-host check-policy [--policy-dir DIR]: what a broker would refuse to start with.
#include <iostream>

#include "broker/commands.h"
#include "broker/policy_loading.h"
#include "policy/check_policy.h"

namespace usbip {

int runCheckPolicy(const Invocation& invocation) {
  return policy::runCheckPolicy(policyDirOf(invocation), std::cout, std::cerr,
                                ifMissingOf(invocation));
}

}  // namespace usbip
