// Asserts that decoding throws the ProtocolError of a given rule and field.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "protocol/errors.h"

namespace usbip::proto::test {

template <typename Call>
::testing::AssertionResult violates(Call&& call, Rule rule, const std::string& field) {
  try {
    call();
  } catch (const ProtocolError& error) {
    if (error.rule() == rule && error.field() == field) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << "expected rule " << ruleName(rule) << " field " << field << ", got: " << error.what();
  }
  return ::testing::AssertionFailure() << "no ProtocolError thrown";
}

}  // namespace usbip::proto::test
