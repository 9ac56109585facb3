// The client helper's own handling of a server's handshake reply, beyond the codec:
// importDevice() and listDevices() reading from a socket the server wrote the input into, and
// what the helper shows of the result (the table and JSON of `list`, printable()). Checks:
// importDevice() reads exactly the reply and not one byte of the URB stream behind it (what
// follows belongs to vhci_hcd, rule R2); an accepted import names the device asked for; text from
// the server comes out as printable ASCII that unescapes back to the server's bytes.
// Input: one byte (bit 0: list, else import), the length (modulo 40) and bytes of the bus ID to
// import (empty: reverse mode), then what the server sends.
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <typeinfo>
#include <vector>

#include "client-helper/commands/device_format.h"
#include "client-helper/errors.h"
#include "client-helper/import.h"
#include "client-helper/json.h"
#include "client-helper/printable.h"
#include "client-helper/table.h"
#include "common/socket.h"
#include "common/syscall.h"
#include "common/unique_fd.h"
#include "fuzz/check.h"
#include "fuzz/fuzz_input.h"
#include "protocol/codec.h"
#include "protocol/errors.h"
#include "protocol/speed_name.h"

namespace usbip::fuzz {
namespace {

bool onlyPrintableAscii(std::string_view text, bool newlines) {
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 || c > 0x7e) && !(newlines && c == '\n')) return false;
  }
  return true;
}

int hexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  invariantBroken("not a hex digit in an escape", __FILE__, __LINE__);
}

// Undoes printable(): "\xNN" is the byte NN, anything else is itself.
std::string unprintable(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out += text[i];
      continue;
    }
    FUZZ_REQUIRE(i + 3 < text.size() && text[i + 1] == 'x');
    out += static_cast<char>(hexDigit(text[i + 2]) * 16 + hexDigit(text[i + 3]));
    i += 3;
  }
  return out;
}

// Undoes jsonString() for the escapes JSON has; \u00NN stands for the byte NN.
std::string unjson(std::string_view quoted) {
  FUZZ_REQUIRE(quoted.size() >= 2 && quoted.front() == '"' && quoted.back() == '"');
  std::string_view text = quoted.substr(1, quoted.size() - 2);
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    FUZZ_REQUIRE(text[i] != '"');  // an unescaped quote would end the string early
    if (text[i] != '\\') {
      out += text[i];
      continue;
    }
    FUZZ_REQUIRE(i + 1 < text.size());
    char kind = text[++i];
    if (kind == 'u') {
      FUZZ_REQUIRE(i + 4 < text.size() && text.substr(i + 1, 2) == "00");
      out += static_cast<char>(hexDigit(text[i + 3]) * 16 + hexDigit(text[i + 4]));
      i += 4;
    } else {
      FUZZ_REQUIRE(kind == '"' || kind == '\\' || kind == '/');
      out += kind;
    }
  }
  return out;
}

void checkShownText(const std::string& server) {
  std::string shown = client::printable(server);
  FUZZ_REQUIRE(onlyPrintableAscii(shown, false));
  FUZZ_REQUIRE(unprintable(shown) == server);
  std::string json = client::jsonString(server);
  FUZZ_REQUIRE(onlyPrintableAscii(json, false));
  FUZZ_REQUIRE(unjson(json) == server);
}

// What `usbip-client-helper list` prints, in both forms.
void showList(const proto::OpRepDevlist& list) {
  client::Table table({"BUSID", "VID:PID", "SPEED", "CLASS", "INTERFACES"});
  std::vector<std::string> devices;
  for (const proto::ExportedDevice& exported : list.devices) {
    const proto::DeviceRecord& d = exported.device;
    checkShownText(d.busid);
    checkShownText(d.path);
    table.addRow({client::printable(d.busid), client::vidPid(d),
                  proto::speedName(static_cast<uint32_t>(d.speed)),
                  client::classTriple(d.bDeviceClass, d.bDeviceSubClass, d.bDeviceProtocol),
                  std::to_string(exported.interfaces.size())});
    devices.push_back(client::deviceJson(d).str());
  }
  FUZZ_REQUIRE(onlyPrintableAscii(table.render(), true));
  FUZZ_REQUIRE(onlyPrintableAscii(client::jsonArray(devices), false));
}

int unreadBytes(const UniqueFd& socket) {
  int bytes = 0;
  checkSyscall(::ioctl(socket.get(), FIONREAD, &bytes), "ioctl(FIONREAD)");
  return bytes;
}

void run(std::span<const uint8_t> data) {
  FuzzInput in(data);
  bool list = (in.u8() & 1) != 0;
  // From the command line: never a NUL, but possibly too long for the request.
  auto busidBytes = in.bytes(in.u8() % 40);
  std::string busid(busidBytes.begin(), busidBytes.end());
  std::replace(busid.begin(), busid.end(), '\0', '0');
  std::span<const uint8_t> reply = in.rest();

  int fds[2];
  checkSyscall(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), "socketpair");
  UniqueFd helper(fds[0]);
  UniqueFd server(fds[1]);
  writeAll(server, reply.data(), reply.size());  // inputs are far smaller than a socket buffer
  checkSyscall(::shutdown(server.get(), SHUT_WR), "shutdown");
  client::HandshakeOptions options;

  if (list) {
    try {
      showList(client::listDevices(helper, options));
    } catch (const proto::ProtocolError&) {
    } catch (const std::runtime_error& error) {
      FUZZ_REQUIRE(typeid(error) == typeid(std::runtime_error));  // "refused to list"
    }
    return;
  }
  try {
    client::ValidatedImport imported = client::importDevice(helper, busid, options);
    FUZZ_REQUIRE(!imported.device().busid.empty());
    if (!busid.empty()) FUZZ_REQUIRE(imported.device().busid == busid);
    checkShownText(imported.device().busid);
    checkShownText(imported.device().path);
    // Exactly the reply was read: the URB stream behind it is still in the socket.
    size_t replySize = proto::kOpHeaderSize + proto::kDeviceRecordSize;
    FUZZ_REQUIRE(static_cast<size_t>(unreadBytes(helper)) == reply.size() - replySize);
  } catch (const std::invalid_argument&) {
    FUZZ_REQUIRE(busid.size() >= 32);  // bad user input, refused before anything is sent
  } catch (const proto::ProtocolError&) {
  } catch (const client::ImportRefused& refused) {
    FUZZ_REQUIRE(refused.status() != 0);
    FUZZ_REQUIRE(static_cast<size_t>(unreadBytes(helper)) == reply.size() - proto::kOpHeaderSize);
  }
}

}  // namespace
}  // namespace usbip::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  usbip::fuzz::run({data, size});
  return 0;
}
