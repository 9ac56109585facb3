// [export]: listen or connect, where, and who may import.
#include <algorithm>
#include <stdexcept>

#include "policy/tables.h"

namespace usbip::policy {
namespace {

// Whether a peer rule can ever match a client of a listener of this kind.
bool peerFitsListener(const PeerRule& rule, const Address& listener) {
  if (rule.kind == PeerRule::Kind::kAny) return true;
  switch (listener.kind) {
    case Address::Kind::kTcp:
      return rule.kind == PeerRule::Kind::kIpv4 || rule.kind == PeerRule::Kind::kIpv6;
    case Address::Kind::kVsock:
      return rule.kind == PeerRule::Kind::kVsock;
    case Address::Kind::kFirecrackerVsock:
    case Address::Kind::kUnix:
      return rule.kind == PeerRule::Kind::kUnix;
  }
  return false;
}

void checkConnectAddress(TableReader& reader, const toml::table& table,
                         const std::optional<Address>& address) {
  if (!table.contains("address")) {
    reader.sink().add(reader.line(), "export.address",
                      "missing: mode = \"connect\" needs the address to dial");
  } else if (address && address->kind == Address::Kind::kTcp && address->host.empty()) {
    reader.error(*reader.node("address"), "address",
                 "mode = \"connect\" needs a host to dial: tcp:HOST:PORT");
  } else if (address && address->kind == Address::Kind::kVsock && !address->cid) {
    reader.error(*reader.node("address"), "address",
                 "mode = \"connect\" needs a CID to dial: vsock:CID:PORT");
  }
}

void parsePeers(TableReader& reader, const toml::array& peers, ExportRule& rule) {
  auto& sink = reader.sink();
  if (peers.empty()) {
    reader.error(peers, "allowed_peers",
                 "empty: nobody could import the device (use deny = true to refuse it)");
  }
  for (size_t i = 0; i < peers.size(); ++i) {
    const std::string key = reader.keyPath("allowed_peers") + "[" + std::to_string(i) + "]";
    const auto text = stringElement(*peers.get(i), key, sink);
    if (!text) continue;
    try {
      const auto peer = parsePeerRule(*text);
      if (std::find(rule.allowedPeers.begin(), rule.allowedPeers.end(), peer) !=
          rule.allowedPeers.end()) {
        sink.add(lineOf(*peers.get(i)), key, inQuotes(*text) + " is listed twice");
      } else if (rule.address && !peerFitsListener(peer, *rule.address)) {
        sink.add(lineOf(*peers.get(i)), key,
                 inQuotes(*text) + " can never match a client of " + rule.address->toString());
      } else {
        rule.allowedPeers.push_back(peer);
      }
    } catch (const std::invalid_argument& e) {
      sink.add(lineOf(*peers.get(i)), key, e.what());
    }
  }
}

}  // namespace

void parseExportTable(const toml::table& table, DiagnosticSink& sink, ExportRule& rule) {
  TableReader reader(table, "export", sink);
  const auto mode = reader.string("mode");
  const auto addressText = reader.string("address");
  const auto* peers = reader.array("allowed_peers");
  reader.rejectUnknownKeys();

  std::optional<ExportRule::Mode> parsedMode;
  if (!table.contains("mode")) {
    sink.add(reader.line(), "export.mode", "missing: \"listen\" or \"connect\"");
  } else if (mode == "listen") {
    parsedMode = ExportRule::Mode::kListen;
  } else if (mode == "connect") {
    parsedMode = ExportRule::Mode::kConnect;
  } else if (mode) {
    reader.error(*reader.node("mode"), "mode",
                 "must be \"listen\" or \"connect\", not " + inQuotes(*mode));
  }
  if (addressText) {
    try {
      rule.address = parseAddress(*addressText);
    } catch (const std::invalid_argument& e) {
      reader.error(*reader.node("address"), "address", e.what());
    }
  }
  if (!parsedMode) return;
  rule.mode = *parsedMode;
  if (rule.mode == ExportRule::Mode::kConnect) {
    checkConnectAddress(reader, table, rule.address);
    if (const auto* node = table.get("allowed_peers")) {
      reader.error(*node, "allowed_peers",
                   "only for mode = \"listen\"; in connect mode the peer is export.address");
    }
    return;
  }
  if (!table.contains("allowed_peers")) {
    sink.add(reader.line(), "export.allowed_peers",
             "missing: list who may import the device (\"any\" for everyone)");
  } else if (peers) {
    parsePeers(reader, *peers, rule);
  }
}

}  // namespace usbip::policy
