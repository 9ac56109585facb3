// What people and scripts read: aligned tables, valid JSON, and server strings made harmless.
#include <gtest/gtest.h>

#include "client-helper/json.h"
#include "client-helper/printable.h"
#include "client-helper/table.h"

namespace usbip::client {
namespace {

TEST(Table, AlignsColumnsAndDoesNotPadTheLast) {
  Table table({"BUSID", "VID:PID", "INTERFACES"});
  table.addRow({"1-1", "0525:a4a0", "ff/00/00"});
  table.addRow({"10-4.3", "1d6b:0104", "-"});
  EXPECT_EQ(table.render(),
            "BUSID   VID:PID    INTERFACES\n"
            "1-1     0525:a4a0  ff/00/00\n"
            "10-4.3  1d6b:0104  -\n");
  EXPECT_THROW(table.addRow({"short"}), std::invalid_argument);
}

TEST(Json, EscapesQuotesControlAndNonAsciiBytes) {
  EXPECT_EQ(jsonString("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(jsonString("\n\x1b[2J\xff"), "\"\\u000a\\u001b[2J\\u00ff\"");
}

TEST(Json, ObjectsAndArrays) {
  const auto object = JsonObject().number("port", 3).text("busid", "1-1").null("remote").str();
  EXPECT_EQ(object, "{\"port\":3,\"busid\":\"1-1\",\"remote\":null}");
  EXPECT_EQ(jsonArray({}), "[]");
  EXPECT_EQ(jsonArray({"1", object}), "[1," + object + "]");
}

TEST(Printable, EscapesTerminalControlAndBackslash) {
  EXPECT_EQ(printable("1-1.2"), "1-1.2");
  EXPECT_EQ(printable("\x1b]0;owned\x07"), "\\x1b]0;owned\\x07");
  EXPECT_EQ(printable("a\\b\n"), "a\\x5cb\\x0a");
}

}  // namespace
}  // namespace usbip::client
