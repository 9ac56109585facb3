// Typed, position-aware access to one TOML table of a policy file. Every accessor remembers the
// key as known, so that afterwards rejectUnknownKeys() can report each key nobody asked for: a
// misspelt key must be an error, never a silently ignored restriction. Problems are recorded in a
// DiagnosticSink instead of thrown, so that one pass finds every error of a file.
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/policy_error.h"

namespace usbip::policy {

class DiagnosticSink {
 public:
  explicit DiagnosticSink(std::string file) : file_(std::move(file)) {}

  void add(uint32_t line, std::string key, std::string message);
  const std::string& file() const { return file_; }
  bool empty() const { return diagnostics_.empty(); }
  // Ordered by line, for reading top to bottom.
  std::vector<Diagnostic> take();

 private:
  std::string file_;
  std::vector<Diagnostic> diagnostics_;
};

uint32_t lineOf(const toml::node& node);

class TableReader {
 public:
  // `path` is the dotted key of `table` ("export"; empty for the document itself).
  TableReader(const toml::table& table, std::string path, DiagnosticSink& sink);

  // Absent keys give nullopt / nullptr without a diagnostic; a value of the wrong type or out of
  // range gives a diagnostic and nullopt / nullptr.
  const toml::node* node(std::string_view key);
  std::optional<std::string> string(std::string_view key);
  std::optional<bool> boolean(std::string_view key);
  std::optional<int64_t> integer(std::string_view key, int64_t min, int64_t max);
  const toml::array* array(std::string_view key);
  const toml::table* table(std::string_view key);

  // One diagnostic for every key of the table that no accessor asked for.
  void rejectUnknownKeys();

  std::string keyPath(std::string_view key) const;
  uint32_t line() const { return lineOf(table_); }
  void error(const toml::node& at, std::string_view key, std::string message);
  DiagnosticSink& sink() { return sink_; }

 private:
  const toml::table& table_;
  std::string path_;
  DiagnosticSink& sink_;
  std::vector<std::string> known_;  // in the order asked, for the "known keys" hint
};

// Helpers for array elements, which have no key of their own: `key` is e.g. "x.y[2]".
std::optional<int64_t> integerElement(const toml::node& node, const std::string& key, int64_t min,
                                      int64_t max, DiagnosticSink& sink);
std::optional<std::string> stringElement(const toml::node& node, const std::string& key,
                                         DiagnosticSink& sink);

}  // namespace usbip::policy
