#include "client-helper/port_record.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <vector>

#include "client-helper/sysfs_file.h"
#include "common/syscall.h"
#include "common/unique_fd.h"

namespace usbip::client {
namespace {

bool needsEscape(unsigned char c) {
  return c <= 0x20 || c >= 0x7f || c == '%';
}

std::string encodeField(std::string_view text) {
  if (text.empty()) return "-";
  std::string out;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (needsEscape(c)) {
      char escaped[4];
      std::snprintf(escaped, sizeof escaped, "%%%02X", c);
      out += escaped;
    } else {
      out += ch;
    }
  }
  return out;
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::optional<std::string> decodeField(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    const int high = hexValue(text[i + 1]);
    const int low = hexValue(text[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return out;
}

}  // namespace

PortRecord recordFor(const Address& remote, std::string_view busid) {
  PortRecord record;
  record.busid = std::string(busid);
  switch (remote.kind) {
    case Address::Kind::kTcp:
      record.host = remote.host;
      record.service = std::to_string(remote.port);
      break;
    case Address::Kind::kVsock:
      record.host = "vsock:" + (remote.cid ? std::to_string(*remote.cid) : std::string("any"));
      record.service = std::to_string(remote.port);
      break;
    case Address::Kind::kFirecrackerVsock:
      record.host = "fc-vsock:" + remote.path;
      record.service = std::to_string(remote.port);
      break;
    case Address::Kind::kUnix:
      record.host = "unix:" + remote.path;
      record.service = "-";
      break;
  }
  return record;
}

std::string remoteOf(const PortRecord& record) {
  const std::string_view host = record.host;
  if (host.starts_with("unix:")) return record.host;
  if (host.starts_with("vsock:") || host.starts_with("fc-vsock:")) {
    return record.host + ":" + record.service;
  }
  if (host.find(':') != std::string_view::npos)
    return "tcp:[" + record.host + "]:" + record.service;
  return "tcp:" + record.host + ":" + record.service;
}

std::string formatRecord(const PortRecord& record) {
  return encodeField(record.host) + " " + encodeField(record.service) + " " +
         encodeField(record.busid) + "\n";
}

std::optional<PortRecord> parseRecord(std::string_view text) {
  if (text.ends_with('\n')) text.remove_suffix(1);
  if (text.find('\n') != std::string_view::npos) return std::nullopt;
  std::vector<std::string> fields;
  size_t start = 0;
  for (;;) {
    const size_t space = text.find(' ', start);
    const auto field = decodeField(text.substr(start, space - start));
    if (!field || field->empty()) return std::nullopt;
    fields.push_back(*field);
    if (space == std::string_view::npos) break;
    start = space + 1;
  }
  if (fields.size() != 3) return std::nullopt;
  return PortRecord{fields[0], fields[1], fields[2]};
}

std::filesystem::path PortRecords::fileFor(uint32_t port) const {
  return dir_ / ("port" + std::to_string(port));
}

void PortRecords::write(uint32_t port, const PortRecord& record) const {
  const std::string dirWhat = "create " + dir_.string();
  if (::mkdir(dir_.c_str(), 0700) != 0 && errno != EEXIST) throwErrno(errno, dirWhat);
  if (!std::filesystem::is_directory(dir_)) {
    throw std::runtime_error(dir_.string() + " exists and is not a directory");
  }
  const auto file = fileFor(port);
  const std::string what = "write " + file.string();
  UniqueFd fd(retrySyscall(what, [&] {
    return ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  }));
  const std::string line = formatRecord(record);
  const ssize_t n = retrySyscall(what, [&] { return ::write(fd.get(), line.data(), line.size()); });
  if (static_cast<size_t>(n) != line.size()) throw std::runtime_error(what + ": short write");
}

std::optional<PortRecord> PortRecords::read(uint32_t port) const {
  try {
    return parseRecord(readTextFile(fileFor(port)));
  } catch (const std::system_error&) {
    return std::nullopt;
  }
}

void PortRecords::remove(uint32_t port) const {
  const auto file = fileFor(port);
  if (::unlink(file.c_str()) != 0 && errno != ENOENT) throwErrno(errno, "remove " + file.string());
}

}  // namespace usbip::client
