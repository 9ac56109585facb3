#include "client-helper/json.h"

#include <cstdio>

namespace usbip::client {

std::string jsonString(std::string_view text) {
  std::string out = "\"";
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c >= 0x20 && c < 0x7f) {
      out += ch;
    } else {
      char escaped[7];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
      out += escaped;
    }
  }
  return out + "\"";
}

std::string jsonArray(const std::vector<std::string>& encodedValues) {
  std::string out = "[";
  for (size_t i = 0; i < encodedValues.size(); ++i) {
    if (i > 0) out += ",";
    out += encodedValues[i];
  }
  return out + "]";
}

JsonObject& JsonObject::text(std::string_view key, std::string_view value) {
  return encoded(key, jsonString(value));
}

JsonObject& JsonObject::number(std::string_view key, uint64_t value) {
  return encoded(key, std::to_string(value));
}

JsonObject& JsonObject::encoded(std::string_view key, std::string encodedValue) {
  members_.emplace_back(std::string(key), std::move(encodedValue));
  return *this;
}

JsonObject& JsonObject::null(std::string_view key) {
  return encoded(key, "null");
}

std::string JsonObject::str() const {
  std::string out = "{";
  for (size_t i = 0; i < members_.size(); ++i) {
    if (i > 0) out += ",";
    out += jsonString(members_[i].first) + ":" + members_[i].second;
  }
  return out + "}";
}

}  // namespace usbip::client
