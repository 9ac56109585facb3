// A broken invariant in a fuzz target: say which, then abort so that libFuzzer keeps the input.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace usbip::fuzz {

[[noreturn]] inline void invariantBroken(const char* what, const char* file, int line) {
  std::fprintf(stderr, "fuzz invariant broken at %s:%d: %s\n", file, line, what);
  std::abort();
}

}  // namespace usbip::fuzz

// A macro so that the message names the condition and where it was checked.
#define FUZZ_REQUIRE(condition) \
  ((condition) ? void(0) : ::usbip::fuzz::invariantBroken(#condition, __FILE__, __LINE__))
