// Development check, for the test VM only: streams isochronous OUT transfers to a USB audio
// device (QEMU's usb-audio, imported over USB/IP through engine-attach) with libusb, as a
// client program would, and checks that every packet comes back complete; then cancels a
// queue of transfers in flight. See engine-vm-check.sh ("audio").
//
//   iso-check /dev/bus/usb/BBB/DDD
#include <fcntl.h>
#include <libusb.h>

#include <cstdio>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/syscall.h"
#include "common/unique_fd.h"

namespace usbip::worker {
namespace {

constexpr int kPacketsPerTransfer = 100;  // 100 ms at full speed
constexpr int kTransfers = 20;
constexpr int kQueued = 4;
constexpr int kAudioStreaming = 2;  // bInterfaceSubClass of UAC streaming interfaces

void check(int rc, const std::string& what) {
  if (rc < 0) throw std::runtime_error(what + ": " + libusb_error_name(rc));
}

struct Stream {
  int interface = -1;
  int alternate = -1;
  unsigned char endpoint = 0;
  int packetSize = 0;
};

// The first alternate setting of an audio streaming interface with an isochronous OUT endpoint.
Stream findStream(libusb_device_handle* handle) {
  libusb_config_descriptor* config = nullptr;
  check(libusb_get_active_config_descriptor(libusb_get_device(handle), &config), "config");
  Stream stream;
  for (int i = 0; i < config->bNumInterfaces && stream.interface < 0; ++i) {
    const libusb_interface& interface = config->interface[i];
    for (int a = 0; a < interface.num_altsetting && stream.interface < 0; ++a) {
      const libusb_interface_descriptor& alt = interface.altsetting[a];
      if (alt.bInterfaceClass != LIBUSB_CLASS_AUDIO || alt.bInterfaceSubClass != kAudioStreaming)
        continue;
      for (int e = 0; e < alt.bNumEndpoints; ++e) {
        const libusb_endpoint_descriptor& endpoint = alt.endpoint[e];
        if ((endpoint.bmAttributes & 3) == LIBUSB_TRANSFER_TYPE_ISOCHRONOUS &&
            (endpoint.bEndpointAddress & 0x80) == 0) {
          stream = {alt.bInterfaceNumber, alt.bAlternateSetting, endpoint.bEndpointAddress,
                    endpoint.wMaxPacketSize & 0x7ff};
          break;
        }
      }
    }
  }
  libusb_free_config_descriptor(config);
  if (stream.interface < 0) throw std::runtime_error("no isochronous OUT streaming interface");
  return stream;
}

struct Outcome {
  bool done = false;
  libusb_transfer_status status = LIBUSB_TRANSFER_ERROR;
  int badPackets = 0;
  int bytes = 0;
};

void LIBUSB_CALL onDone(libusb_transfer* transfer) {
  auto* outcome = static_cast<Outcome*>(transfer->user_data);
  outcome->done = true;
  outcome->status = transfer->status;
  for (int i = 0; i < transfer->num_iso_packets; ++i) {
    const libusb_iso_packet_descriptor& packet = transfer->iso_packet_desc[i];
    if (packet.status != LIBUSB_TRANSFER_COMPLETED || packet.actual_length != packet.length)
      ++outcome->badPackets;
    outcome->bytes += static_cast<int>(packet.actual_length);
  }
}

libusb_transfer* isoTransfer(libusb_device_handle* handle, const Stream& stream,
                             std::vector<unsigned char>& buffer, Outcome& outcome) {
  libusb_transfer* transfer = libusb_alloc_transfer(kPacketsPerTransfer);
  libusb_fill_iso_transfer(transfer, handle, stream.endpoint, buffer.data(),
                           static_cast<int>(buffer.size()), kPacketsPerTransfer, onDone, &outcome,
                           5000);
  libusb_set_iso_packet_lengths(transfer, static_cast<unsigned>(stream.packetSize));
  return transfer;
}

void waitAll(libusb_context* context, std::vector<Outcome>& outcomes) {
  for (Outcome& outcome : outcomes) {
    while (!outcome.done)
      check(libusb_handle_events(context), "handle_events");
  }
}

int run(const char* node) {
  check(libusb_set_option(nullptr, LIBUSB_OPTION_NO_DEVICE_DISCOVERY), "no discovery");
  libusb_context* context = nullptr;
  check(libusb_init(&context), "libusb_init");
  UniqueFd fd(checkSyscall(::open(node, O_RDWR | O_CLOEXEC), node));
  libusb_device_handle* handle = nullptr;
  check(libusb_wrap_sys_device(context, fd.get(), &handle), "wrap");
  Stream stream = findStream(handle);
  std::cout << "streaming interface " << stream.interface << " alt " << stream.alternate
            << " endpoint " << int{stream.endpoint} << " packets of " << stream.packetSize
            << " bytes" << std::endl;
  libusb_set_auto_detach_kernel_driver(handle, 1);
  check(libusb_claim_interface(handle, stream.interface), "claim");
  check(libusb_set_interface_alt_setting(handle, stream.interface, stream.alternate), "alt");

  std::vector<unsigned char> buffer(static_cast<size_t>(kPacketsPerTransfer * stream.packetSize));
  for (size_t i = 0; i < buffer.size(); ++i)
    buffer[i] = static_cast<unsigned char>(i);

  // A stream of back-to-back transfers, kQueued in flight at a time.
  int failed = 0;
  for (int round = 0; round < kTransfers / kQueued; ++round) {
    std::vector<Outcome> outcomes(kQueued);
    std::vector<libusb_transfer*> transfers;
    for (Outcome& outcome : outcomes) {
      transfers.push_back(isoTransfer(handle, stream, buffer, outcome));
      check(libusb_submit_transfer(transfers.back()), "submit");
    }
    waitAll(context, outcomes);
    for (size_t i = 0; i < outcomes.size(); ++i) {
      if (outcomes[i].status != LIBUSB_TRANSFER_COMPLETED || outcomes[i].badPackets != 0 ||
          outcomes[i].bytes != static_cast<int>(buffer.size())) {
        std::cout << "transfer failed: status " << outcomes[i].status << ", "
                  << outcomes[i].badPackets << " bad packets, " << outcomes[i].bytes << " bytes"
                  << std::endl;
        ++failed;
      }
      libusb_free_transfer(transfers[i]);
    }
  }
  std::cout << "stream: " << kTransfers - failed << " of " << kTransfers << " transfers complete"
            << std::endl;

  // A queue cancelled while in flight: every transfer must come back, cancelled or complete.
  std::vector<Outcome> outcomes(kQueued);
  std::vector<libusb_transfer*> transfers;
  for (Outcome& outcome : outcomes) {
    transfers.push_back(isoTransfer(handle, stream, buffer, outcome));
    check(libusb_submit_transfer(transfers.back()), "submit");
  }
  for (libusb_transfer* transfer : transfers)
    libusb_cancel_transfer(transfer);
  waitAll(context, outcomes);
  int cancelled = 0;
  for (size_t i = 0; i < outcomes.size(); ++i) {
    if (outcomes[i].status == LIBUSB_TRANSFER_CANCELLED) ++cancelled;
    libusb_free_transfer(transfers[i]);
  }
  std::cout << "cancel: " << cancelled << " of " << kQueued << " cancelled, all came back"
            << std::endl;

  check(libusb_set_interface_alt_setting(handle, stream.interface, 0), "alt 0");
  libusb_release_interface(handle, stream.interface);
  libusb_close(handle);
  libusb_exit(context);
  return failed == 0 ? 0 : 1;
}

}  // namespace
}  // namespace usbip::worker

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: iso-check /dev/bus/usb/BBB/DDD\n";
    return 2;
  }
  try {
    return usbip::worker::run(argv[1]);
  } catch (const std::exception& error) {
    std::cerr << "iso-check: " << error.what() << "\n";
    return 1;
  }
}
