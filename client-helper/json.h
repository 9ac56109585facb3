// Just enough JSON for --json output: objects and arrays built as text, strings escaped.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace usbip::client {

// `text` quoted and escaped. Bytes outside printable ASCII become \u00XX, so the output is
// valid JSON (ASCII) whatever a server put in a string.
std::string jsonString(std::string_view text);

// "[a,b,...]" from already encoded values.
std::string jsonArray(const std::vector<std::string>& encodedValues);

// Keys in insertion order.
class JsonObject {
 public:
  JsonObject& text(std::string_view key, std::string_view value);
  JsonObject& number(std::string_view key, uint64_t value);
  JsonObject& encoded(std::string_view key, std::string encodedValue);
  JsonObject& null(std::string_view key);
  std::string str() const;

 private:
  std::vector<std::pair<std::string, std::string>> members_;
};

}  // namespace usbip::client
