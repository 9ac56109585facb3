// typed-line-reader: reads key presses from one Linux input device and prints the first line
// typed on it, as text, so that a scenario can check what a keyboard typed into the kernel's
// input layer (US layout, letters, digits and the usual punctuation, with shift).
//
//   typed-line-reader [--timeout SECONDS] /dev/input/eventN
//
// Prints the line (without the Enter that ended it). Exit status: 0 when a line arrived, 124
// when none did in time (what was typed so far goes to stderr), 64 on bad arguments, 1 when the
// device could not be read.
#include <fcntl.h>
#include <linux/input.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <exception>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "common/syscall.h"
#include "common/unique_fd.h"

namespace {

using Clock = std::chrono::steady_clock;

// Key code -> (unshifted, shifted) character on a US keyboard.
const std::map<int, std::pair<char, char>>& usLayout() {
  static const std::map<int, std::pair<char, char>> layout = [] {
    std::map<int, std::pair<char, char>> keys;
    const std::pair<int, const char*> rows[] = {
        {KEY_1, "1!2@3#4$5%6^7&8*9(0)-_=+"},
        {KEY_Q, "qQwWeErRtTyYuUiIoOpP[{]}"},
        {KEY_A, "aAsSdDfFgGhHjJkKlL;:'\"`~"},
        {KEY_BACKSLASH, "\\|zZxXcCvVbBnNmM,<.>/?"},
    };
    for (const auto& [first, chars] : rows) {
      const std::string text(chars);
      for (std::size_t i = 0; i + 1 < text.size(); i += 2) {
        keys[first + static_cast<int>(i / 2)] = {text[i], text[i + 1]};
      }
    }
    keys[KEY_SPACE] = {' ', ' '};
    return keys;
  }();
  return layout;
}

struct Arguments {
  int timeoutSeconds = 30;
  std::string device;
};

Arguments parseArguments(int argc, char** argv) {
  Arguments args;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--timeout" && i + 1 < argc) {
      args.timeoutSeconds = std::stoi(argv[++i]);
    } else if (args.device.empty() && !arg.starts_with("-")) {
      args.device = arg;
    } else {
      throw std::invalid_argument("unexpected argument '" + arg + "'");
    }
  }
  if (args.device.empty()) {
    throw std::invalid_argument("usage: typed-line-reader [--timeout SECONDS] /dev/input/eventN");
  }
  return args;
}

// Reads events until Enter is pressed; nullopt when the deadline passes first. `typed` holds
// the text so far either way.
std::optional<std::string> readLine(int fd, Clock::time_point deadline, std::string& typed) {
  bool leftShift = false;
  bool rightShift = false;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      return std::nullopt;
    }
    pollfd pfd{fd, POLLIN, 0};
    if (usbip::retrySyscall("poll input device",
                            [&] { return ::poll(&pfd, 1, static_cast<int>(left.count())); }) == 0) {
      return std::nullopt;
    }
    input_event event{};
    const auto got =
        usbip::retrySyscall("read input device", [&] { return ::read(fd, &event, sizeof event); });
    if (got != static_cast<ssize_t>(sizeof event)) {
      throw std::runtime_error("short read from the input device");
    }
    if (event.type != EV_KEY) {
      continue;
    }
    const bool down = event.value != 0;  // 1 press, 2 autorepeat
    if (event.code == KEY_LEFTSHIFT) {
      leftShift = down;
    } else if (event.code == KEY_RIGHTSHIFT) {
      rightShift = down;
    } else if (event.value == 1 && (event.code == KEY_ENTER || event.code == KEY_KPENTER)) {
      return typed;
    } else if (event.value == 1) {
      const auto found = usLayout().find(event.code);
      if (found != usLayout().end()) {
        typed += (leftShift || rightShift) ? found->second.second : found->second.first;
      } else {
        typed += "<key " + std::to_string(event.code) + ">";
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  Arguments args;
  try {
    args = parseArguments(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "typed-line-reader: %s\n", e.what());
    return 64;
  }
  try {
    const usbip::UniqueFd fd(usbip::checkSyscall(::open(args.device.c_str(), O_RDONLY | O_CLOEXEC),
                                                 "open " + args.device));
    std::string typed;
    const auto line =
        readLine(fd.get(), Clock::now() + std::chrono::seconds(args.timeoutSeconds), typed);
    if (!line) {
      std::fprintf(stderr, "typed-line-reader: no Enter within %d s; typed so far: '%s'\n",
                   args.timeoutSeconds, typed.c_str());
      return 124;
    }
    std::printf("%s\n", line->c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "typed-line-reader: %s\n", e.what());
    return 1;
  }
}
