// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/plugin/plugin_config.hpp"

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <set>
#include <type_traits>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "sagitta/plugin/sql_connection.hpp"

namespace sagitta::plugin {
namespace {

using Json = nlohmann::json;

constexpr std::size_t kMaxFileMegabytes = 2048;  // 2^31 bytes: below uint32's limit

template <typename T>
void read(const Json& object, const char* key, T& value, const std::string& where) {
  if (!object.contains(key)) return;
  const Json& item = object.at(key);
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    // nlohmann would wrap -1 into a size_t and truncate 2.5 or 2^40 into an int: refuse instead.
    // nlohmann keeps a non-negative integer as unsigned, a negative one as signed.
    if (!item.is_number_integer()) throw PluginConfigError(where + "." + key + " must be a whole number");
    if (item.is_number_unsigned()) {
      const auto u = item.get<std::uint64_t>();
      if (u > static_cast<std::uint64_t>(std::numeric_limits<T>::max())) throw PluginConfigError(where + "." + key + " is too large");
      value = static_cast<T>(u);
      return;
    }
    const auto i = item.get<std::int64_t>();
    if constexpr (std::is_unsigned_v<T>) throw PluginConfigError(where + "." + key + " must not be negative");
    if (i < static_cast<std::int64_t>(std::numeric_limits<T>::min())) throw PluginConfigError(where + "." + key + " is too small");
    value = static_cast<T>(i);
    return;
  }
  try {
    value = item.get<T>();
  } catch (const Json::exception&) {
    throw PluginConfigError(where + "." + key + " has the wrong type");
  }
}

void refuseUnknown(const Json& object, const std::set<std::string>& known, const std::string& where) {
  for (const auto& item : object.items()) {
    if (!known.count(item.key())) throw PluginConfigError("unknown key " + where + "." + item.key().substr(0, 40));
  }
}

RoutingRule parseRule(const Json& j, std::size_t index) {
  const auto where = "Sagitta.Rules[" + std::to_string(index) + "]";
  if (!j.is_object()) throw PluginConfigError(where + " must be an object");
  refuseUnknown(j, {"Name", "Action", "Modality", "SOPClassUID", "BodyPartExamined", "ViewPosition", "CallingAET",
                    "CalledAET", "SeriesDescription", "ProtocolName", "MinRows", "Forward"},
                where);
  RoutingRule r;
  r.name = "rule " + std::to_string(index + 1);
  read(j, "Name", r.name, where);
  std::string action = "analyse";
  read(j, "Action", action, where);
  if (action == "analyse" || action == "analyze") r.action = RouteAction::Analyse;
  else if (action == "skip") r.action = RouteAction::Skip;
  else throw PluginConfigError(where + ".Action must be \"analyse\" or \"skip\"");
  read(j, "Modality", r.modalities, where);
  read(j, "SOPClassUID", r.sopClassUids, where);
  read(j, "BodyPartExamined", r.bodyParts, where);
  read(j, "ViewPosition", r.viewPositions, where);
  read(j, "CallingAET", r.callingAets, where);
  read(j, "CalledAET", r.calledAets, where);
  std::string series, protocol;
  read(j, "SeriesDescription", series, where);
  read(j, "ProtocolName", protocol, where);
  if (!series.empty()) r.seriesDescription = series;
  if (!protocol.empty()) r.protocolName = protocol;
  read(j, "MinRows", r.minRows, where);
  if (r.minRows < 0) throw PluginConfigError(where + ".MinRows must be >= 0");
  read(j, "Forward", r.forward, where);
  for (auto& destination : r.forward) {
    try {
      destination = parseDestination(destination).key();
    } catch (const std::invalid_argument& e) {
      throw PluginConfigError(where + ".Forward: " + e.what());
    }
  }
  if (!r.forward.empty() && r.action == RouteAction::Skip) throw PluginConfigError(where + ": a skip rule forwards nothing");
  return r;
}

}  // namespace

