// Aligned text tables for people: a header row, then one row per item, columns separated by two
// spaces, the last column not padded.
#pragma once

#include <string>
#include <vector>

namespace usbip::client {

class Table {
 public:
  explicit Table(std::vector<std::string> headers);
  // Throws std::invalid_argument when the row has a different number of cells than the header.
  void addRow(std::vector<std::string> cells);
  std::string render() const;

 private:
  std::vector<std::vector<std::string>> rows_;  // rows_[0] is the header
};

}  // namespace usbip::client
