#include "policy/toml_reader.h"

#include <algorithm>
#include <utility>

namespace usbip::policy {
namespace {

std::string rangeText(int64_t min, int64_t max) {
  return "must be an integer from " + std::to_string(min) + " to " + std::to_string(max);
}

}  // namespace

void DiagnosticSink::add(uint32_t line, std::string key, std::string message) {
  diagnostics_.push_back({file_, line, std::move(key), std::move(message)});
}

std::vector<Diagnostic> DiagnosticSink::take() {
  std::stable_sort(diagnostics_.begin(), diagnostics_.end(),
                   [](const Diagnostic& a, const Diagnostic& b) { return a.line < b.line; });
  return std::exchange(diagnostics_, {});
}

uint32_t lineOf(const toml::node& node) {
  // toml++ numbers lines from 1; a node built without a source (never in a parsed file) has 0.
  return static_cast<uint32_t>(node.source().begin.line);
}

TableReader::TableReader(const toml::table& table, std::string path, DiagnosticSink& sink)
    : table_(table), path_(std::move(path)), sink_(sink) {}

std::string TableReader::keyPath(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

void TableReader::error(const toml::node& at, std::string_view key, std::string message) {
  sink_.add(lineOf(at), keyPath(key), std::move(message));
}

const toml::node* TableReader::node(std::string_view key) {
  if (std::find(known_.begin(), known_.end(), key) == known_.end()) known_.emplace_back(key);
  return table_.get(key);
}

std::optional<std::string> TableReader::string(std::string_view key) {
  const auto* value = node(key);
  if (!value) return std::nullopt;
  if (const auto* text = value->as_string()) return text->get();
  error(*value, key, "must be a string");
  return std::nullopt;
}

std::optional<bool> TableReader::boolean(std::string_view key) {
  const auto* value = node(key);
  if (!value) return std::nullopt;
  if (const auto* flag = value->as_boolean()) return flag->get();
  error(*value, key, "must be true or false");
  return std::nullopt;
}

std::optional<int64_t> TableReader::integer(std::string_view key, int64_t min, int64_t max) {
  const auto* value = node(key);
  if (!value) return std::nullopt;
  return integerElement(*value, keyPath(key), min, max, sink_);
}

const toml::array* TableReader::array(std::string_view key) {
  const auto* value = node(key);
  if (!value) return nullptr;
  if (const auto* list = value->as_array()) return list;
  error(*value, key, "must be an array [ ... ]");
  return nullptr;
}

const toml::table* TableReader::table(std::string_view key) {
  const auto* value = node(key);
  if (!value) return nullptr;
  if (const auto* inner = value->as_table()) return inner;
  error(*value, key, "must be a table ([" + keyPath(key) + "])");
  return nullptr;
}

void TableReader::rejectUnknownKeys() {
  std::string hint;
  for (const auto& key : known_)
    hint += (hint.empty() ? "" : ", ") + key;
  for (auto&& [key, value] : table_) {
    if (std::find(known_.begin(), known_.end(), key.str()) != known_.end()) continue;
    sink_.add(static_cast<uint32_t>(key.source().begin.line), keyPath(key.str()),
              "unknown key (known here: " + hint + ")");
  }
}

std::optional<int64_t> integerElement(const toml::node& node, const std::string& key, int64_t min,
                                      int64_t max, DiagnosticSink& sink) {
  const auto* number = node.as_integer();
  if (!number || number->get() < min || number->get() > max) {
    sink.add(lineOf(node), key, rangeText(min, max));
    return std::nullopt;
  }
  return number->get();
}

std::optional<std::string> stringElement(const toml::node& node, const std::string& key,
                                         DiagnosticSink& sink) {
  if (const auto* text = node.as_string()) return text->get();
  sink.add(lineOf(node), key, "must be a string");
  return std::nullopt;
}

}  // namespace usbip::policy
