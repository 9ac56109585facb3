// Text that came from a server (bus IDs, paths) is shown to people and written to files: bytes
// that could move a terminal's cursor or break a line are shown as \xNN.
#pragma once

#include <string>
#include <string_view>

namespace usbip::client {

std::string printable(std::string_view text);

}  // namespace usbip::client
