// Writes the seed corpora under the directory given (fuzz/corpus in the repository): a few valid
// sessions per target, built with the codec's encoders. Run it again after changing an input
// layout; the files are checked in.
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "fuzz/client_decoders_input.h"
#include "fuzz/seed_messages.h"
#include "fuzz/server_decoders_input.h"

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
  message.payload = std::move(data);
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
  } catch (const std::exception& error) {
    std::fprintf(stderr, "make_seeds: %s\n", error.what());
    return 1;
  }
  return 0;
}
