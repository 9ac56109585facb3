#include "policy/file_trust.h"

#include <unistd.h>

namespace usbip::policy {

std::string untrustedWriter(const struct stat& st, std::string_view what) {
  if (st.st_uid != 0 && st.st_uid != ::geteuid()) {
    return "owned by uid " + std::to_string(st.st_uid) + ": whoever owns " + std::string(what) +
           " can widen access (chown root)";
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return "writable by group or others: whoever can write " + std::string(what) +
           " can widen access (chmod go-w)";
  }
  return {};
}

}  // namespace usbip::policy
