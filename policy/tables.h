// One function per table of a policy file, each filling its part of the DevicePolicy and
// recording every problem in the sink (parser.cpp drives them). Internal to usbip_policy.
#pragma once

#include <toml++/toml.h>

#include <string>
#include <string_view>

#include "policy/device_policy.h"
#include "policy/toml_reader.h"

namespace usbip::policy {

void parseMatchTable(const toml::table& table, DiagnosticSink& sink, Match& match);
void parseExportTable(const toml::table& table, DiagnosticSink& sink, ExportRule& rule);
void parseInterfacesTable(const toml::table& table, DiagnosticSink& sink, UrbLimits& limits);
void parseRequestsTable(const toml::table& table, DiagnosticSink& sink, UrbLimits& limits);
void parseGuardsTable(const toml::table& table, DiagnosticSink& sink, UrbLimits& limits);

// A value as the user wrote it, for messages: "1-2" with its quotes.
inline std::string inQuotes(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

}  // namespace usbip::policy
