// Reading and writing sysfs attributes (and the files of a fake tree in tests).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace usbip::client {

// The whole file. Throws std::system_error naming the file.
std::string readTextFile(const std::filesystem::path& file);

// Writes `text` in a single write(), as sysfs attributes need. Throws NeedsRoot when permission is
// denied (`action` says what needed it), std::system_error otherwise (errno preserved, so that a
// caller can tell EBUSY from EINVAL).
void writeAttribute(const std::filesystem::path& file, std::string_view text,
                    const std::string& action);

}  // namespace usbip::client
