// Test only (usbip-worker-test-hooks): the device the worker serves, with the hook request of
// hook_request.h intercepted. The hook therefore runs where a client's bytes would take over a
// real worker: after the handshake, inside the URB loop, under the real seccomp filter.
#pragma once

#include <memory>

#include "worker/device_backend.h"

namespace usbip::worker::test_hooks {

// Marks the test build in its log and in the binary, where a check looks for it (and makes sure
// the installed usbip-worker does not contain it).
inline constexpr const char* kTestHookMarker = "usbip-worker-test-hooks: TEST BUILD";

// Wraps `device`: every transfer goes to it, except the hook request, which is answered with the
// forbidden operation's errno as URB status (0 if it succeeded), or not at all if it killed us.
std::unique_ptr<DeviceBackend> withTestHook(std::unique_ptr<DeviceBackend> device);

}  // namespace usbip::worker::test_hooks
