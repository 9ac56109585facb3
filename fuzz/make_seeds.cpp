// Writes the seed corpora under the directory given (fuzz/corpus in the repository): a few valid
// sessions per target, built with the codec's encoders. Run it again after changing an input
// layout; the files are checked in.
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>

#include "fuzz/client_decoders_input.h"
#include "fuzz/seed_messages.h"
#include "fuzz/server_decoders_input.h"
#include "fuzz/worker_ipc_seeds.h"
#include "fuzz/worker_session_input.h"
#include "worker/sim/sim_devices.h"

namespace usbip::fuzz::seeds {
namespace {

using proto::Direction;
using proto::TransferType;

class CorpusWriter {
 public:
  explicit CorpusWriter(std::filesystem::path root) : root_(std::move(root)) {}

  void write(const std::string& target, const std::string& name, const Bytes& data) {
    std::filesystem::path directory = root_ / target;
    std::filesystem::create_directories(directory);
    std::ofstream file(directory / name, std::ios::binary | std::ios::trunc);
    file.write(reinterpret_cast<const char*>(data.data()),
               static_cast<std::streamsize>(data.size()));
    if (!file.flush()) throw std::runtime_error("cannot write " + (directory / name).string());
  }

 private:
  std::filesystem::path root_;
};

Bytes serialized(const auto& input) {
  FuzzInputWriter out;
  input.write(out);
  return out.data();
}

void serverDecoderSeeds(CorpusWriter& corpus) {
  constexpr uint32_t kDevid = 0x00010002;
  EndpointTable endpoints({
      {1, Direction::kIn, {TransferType::kInterrupt, 0}},
      {2, Direction::kOut, {TransferType::kBulk, 0}},
      {2, Direction::kIn, {TransferType::kBulk, 0}},
      {3, Direction::kOut, {TransferType::kIsochronous, 192}},
      {3, Direction::kIn, {TransferType::kIsochronous, 192}},
  });

  ServerDecodersInput devlist;
  Bytes devlistStream = Bytes{} + proto::OpReqDevlist{};
  devlist.stream = devlistStream;
  corpus.write("server_decoders", "devlist", serialized(devlist));

  ServerDecodersInput bulk;
  bulk.endpoints = endpoints;
  bulk.pieces.sizes = {0, 6, 47};
  Bytes bulkStream = Bytes{} + reqImport("1-2") +
                     control(1, kDevid, setup(0x80, 6, 0x0100, 0, 18)) +
                     transfer(2, kDevid, Direction::kOut, 2, 4, {1, 2, 3, 4}) +
                     transfer(3, kDevid, Direction::kIn, 2, 512) +
                     transfer(4, kDevid, Direction::kIn, 1, 8) + unlink(5, kDevid, 3);
  bulk.stream = bulkStream;
  corpus.write("server_decoders", "import_control_bulk_unlink", serialized(bulk));

  ServerDecodersInput isochronous;
  isochronous.endpoints = endpoints;
  isochronous.limits.limits = {1024, 8, 4, 4};
  isochronous.pieces.sizes = {15, 255};
  Bytes isoStream = Bytes{} + reqImport("1-2") + iso(1, kDevid, Direction::kOut, 3, 3, 192) +
                    iso(2, kDevid, Direction::kIn, 3, 2, 192) +
                    control(3, kDevid, setup(0x01, 11, 1, 1, 0));
  isochronous.stream = isoStream;
  corpus.write("server_decoders", "import_iso_small_limits", serialized(isochronous));
}

proto::DeviceRecord device(uint32_t busnum, uint32_t devnum, uint8_t interfaces) {
  proto::DeviceRecord record;
  record.path = "/sys/devices/pci0000:00/0000:00:14.0/usb" + std::to_string(busnum) + "/" +
                std::to_string(busnum) + "-" + std::to_string(devnum);
  record.busid = std::to_string(busnum) + "-" + std::to_string(devnum);
  record.busnum = busnum;
  record.devnum = devnum;
  record.speed = proto::Speed::kHigh;
  record.idVendor = 0x1209;
  record.idProduct = 0x0001;
  record.bcdDevice = 0x0100;
  record.bConfigurationValue = 1;
  record.bNumConfigurations = 1;
  record.bNumInterfaces = interfaces;
  return record;
}

proto::RetSubmit reply(uint32_t seqnum, int32_t actualLength, Bytes data = {}) {
  proto::RetSubmit message;
  message.base.seqnum = seqnum;
  message.actual_length = actualLength;
  message.payload.assign(data.begin(), data.end());
  return message;
}

void clientDecoderSeeds(CorpusWriter& corpus) {
  ClientDecodersInput devlist;
  devlist.expected = proto::OpCode::kRepDevlist;
  devlist.pieces.sizes = {100, 255, 3};
  proto::OpRepDevlist list;
  list.devices.push_back({device(1, 2, 1), {{3, 1, 1}}});
  list.devices.push_back({device(3, 127, 2), {{8, 6, 80}, {0xff, 0x42, 1}}});
  Bytes devlistStream = Bytes{} + list;
  devlist.stream = devlistStream;
  corpus.write("client_decoders", "devlist_two_devices", serialized(devlist));

  ClientDecodersInput failed;
  Bytes failedStream = Bytes{} + proto::OpRepImport{1, {}};
  failed.stream = failedStream;
  corpus.write("client_decoders", "import_refused", serialized(failed));

  auto pending = [](Direction direction, bool iso, int32_t length, int32_t packets) {
    return proto::PendingSubmit{direction, iso, length, packets};
  };
  ClientDecodersInput urbs;
  urbs.pending = PendingTable({{1, pending(Direction::kIn, false, 18, 0)},
                               {2, pending(Direction::kOut, false, 4, 0)},
                               {3, pending(Direction::kIn, true, 384, 2)},
                               {4, pending(Direction::kIn, false, 512, 0)}});
  urbs.pieces.sizes = {7, 40};
  proto::RetSubmit isoReply = reply(3, 200, Bytes(200, 0x5a));
  isoReply.number_of_packets = 2;
  isoReply.iso = {{0, 192, 192, 0}, {192, 192, 8, 0}};
  proto::RetUnlink unlinked;
  unlinked.base.seqnum = 5;
  unlinked.status = -104;
  Bytes urbStream = Bytes{} + proto::OpRepImport{0, device(1, 2, 1)} +
                    reply(1, 18, Bytes(18, 0x12)) + reply(2, 4) + isoReply + unlinked;
  urbs.stream = urbStream;
  corpus.write("client_decoders", "import_then_replies", serialized(urbs));
}

// Standard requests (USB 2.0 chapter 9) and the class requests the Linux drivers send.
std::array<uint8_t, 8> getDescriptor(uint8_t type, uint8_t index, uint16_t length,
                                     uint8_t recipient = 0x80, uint16_t wIndex = 0) {
  return setup(recipient, 6, static_cast<uint16_t>(type << 8 | index), wIndex, length);
}
std::array<uint8_t, 8> setConfiguration(uint8_t value) {
  return setup(0x00, 9, value, 0, 0);
}
std::array<uint8_t, 8> setInterface(uint8_t interface, uint8_t alternate) {
  return setup(0x01, 11, alternate, interface, 0);
}

Bytes enumeration(uint32_t devid) {
  return Bytes{} + control(1, devid, getDescriptor(1, 0, 64)) +
         control(2, devid, getDescriptor(1, 0, 18)) + control(3, devid, getDescriptor(2, 0, 9)) +
         control(4, devid, getDescriptor(2, 0, 255)) + control(5, devid, getDescriptor(3, 0, 255)) +
         control(6, devid, getDescriptor(3, 2, 255, 0x80, 0x0409)) +
         control(7, devid, setConfiguration(1));
}

void writeSession(CorpusWriter& corpus, const std::string& device, const std::string& name,
                  WorkerSessionInput input, const Bytes& stream) {
  input.stream = stream;
  corpus.write("worker_session_" + device, name, serialized(input));
}

void workerSessionSeeds(CorpusWriter& corpus) {
  using proto::Direction;
  for (const char* device : {"hid", "cdc", "uac"}) {
    writeSession(corpus, device, "devlist", {}, Bytes{} + proto::OpReqDevlist{});
    writeSession(corpus, device, "import_unknown_busid", {}, Bytes{} + reqImport("9-9"));
  }

  constexpr uint32_t kHid = 1;  // devid = devnum on the simulated bus 0 (worker/sim/README.md)
  Bytes keyboard = Bytes{} + reqImport("0-1") + enumeration(kHid) +
                   control(8, kHid, setup(0x21, 0x0a, 0, 0, 0)) +             // SET_IDLE
                   control(9, kHid, getDescriptor(0x22, 0, 63, 0x81)) +       // report descriptor
                   control(10, kHid, setup(0x21, 0x09, 0x0200, 0, 1), {1}) +  // SET_REPORT: LEDs
                   control(11, kHid, setup(0xa1, 0x01, 0x0100, 0, 8)) +       // GET_REPORT
                   control(12, kHid, setup(0x21, 0x0b, 0, 0, 0));             // SET_PROTOCOL boot
  for (uint32_t seqnum = 13; seqnum < 23; ++seqnum)
    keyboard = keyboard + transfer(seqnum, kHid, Direction::kIn, 1, 8);
  keyboard = keyboard + unlink(23, kHid, 22) + unlink(24, kHid, 13);
  writeSession(corpus, "hid", "typing", {}, keyboard);
  WorkerSessionInput smallReads;
  smallReads.handshakeChunk = 7;
  smallReads.readChunk = 13;
  smallReads.maxUrbsInFlight = 2;
  writeSession(corpus, "hid", "typing_small_reads_two_urbs", smallReads, keyboard);

  constexpr uint32_t kCdc = 2;
  Bytes serial = Bytes{} + reqImport("0-2") + enumeration(kCdc) +
                 control(8, kCdc, setup(0x21, 0x20, 0, 0, 7), {0x80, 0x25, 0, 0, 0, 0, 8}) +
                 control(9, kCdc, setup(0xa1, 0x21, 0, 0, 7)) +   // GET_LINE_CODING
                 control(10, kCdc, setup(0x21, 0x22, 3, 0, 0)) +  // SET_CONTROL_LINE_STATE
                 transfer(11, kCdc, Direction::kIn, 1, 16) +      // notifications: never
                 transfer(12, kCdc, Direction::kOut, 2, 5, {'h', 'e', 'l', 'l', 'o'}) +
                 transfer(13, kCdc, Direction::kIn, 2, 64) +
                 transfer(14, kCdc, Direction::kIn, 2, 64) + unlink(15, kCdc, 11) +
                 unlink(16, kCdc, 14) +
                 control(17, kCdc, setup(0x02, 1, 0, 0x82, 0)) +   // CLEAR_FEATURE(HALT) 0x82
                 control(18, kCdc, setup(0x21, 0x23, 100, 0, 0));  // SEND_BREAK
  writeSession(corpus, "cdc", "echo", {}, serial);
  WorkerSessionInput smallCaps;
  smallCaps.maxBytesInFlight = 70;
  smallCaps.maxOutboundBytes = 100;
  smallCaps.readChunk = 48;
  writeSession(corpus, "cdc", "echo_small_caps", smallCaps, serial);
  // Rule U3: vhci's unlink ahead of its submit (9), and one whose submit never comes (11).
  Bytes overtaken = Bytes{} + reqImport("0-2") + enumeration(kCdc) +
                    transfer(8, kCdc, Direction::kIn, 2, 64) + unlink(10, kCdc, 9) +
                    transfer(9, kCdc, Direction::kIn, 2, 64) + unlink(12, kCdc, 11) +
                    transfer(13, kCdc, Direction::kOut, 2, 2, {'o', 'k'}) + unlink(14, kCdc, 8);
  writeSession(corpus, "cdc", "unlink_before_submit", {}, overtaken);

  constexpr uint32_t kUac = 3;
  std::array<uint8_t, 8> setRate = setup(0x22, 0x01, 0x0100, 0x01, 3);  // SET_CUR to ep 0x01
  Bytes audio =
      Bytes{} + reqImport("0-3") + enumeration(kUac) + control(8, kUac, setInterface(1, 1)) +
      control(9, kUac, setRate, {0x80, 0xbb, 0}) + iso(10, kUac, Direction::kOut, 1, 4, 192) +
      control(11, kUac, setInterface(2, 1)) + iso(12, kUac, Direction::kIn, 2, 4, 192) +
      iso(13, kUac, Direction::kIn, 2, 5, 192) + unlink(14, kUac, 13) +
      control(15, kUac, setup(0xa2, 0x81, 0x0100, 0x82, 3)) + control(16, kUac, setInterface(1, 0));
  writeSession(corpus, "uac", "loopback", {}, audio);
  WorkerSessionInput split;
  split.maxIsoPacketsPerTransfer = 2;
  writeSession(corpus, "uac", "loopback_split_iso", split, audio);
}

// Layout: mode (1 = list), busid length and bytes, then the server's bytes (client_helper_fuzzer).
Bytes helperInput(bool list, const std::string& busid, const Bytes& server) {
  Bytes input{static_cast<uint8_t>(list ? 1 : 0), static_cast<uint8_t>(busid.size())};
  input.insert(input.end(), busid.begin(), busid.end());
  return input + server;
}

void clientHelperSeeds(CorpusWriter& corpus) {
  Bytes urbStream = Bytes{} + reply(1, 18, Bytes(18, 0x12));
  corpus.write(
      "client_helper", "import",
      helperInput(false, "1-2", Bytes{} + proto::OpRepImport{0, device(1, 2, 1)} + urbStream));
  corpus.write("client_helper", "import_reverse",
               helperInput(false, "", Bytes{} + proto::OpRepImport{0, device(3, 9, 2)}));
  corpus.write("client_helper", "import_refused",
               helperInput(false, "1-2", Bytes{} + proto::OpRepImport{2, {}}));
  proto::OpRepDevlist list;
  proto::DeviceRecord odd = device(2, 5, 1);
  odd.path = "/sys/devices/\x1b[2J\"quoted\"\t\x7f\xc3\xa9";
  odd.busid = "2-5\n";
  list.devices.push_back({device(1, 2, 1), {{3, 1, 1}}});
  list.devices.push_back({odd, {{0xff, 0, 0}}});
  corpus.write("client_helper", "list_odd_strings", helperInput(true, "", Bytes{} + list));
  corpus.write("client_helper", "list_refused",
               helperInput(true, "", Bytes{} + proto::OpRepDevlist{1, {}}));
}

// Layout: speed, active configuration, then the usbfs read() bytes (device_descriptors_fuzzer).
void deviceDescriptorSeeds(CorpusWriter& corpus) {
  for (const char* name : {"hid", "cdc", "uac"}) {
    auto device = worker::sim::makeSimulatedDevice(name, {.manualClock = true});
    const worker::DeviceDescription& description = device->description();
    Bytes usbfs = description.deviceDescriptor;
    for (const std::vector<uint8_t>& configuration : description.configurations)
      usbfs = usbfs + configuration;
    auto speed = static_cast<uint8_t>(description.exported.device.speed);
    corpus.write("device_descriptors", std::string("sim_") + name,
                 Bytes{speed, description.activeConfiguration} + usbfs);
  }
}

// What a worker says to the broker: the whole session, only a listing, out of turn, and an
// over-long bus ID.
void workerIpcSeeds(CorpusWriter& corpus) {
  using Kind = IpcCall::Kind;
  corpus.write(
      "worker_ipc", "connect_list_import",
      recordWorkerIpc(
          {{Kind::kClientConnection, ""}, {Kind::kListDevices, ""}, {Kind::kImportDevice, "0-2"}}));
  corpus.write("worker_ipc", "connect_list",
               recordWorkerIpc({{Kind::kClientConnection, ""}, {Kind::kListDevices, ""}}));
  corpus.write("worker_ipc", "import_out_of_turn",
               recordWorkerIpc({{Kind::kImportDevice, "0-1"}, {Kind::kClientConnection, ""}}));
  corpus.write("worker_ipc", "import_long_busid",
               recordWorkerIpc(
                   {{Kind::kClientConnection, ""}, {Kind::kImportDevice, std::string(40, '1')}}));
}

Bytes text(std::string_view chars) {
  return Bytes(chars.begin(), chars.end());
}

// Policy files as docs/policy.md describes them.
void policyParserSeeds(CorpusWriter& corpus) {
  corpus.write("policy_parser", "deny", text("deny = true\n[match]\nvid_pid = \"046d:c52b\"\n"));
  corpus.write("policy_parser", "listen_minimal",
               text("[match]\nbusid = \"1-2\"\n[export]\nmode = \"listen\"\n"
                    "allowed_peers = [\"any\"]\n"));
  corpus.write("policy_parser", "connect_vsock",
               text("[match]\nport_path = \"pci-0000:00:14.0-usb-0:2\"\nserial = \"A50285BI\"\n"
                    "[export]\nmode = \"connect\"\naddress = \"vsock:3:3240\"\n"));
  corpus.write(
      "policy_parser", "everything",
      text("[match]\nbusid = \"1-2.3\"\nvid_pid = \"0403:6001\"\n"
           "[export]\nmode = \"listen\"\naddress = \"tcp:[::1]:3240\"\n"
           "allowed_peers = [\"::1\", \"192.0.2.0/24\", \"2001:db8::/32\"]\n"
           "[interfaces]\nnumbers = [0, 31]\nclasses = [\"hid\", 0x08, \"vendor\"]\n"
           "[requests]\nallow_reset = true\n"
           "extra_control_requests = [ { request_type = 0x40, request = 0x00 },\n"
           "  { request_type = 0xc0, request = 0x05 } ]\n"
           "max_transfer_size = 65536\nmax_bytes_in_flight = 1048576\nmax_urbs_in_flight = 64\n"
           "[guards]\nhid_only = false\nread_only = true\n"));
}

}  // namespace
}  // namespace usbip::fuzz::seeds

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_ROOT (fuzz/corpus in the repository)\n", argv[0]);
    return 2;
  }
  try {
    usbip::fuzz::seeds::CorpusWriter corpus(argv[1]);
    usbip::fuzz::seeds::serverDecoderSeeds(corpus);
    usbip::fuzz::seeds::clientDecoderSeeds(corpus);
    usbip::fuzz::seeds::workerSessionSeeds(corpus);
    usbip::fuzz::seeds::policyParserSeeds(corpus);
    usbip::fuzz::seeds::clientHelperSeeds(corpus);
    usbip::fuzz::seeds::deviceDescriptorSeeds(corpus);
    usbip::fuzz::seeds::workerIpcSeeds(corpus);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "make_seeds: %s\n", error.what());
    return 1;
  }
  return 0;
}
