#include "policy/parser.h"

#include <sys/stat.h>
#include <toml++/toml.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "policy/file_trust.h"
#include "policy/tables.h"
#include "policy/toml_reader.h"

namespace usbip::policy {
namespace {

constexpr uintmax_t kMaxFileSize = 1 << 20;

void parseDocument(const toml::table& document, DiagnosticSink& sink, DevicePolicy& policy) {
  TableReader root(document, "", sink);
  const auto* match = root.table("match");
  const bool deny = root.boolean("deny").value_or(false);
  const auto* exportTable = root.table("export");
  const auto* interfaces = root.table("interfaces");
  const auto* requests = root.table("requests");
  const auto* guards = root.table("guards");
  root.rejectUnknownKeys();

  policy.deny = deny;
  if (match) {
    parseMatchTable(*match, sink, policy.match);
    policy.matchLine = lineOf(*match);
  } else if (!document.contains("match")) {
    sink.add(1, "match", "missing: every policy file needs a [match] table");
  }
  if (deny) {
    for (const auto* key : {"export", "interfaces", "requests", "guards"}) {
      if (const auto* node = document.get(key)) {
        root.error(*node, key, "not allowed with deny = true: a denying rule has only [match]");
      }
    }
    return;
  }
  if (exportTable) {
    parseExportTable(*exportTable, sink, policy.exportRule);
  } else if (!document.contains("export")) {
    sink.add(1, "export",
             "missing: say how the device is exported, or set deny = true to refuse it");
  }
  if (interfaces) parseInterfacesTable(*interfaces, sink, policy.limits);
  if (requests) parseRequestsTable(*requests, sink, policy.limits);
  if (guards) parseGuardsTable(*guards, sink, policy.limits);
}

DevicePolicy parseInto(std::string_view text, const std::string& file, const std::string& name,
                       DiagnosticSink& sink) {
  DevicePolicy policy;
  policy.name = name;
  policy.file = file;
  policy.origin = file;
  try {
    const toml::table document = toml::parse(text, std::string_view(file));
    parseDocument(document, sink, policy);
  } catch (const toml::parse_error& e) {
    sink.add(static_cast<uint32_t>(e.source().begin.line), "(syntax)",
             std::string(e.description()));
  }
  return policy;
}

}  // namespace

DevicePolicy parsePolicy(std::string_view text, const std::string& file, const std::string& name) {
  DiagnosticSink sink(file);
  auto policy = parseInto(text, file, name, sink);
  if (!sink.empty()) throw PolicyError(sink.take());
  return policy;
}

DevicePolicy parsePolicyFile(const std::filesystem::path& path) {
  const std::string file = path.string();
  DiagnosticSink sink(file);
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) {
    sink.add(1, "(file)", std::string("cannot read: ") + std::strerror(errno));
    throw PolicyError(sink.take());
  }
  if (!S_ISREG(st.st_mode)) {
    sink.add(1, "(file)", "not a regular file");
    throw PolicyError(sink.take());
  }
  if (auto why = untrustedWriter(st, "a policy file"); !why.empty()) sink.add(1, "(file)", why);
  if (static_cast<uintmax_t>(st.st_size) > kMaxFileSize) {
    sink.add(1, "(file)", "larger than 1 MiB; not a policy file");
    throw PolicyError(sink.take());
  }
  std::ifstream in(path, std::ios::binary);
  const std::string text(std::istreambuf_iterator<char>(in), {});
  if (!in.is_open() || in.bad()) {
    sink.add(1, "(file)", "cannot read");
    throw PolicyError(sink.take());
  }
  auto policy = parseInto(text, file, path.stem().string(), sink);
  if (!sink.empty()) throw PolicyError(sink.take());
  return policy;
}

}  // namespace usbip::policy
