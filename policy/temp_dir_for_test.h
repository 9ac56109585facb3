// Test helper: a fresh directory under $TMPDIR (or /tmp), removed with everything in it.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>

#include "common/syscall.h"

namespace usbip::policy {

class TempDirForTest {
 public:
  TempDirForTest() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/usbip-policy-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) throwErrno(errno, "mkdtemp " + pattern);
    path_ = pattern;
  }
  TempDirForTest(const TempDirForTest&) = delete;
  TempDirForTest& operator=(const TempDirForTest&) = delete;
  ~TempDirForTest() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }

  const std::filesystem::path& path() const { return path_; }

  // Writes `name` with mode 0644 (whatever the umask) and returns its path.
  std::filesystem::path write(const std::string& name, std::string_view text) const {
    const auto file = path_ / name;
    std::ofstream(file, std::ios::binary | std::ios::trunc) << text;
    using std::filesystem::perms;
    std::filesystem::permissions(
        file, perms::owner_read | perms::owner_write | perms::group_read | perms::others_read);
    return file;
  }

 private:
  std::filesystem::path path_;
};

}  // namespace usbip::policy
