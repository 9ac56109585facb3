// How many threads this process has, for code that must run single-threaded (capabilities and
// seccomp filters belong to a thread; a fork takes only the caller along).
#pragma once

namespace usbip {

// Counts /proc/self/task. Throws std::system_error when /proc cannot be read.
int countThreads();

}  // namespace usbip
