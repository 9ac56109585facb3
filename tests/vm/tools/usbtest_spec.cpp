#include "tests/vm/tools/usbtest_spec.h"

#include <array>
#include <charconv>
#include <stdexcept>
#include <string>

namespace usbip::vmtest {
namespace {

uint32_t parseField(std::string_view text, std::string_view field, std::string_view spec) {
  uint32_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    throw std::invalid_argument("usbtest spec '" + std::string(spec) + "': " + std::string(field) +
                                " must be a non-negative number, not '" + std::string(text) + "'");
  }
  return value;
}

}  // namespace

UsbtestParams parseUsbtestSpec(std::string_view spec) {
  constexpr std::array<std::string_view, 5> kFields = {"TEST", "ITERATIONS", "LENGTH", "VARY",
                                                       "SGLEN"};
  std::array<uint32_t, 5> values{};
  std::string_view rest = spec;
  for (size_t i = 0; i < kFields.size(); ++i) {
    const auto colon = rest.find(':');
    const bool last = i + 1 == kFields.size();
    if (last != (colon == std::string_view::npos)) {
      throw std::invalid_argument("usbtest spec '" + std::string(spec) +
                                  "' must be TEST:ITERATIONS:LENGTH:VARY:SGLEN");
    }
    values[i] = parseField(rest.substr(0, colon), kFields[i], spec);
    if (!last) rest.remove_prefix(colon + 1);
  }
  UsbtestParams params;
  params.test = values[0];
  params.iterations = values[1];
  params.length = values[2];
  params.vary = values[3];
  params.sglen = values[4];
  return params;
}

}  // namespace usbip::vmtest
