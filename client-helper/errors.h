// The failures of the client helper that a user must be able to tell apart, each with a message
// that says what to do about it. Protocol violations by the server are proto::ProtocolError.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace usbip::client {

// vhci_hcd's sysfs directory does not exist.
class VhciNotLoaded : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Every port of the root hub the device needs is taken.
class NoFreePort : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Writing vhci_hcd's attach or detach file was refused: that needs root.
class NeedsRoot : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The server answered OP_REQ_IMPORT with a status other than 0.
class ImportRefused : public std::runtime_error {
 public:
  ImportRefused(uint32_t status, const std::string& message)
      : std::runtime_error(message), status_(status) {}
  uint32_t status() const noexcept { return status_; }

 private:
  uint32_t status_;
};

}  // namespace usbip::client
