// Errors in policy files. Every problem is reported as `file:line: key: what is wrong`, and all
// problems of all files are collected before anything is thrown, so that an operator fixes a
// directory in one pass instead of one error per run.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace usbip::policy {

struct Diagnostic {
  std::string file;  // path as the loader was given it (directory / file name)
  uint32_t line = 0;
  std::string key;  // dotted path of the offending key, e.g. "export.allowed_peers[1]"
  std::string message;

  // "file:line: key: message"
  std::string toString() const;
};

// Bad user input, so an std::invalid_argument; what() holds every diagnostic, one per line.
class PolicyError : public std::invalid_argument {
 public:
  explicit PolicyError(std::vector<Diagnostic> diagnostics);

  const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }

 private:
  std::vector<Diagnostic> diagnostics_;
};

}  // namespace usbip::policy
