// How a test is named on the command line: TEST:ITERATIONS:LENGTH:VARY:SGLEN, e.g. 27:4:16384:0:32.
#pragma once

#include <string_view>

#include "tests/vm/tools/usbtest_ioctl.h"

namespace usbip::vmtest {

// Throws std::invalid_argument naming the malformed part.
UsbtestParams parseUsbtestSpec(std::string_view spec);

}  // namespace usbip::vmtest
