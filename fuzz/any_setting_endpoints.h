// Every endpoint of every configuration and alternate setting of a device, as one table: what a
// client may validly name at some point of a session. Decoding a client's stream with it frames
// every message exactly as the engine does for the messages the engine accepts, whatever
// configuration is active when it reads them; the fuzzer needs that to know which replies to
// expect. Aborts when one endpoint has different transfer types in different settings, where
// that framing would be ambiguous.
#pragma once

#include "fuzz/endpoint_table.h"
#include "worker/device_backend.h"

namespace usbip::fuzz {

EndpointTable anySettingEndpoints(const worker::DeviceDescription& description);

}  // namespace usbip::fuzz
