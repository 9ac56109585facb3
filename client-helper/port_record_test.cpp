// The port records `usbip attach` and `usbip port` share, /var/run/vhci_hcd/portN.
#include "client-helper/port_record.h"

#include <gtest/gtest.h>

#include "client-helper/test_support.h"

namespace usbip::client::test {
namespace {

TEST(PortRecord, TcpRecordIsWhatTheKernelToolWrites) {
  const auto record = recordFor(parseAddress("tcp:server.lan:3240"), "1-1");
  EXPECT_EQ(formatRecord(record), "server.lan 3240 1-1\n");
  EXPECT_EQ(remoteOf(record), "tcp:server.lan:3240");
}

TEST(PortRecord, ReadsTheKernelToolsRecords) {
  const auto record = parseRecord("192.168.1.5 3240 2-1.4\n");
  ASSERT_TRUE(record);
  EXPECT_EQ(*record, (PortRecord{"192.168.1.5", "3240", "2-1.4"}));
  EXPECT_EQ(remoteOf(*record), "tcp:192.168.1.5:3240");
  EXPECT_EQ(remoteOf(*parseRecord("::1 3240 1-1\n")), "tcp:[::1]:3240");
}

TEST(PortRecord, OtherTransportsRoundTrip) {
  for (const char* address :
       {"vsock:3:3240", "fc-vsock:/run/fc.sock:52", "unix:/run/usbip.sock", "tcp:[::1]:3240"}) {
    const auto record = recordFor(parseAddress(address), "1-1");
    const auto back = parseRecord(formatRecord(record));
    ASSERT_TRUE(back) << address;
    EXPECT_EQ(*back, record);
    EXPECT_EQ(remoteOf(*back), address);
  }
}

TEST(PortRecord, SpacesAndControlCharactersCannotBreakTheLine) {
  const auto record = recordFor(parseAddress("unix:/run/my dir/s%.sock"), "1-1\n2");
  const auto line = formatRecord(record);
  EXPECT_EQ(line, "unix:/run/my%20dir/s%25.sock - 1-1%0A2\n");
  EXPECT_EQ(parseRecord(line), record);
}

TEST(PortRecord, RejectsMalformedRecords) {
  EXPECT_FALSE(parseRecord(""));
  EXPECT_FALSE(parseRecord("host 3240\n"));
  EXPECT_FALSE(parseRecord("host 3240 1-1 extra\n"));
  EXPECT_FALSE(parseRecord("host  3240 1-1\n"));
  EXPECT_FALSE(parseRecord("host 3240 1-1%2\n"));
  EXPECT_FALSE(parseRecord("host 3240 1-1\nmore\n"));
}

TEST(PortRecords, WriteReadRemove) {
  TempDir temp;
  const PortRecords records(temp.path() / "vhci_hcd");
  EXPECT_FALSE(records.read(3));
  const PortRecord record{"server", "3240", "1-1"};
  records.write(3, record);
  EXPECT_EQ(readFile(temp.path() / "vhci_hcd" / "port3"), "server 3240 1-1\n");
  EXPECT_EQ(records.read(3), record);
  records.write(3, PortRecord{"other", "1", "2-2"});  // an attach replaces a stale record
  EXPECT_EQ(records.read(3)->host, "other");
  records.remove(3);
  EXPECT_FALSE(records.read(3));
  records.remove(3);  // already gone: fine
}

}  // namespace
}  // namespace usbip::client::test
