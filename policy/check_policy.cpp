#include "policy/check_policy.h"

#include <algorithm>
#include <string>

#include "policy/policy_error.h"
#include "policy/policy_set.h"

namespace usbip::policy {
namespace {

std::string plural(size_t count, const std::string& word) {
  return std::to_string(count) + " " + word + (count == 1 ? "" : "s");
}

}  // namespace

void printPolicyErrors(const PolicyError& error, std::ostream& err) {
  for (const auto& diagnostic : error.diagnostics())
    err << diagnostic.toString() << '\n';
}

int runCheckPolicy(const std::filesystem::path& dir, std::ostream& out, std::ostream& err,
                   PolicySet::IfMissing ifMissing) {
  try {
    const auto set = PolicySet::load(dir, ifMissing);
    const auto& policies = set.policies();
    if (policies.empty()) {
      out << "policy OK: " << dir.string()
          << ": no policy files; only devices named on the command line can be exported\n";
      return 0;
    }
    const auto denying = static_cast<size_t>(std::count_if(
        policies.begin(), policies.end(), [](const DevicePolicy& p) { return p.deny; }));
    out << "policy OK: " << dir.string() << ": " << plural(policies.size(), "file") << " ("
        << policies.size() - denying << " allow, " << denying << " deny)\n";
    return 0;
  } catch (const PolicyError& e) {
    printPolicyErrors(e, err);
    err << "check-policy: " << plural(e.diagnostics().size(), "error") << " in " << dir.string()
        << '\n';
  } catch (const std::filesystem::filesystem_error& e) {
    err << dir.string() << ": cannot read the policy directory: " << e.code().message() << '\n';
  }
  return 1;
}

}  // namespace usbip::policy
