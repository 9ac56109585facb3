#include "worker/libusb_status.h"

#include <cerrno>

namespace usbip::worker {

int32_t errnoFromTransferStatus(libusb_transfer_status status) {
  switch (status) {
    case LIBUSB_TRANSFER_COMPLETED:
      return 0;
    case LIBUSB_TRANSFER_STALL:
      return -EPIPE;
    case LIBUSB_TRANSFER_CANCELLED:
      return -ECONNRESET;
    case LIBUSB_TRANSFER_OVERFLOW:
      return -EOVERFLOW;
    case LIBUSB_TRANSFER_TIMED_OUT:
      return -ETIMEDOUT;
    case LIBUSB_TRANSFER_NO_DEVICE:
      return -ENODEV;
    case LIBUSB_TRANSFER_ERROR:
      return -EPROTO;
  }
  return -EPROTO;
}

int32_t errnoFromLibusbError(int error) {
  switch (error) {
    case LIBUSB_ERROR_IO:
      return -EIO;
    case LIBUSB_ERROR_INVALID_PARAM:
      return -EINVAL;
    case LIBUSB_ERROR_ACCESS:
      return -EACCES;
    case LIBUSB_ERROR_NO_DEVICE:
      return -ENODEV;
    case LIBUSB_ERROR_NOT_FOUND:
      return -ENOENT;
    case LIBUSB_ERROR_BUSY:
      return -EBUSY;
    case LIBUSB_ERROR_TIMEOUT:
      return -ETIMEDOUT;
    case LIBUSB_ERROR_OVERFLOW:
      return -EOVERFLOW;
    case LIBUSB_ERROR_PIPE:
      return -EPIPE;
    case LIBUSB_ERROR_INTERRUPTED:
      return -EINTR;
    case LIBUSB_ERROR_NO_MEM:
      return -ENOMEM;
    case LIBUSB_ERROR_NOT_SUPPORTED:
      return -EOPNOTSUPP;
    default:
      return error < 0 ? -EPROTO : 0;
  }
}

proto::Speed speedFromLibusb(int speed) {
  // libusb has no wireless speed, so from SUPER on its numbers are one below the kernel's.
  switch (speed) {
    case LIBUSB_SPEED_LOW:
      return proto::Speed::kLow;
    case LIBUSB_SPEED_FULL:
      return proto::Speed::kFull;
    case LIBUSB_SPEED_HIGH:
      return proto::Speed::kHigh;
    case LIBUSB_SPEED_SUPER:
      return proto::Speed::kSuper;
    case LIBUSB_SPEED_SUPER_PLUS:
      return proto::Speed::kSuperPlus;
    default:
      return proto::Speed::kUnknown;
  }
}

}  // namespace usbip::worker
