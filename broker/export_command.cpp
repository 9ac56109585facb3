// usbip-host export NAME: the device one policy file describes, exported as that file says. This
// is what usbip-host@NAME.service runs, so NAME is what an administrator typed after the "@":
// a policy file name, or a bus ID that one policy file's [match] names.
#include <stdexcept>

#include "broker/commands.h"
#include "broker/export_registry.h"
#include "broker/policy_loading.h"
#include "broker/serve_loops.h"
#include "broker/worker_command.h"
#include "common/address.h"

namespace usbip {
namespace {

// USB/IP's port, where `usbip attach` looks by default.
constexpr const char* kDefaultListenAddress = "tcp:3240";

policy::DevicePolicy policyNamed(const policy::PolicySet& set, const std::string& name,
                                 const std::string& dir) {
  if (auto byName = set.findByName(name)) return *byName;
  std::vector<const policy::DevicePolicy*> byBusid;
  for (const auto& p : set.policies()) {
    if (p.match.busid == name) byBusid.push_back(&p);
  }
  if (byBusid.size() == 1) return *byBusid.front();
  if (byBusid.empty()) {
    throw std::invalid_argument("no policy file " + name + ".toml in " + dir +
                                ", and no policy file matches bus ID " + name);
  }
  throw std::invalid_argument("bus ID " + name + " is matched by " + byBusid[0]->file + " and " +
                              byBusid[1]->file + "; name the policy file instead");
}

}  // namespace

int runExport(const Invocation& invocation) {
  StopSignals stop;  // first: before any thread exists
  ExportConfig config;
  config.directory = loadPolicyOf(invocation);
  const auto chosen =
      policyNamed(config.directory, invocation.exportName, policyDirOf(invocation).string());
  if (chosen.deny) {
    throw std::invalid_argument(chosen.file + " says deny = true: it exports nothing");
  }
  config.serves = [file = chosen.file](const policy::DevicePolicy& p,
                                       const policy::DeviceAttributes&) { return p.file == file; };
  ExportRegistry registry(std::move(config));
  const auto command = workerCommandFor(invocation);
  const auto& rule = chosen.exportRule;
  if (rule.mode == policy::ExportRule::Mode::kConnect) {
    return serveDialer(rule.address.value(), registry, command, stop);
  }
  return serveListener(rule.address.value_or(parseAddress(kDefaultListenAddress)), registry,
                       command, stop);
}

}  // namespace usbip
