// Where an attached device came from. The kernel does not know (it holds only a socket), so the
// kernel's `usbip attach` writes it to /var/run/vhci_hcd/portN as "HOST SERVICE BUSID\n" and
// `usbip port` reads it back. We write the same, so that `usbip port` shows our devices and our
// `port` command shows the stock tool's.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "common/address.h"

namespace usbip::client {

inline constexpr const char* kDefaultStateDir = "/var/run/vhci_hcd";

struct PortRecord {
  std::string host;     // tcp: the host as dialled; other transports: "vsock:CID", "unix:PATH"...
  std::string service;  // tcp and vsock: the port; unix: "-"
  std::string busid;    // the device's bus ID on the server
  bool operator==(const PortRecord&) const = default;
};

// The record for a device imported from `remote`.
PortRecord recordFor(const Address& remote, std::string_view busid);

// The remote as an address a user can type again (tcp:HOST:PORT, vsock:CID:PORT, unix:PATH).
std::string remoteOf(const PortRecord& record);

// The file's one line. Fields are separated by single spaces, so bytes that are whitespace,
// control characters, non-ASCII or '%' are written as %XX (a bus ID or a path could hold them).
std::string formatRecord(const PortRecord& record);
// nullopt when the text is not three fields on one line.
std::optional<PortRecord> parseRecord(std::string_view text);

class PortRecords {
 public:
  explicit PortRecords(std::filesystem::path dir) : dir_(std::move(dir)) {}

  // Creates the directory (mode 0700, as the kernel's tool does) and the record. Throws
  // std::system_error.
  void write(uint32_t port, const PortRecord& record) const;
  // nullopt when there is no record or it cannot be read.
  std::optional<PortRecord> read(uint32_t port) const;
  // Removes the record if there is one.
  void remove(uint32_t port) const;

 private:
  std::filesystem::path fileFor(uint32_t port) const;
  std::filesystem::path dir_;
};

}  // namespace usbip::client