PluginConfig parsePluginConfig(const std::string& fullConfiguration) {
  Json root;
  try {
    root = Json::parse(fullConfiguration);
  } catch (const Json::parse_error& e) {
    throw PluginConfigError(std::string("the configuration is not valid JSON: ") + e.what());
  }
  PluginConfig c;
  c.rules = defaultRules();
  if (root.is_object() && root.contains("AuthenticationEnabled") && root.at("AuthenticationEnabled").is_boolean()) {
    c.orthancAuthenticates = root.at("AuthenticationEnabled").get<bool>();
  }
  if (root.is_object() && root.contains("DicomWeb") && root.at("DicomWeb").is_object()) {
    read(root.at("DicomWeb"), "Root", c.dicomWebRoot, "DicomWeb");
  }
  if (!root.contains("Sagitta")) {
    c.enable = false;
    return c;
  }
  const auto& s = root.at("Sagitta");
  if (!s.is_object()) throw PluginConfigError("Sagitta must be an object");
  refuseUnknown(s, {"Enable", "ModelBundle", "Device", "Workers", "InferenceThreads", "Database", "Node", "LeaseSeconds",
                    "Outputs", "Limits", "Rules", "Forwarding", "Ohif"},
                "Sagitta");
  read(s, "Enable", c.enable, "Sagitta");
  read(s, "ModelBundle", c.modelBundle, "Sagitta");
  read(s, "Device", c.device, "Sagitta");
  read(s, "Workers", c.workers, "Sagitta");
  read(s, "InferenceThreads", c.inferenceThreads, "Sagitta");
  read(s, "Database", c.database, "Sagitta");
  read(s, "Node", c.node, "Sagitta");
  read(s, "LeaseSeconds", c.leaseSeconds, "Sagitta");
  if (s.contains("Outputs")) {
    const auto& o = s.at("Outputs");
    if (!o.is_object()) throw PluginConfigError("Sagitta.Outputs must be an object");
    refuseUnknown(o, {"StructuredReport", "SecondaryCapture", "PdfReport"}, "Sagitta.Outputs");
    read(o, "StructuredReport", c.writeStructuredReport, "Sagitta.Outputs");
    read(o, "SecondaryCapture", c.writeSecondaryCapture, "Sagitta.Outputs");
    read(o, "PdfReport", c.writePdfReport, "Sagitta.Outputs");
  }
  if (s.contains("Limits")) {
    const auto& l = s.at("Limits");
    if (!l.is_object()) throw PluginConfigError("Sagitta.Limits must be an object");
    refuseUnknown(l, {"MaxPixels", "MaxFileMegabytes", "MaxAttempts", "MemoryQueue", "MaxDatabaseMegabytes", "RetentionDays"},
                  "Sagitta.Limits");
    read(l, "RetentionDays", c.retentionDays, "Sagitta.Limits");
    if (c.retentionDays < 0 || c.retentionDays > 36500) {
      throw PluginConfigError("Sagitta.Limits.RetentionDays must be 0 (keep) .. 36500");
    }
    std::int64_t databaseMegabytes = 0;
    read(l, "MaxDatabaseMegabytes", databaseMegabytes, "Sagitta.Limits");
    if (databaseMegabytes < 0 || databaseMegabytes > (1 << 20)) {
      throw PluginConfigError("Sagitta.Limits.MaxDatabaseMegabytes must be 0 (no cap) .. 1048576");
    }
    c.maxDatabaseBytes = databaseMegabytes << 20;
    read(l, "MemoryQueue", c.memoryQueue, "Sagitta.Limits");
    read(l, "MaxPixels", c.maxPixels, "Sagitta.Limits");
    std::size_t megabytes = c.maxFileBytes >> 20U;
    read(l, "MaxFileMegabytes", megabytes, "Sagitta.Limits");
    // The file is held in memory and handed to Orthanc's C API as a 32-bit size.
    if (megabytes < 1 || megabytes > kMaxFileMegabytes) {
      throw PluginConfigError("Sagitta.Limits.MaxFileMegabytes must be 1.." + std::to_string(kMaxFileMegabytes));
    }
    c.maxFileBytes = megabytes << 20U;
    read(l, "MaxAttempts", c.maxAttempts, "Sagitta.Limits");
  }
  if (s.contains("Forwarding")) {
    const auto& f = s.at("Forwarding");
    if (!f.is_object()) throw PluginConfigError("Sagitta.Forwarding must be an object");
    refuseUnknown(f, {"MaxAttempts", "BackoffSeconds", "MaxBackoffSeconds", "StalledSeconds"}, "Sagitta.Forwarding");
    read(f, "MaxAttempts", c.forwarding.maxAttempts, "Sagitta.Forwarding");
    read(f, "BackoffSeconds", c.forwarding.backoffSeconds, "Sagitta.Forwarding");
    read(f, "MaxBackoffSeconds", c.forwarding.maxBackoffSeconds, "Sagitta.Forwarding");
    read(f, "StalledSeconds", c.forwarding.stalledSeconds, "Sagitta.Forwarding");
    if (c.forwarding.maxAttempts < 1 || c.forwarding.maxAttempts > 1000) {
      throw PluginConfigError("Sagitta.Forwarding.MaxAttempts must be 1..1000");
    }
    if (!(c.forwarding.backoffSeconds >= 0.1 && c.forwarding.backoffSeconds <= c.forwarding.maxBackoffSeconds &&
          c.forwarding.maxBackoffSeconds <= 86400.0)) {
      throw PluginConfigError("Sagitta.Forwarding: 0.1 <= BackoffSeconds <= MaxBackoffSeconds <= 86400");
    }
    if (!(c.forwarding.stalledSeconds >= 1.0 && c.forwarding.stalledSeconds <= 86400.0)) {
      throw PluginConfigError("Sagitta.Forwarding.StalledSeconds must be 1..86400");
    }
  }
  if (s.contains("Ohif")) {
    const auto& o = s.at("Ohif");
    if (!o.is_object()) throw PluginConfigError("Sagitta.Ohif must be an object");
    refuseUnknown(o, {"Folder"}, "Sagitta.Ohif");
    read(o, "Folder", c.ohifFolder, "Sagitta.Ohif");
  }
  if (s.contains("Rules")) {
    if (!s.at("Rules").is_array()) throw PluginConfigError("Sagitta.Rules must be an array");
    c.rules.clear();
    for (std::size_t i = 0; i < s.at("Rules").size(); ++i) c.rules.push_back(parseRule(s.at("Rules")[i], i));
  }
  if (c.workers < 1 || c.workers > 64) throw PluginConfigError("Sagitta.Workers must be 1..64");
  if (c.inferenceThreads < 1 || c.inferenceThreads > 256) throw PluginConfigError("Sagitta.InferenceThreads must be 1..256");
  if (c.memoryQueue < 1 || c.memoryQueue > 64) throw PluginConfigError("Sagitta.Limits.MemoryQueue must be 1..64");
  if (c.maxAttempts < 1 || c.maxAttempts > 100) throw PluginConfigError("Sagitta.Limits.MaxAttempts must be 1..100");
  if (c.maxPixels < 1000 || c.maxFileBytes < (1U << 20U)) throw PluginConfigError("Sagitta.Limits are too small");
  if (c.enable && c.modelBundle.empty()) throw PluginConfigError("Sagitta.ModelBundle is required");
  if (c.enable && !std::filesystem::exists(std::filesystem::path(c.modelBundle) / "bundle.json")) {
    throw PluginConfigError("Sagitta.ModelBundle " + c.modelBundle + " has no bundle.json");
  }
  if (!(c.leaseSeconds >= 5.0 && c.leaseSeconds <= 3600.0)) throw PluginConfigError("Sagitta.LeaseSeconds must be 5..3600");
  if (c.node.empty()) {
    // Unique per Orthanc process on a host, and the same after a restart (its claims are its own
    // again at once instead of after their lease).
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') std::snprintf(host, sizeof host, "localhost");
    int port = 8042;
    read(root, "HttpPort", port, "configuration");
    c.node = std::string(host) + ":" + std::to_string(port);
  }
  if (c.node.size() > 128 || c.node.find_first_of("\r\n\t") != std::string::npos) {
    throw PluginConfigError("Sagitta.Node must be one line of at most 128 characters");
  }
  c.sharedQueue = isPostgresConnectionString(c.database);
  if (c.database.empty()) {
    std::string storage = "OrthancStorage";
    read(root, "StorageDirectory", storage, "configuration");
    c.database = (std::filesystem::path(storage) / "sagitta-jobs.db").string();
  }
  // Destinations must be known to Orthanc (unless it keeps them in its database, where only
  // Orthanc can check them: a send to an unknown one then fails with its reason).
  bool modalitiesInDatabase = false, peersInDatabase = false;
  read(root, "DicomModalitiesInDatabase", modalitiesInDatabase, "configuration");
  read(root, "OrthancPeersInDatabase", peersInDatabase, "configuration");
  for (const auto& rule : c.rules) {
    for (const auto& key : rule.forward) {
      const auto d = parseDestination(key);
      const bool modality = d.kind == Destination::Kind::Modality;
      if (modality ? modalitiesInDatabase : peersInDatabase) continue;
      const char* section = modality ? "DicomModalities" : "OrthancPeers";
      if (!root.contains(section) || !root.at(section).is_object() || !root.at(section).contains(d.name)) {
        throw PluginConfigError("rule \"" + rule.name + "\" forwards to " + key + ", which is not in " + section);
      }
    }
  }
  try {
    Router check(c.rules);
  } catch (const std::invalid_argument& e) {
    throw PluginConfigError(std::string("Sagitta.Rules: ") + e.what());
  }
  return c;
}

}  // namespace sagitta::plugin
