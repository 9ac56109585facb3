// libusb's results in the kernel's terms: URB status travels in RET_SUBMIT as a negative errno,
// and speed in the device record as enum usb_device_speed, neither as libusb numbers them.
#pragma once

#include <libusb.h>

#include <cstdint>

#include "protocol/messages.h"

namespace usbip::worker {

// Status of a finished transfer or iso packet: 0, -EPIPE (stall), -ECONNRESET (cancelled, as
// usb_unlink_urb reports it), -EOVERFLOW, -ETIMEDOUT, -ENODEV, -EPROTO (any other error).
int32_t errnoFromTransferStatus(libusb_transfer_status status);

// A libusb_error (negative) from a synchronous call or a failed submit as a negative errno;
// 0 and positive values map to 0.
int32_t errnoFromLibusbError(int error);

proto::Speed speedFromLibusb(int speed);

}  // namespace usbip::worker
