#include "worker/libusb_status.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace usbip::worker {
namespace {

TEST(LibusbStatus, TransferStatusBecomesTheKernelsErrno) {
  EXPECT_EQ(errnoFromTransferStatus(LIBUSB_TRANSFER_COMPLETED), 0);
  EXPECT_EQ(errnoFromTransferStatus(LIBUSB_TRANSFER_STALL), -EPIPE);
  EXPECT_EQ(errnoFromTransferStatus(LIBUSB_TRANSFER_CANCELLED), -ECONNRESET);
  EXPECT_EQ(errnoFromTransferStatus(LIBUSB_TRANSFER_OVERFLOW), -EOVERFLOW);
  EXPECT_EQ(errnoFromTransferStatus(LIBUSB_TRANSFER_TIMED_OUT), -ETIMEDOUT);
  EXPECT_EQ(errnoFromTransferStatus(LIBUSB_TRANSFER_NO_DEVICE), -ENODEV);
  EXPECT_EQ(errnoFromTransferStatus(LIBUSB_TRANSFER_ERROR), -EPROTO);
}

TEST(LibusbStatus, ErrorsBecomeTheKernelsErrno) {
  EXPECT_EQ(errnoFromLibusbError(LIBUSB_SUCCESS), 0);
  EXPECT_EQ(errnoFromLibusbError(LIBUSB_ERROR_PIPE), -EPIPE);
  EXPECT_EQ(errnoFromLibusbError(LIBUSB_ERROR_NO_DEVICE), -ENODEV);
  EXPECT_EQ(errnoFromLibusbError(LIBUSB_ERROR_BUSY), -EBUSY);
  EXPECT_EQ(errnoFromLibusbError(LIBUSB_ERROR_INVALID_PARAM), -EINVAL);
  EXPECT_EQ(errnoFromLibusbError(LIBUSB_ERROR_NOT_FOUND), -ENOENT);
  EXPECT_EQ(errnoFromLibusbError(LIBUSB_ERROR_OTHER), -EPROTO);
}

TEST(LibusbStatus, SpeedFollowsTheKernelsNumbering) {
  EXPECT_EQ(speedFromLibusb(LIBUSB_SPEED_LOW), proto::Speed::kLow);
  EXPECT_EQ(speedFromLibusb(LIBUSB_SPEED_FULL), proto::Speed::kFull);
  EXPECT_EQ(speedFromLibusb(LIBUSB_SPEED_HIGH), proto::Speed::kHigh);
  // libusb numbers SUPER 4; the kernel (and the wire) 5, after WIRELESS.
  EXPECT_EQ(speedFromLibusb(LIBUSB_SPEED_SUPER), proto::Speed::kSuper);
  EXPECT_EQ(speedFromLibusb(LIBUSB_SPEED_SUPER_PLUS), proto::Speed::kSuperPlus);
  EXPECT_EQ(speedFromLibusb(LIBUSB_SPEED_UNKNOWN), proto::Speed::kUnknown);
  EXPECT_EQ(speedFromLibusb(42), proto::Speed::kUnknown);
}

}  // namespace
}  // namespace usbip::worker
