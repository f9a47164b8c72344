// SPDX-License-Identifier: GPL-3.0-or-later
// What the analysis service needs of the PACS it runs in: read an instance and what rules read
// of it, store a new instance, walk the change log. The plugin implements it over Orthanc's
// REST API (orthanc_store.cpp); the service itself knows nothing of Orthanc.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sagitta/plugin/routing.hpp"

namespace sagitta::plugin {

struct StoredInstance {
  std::string id;      // Orthanc id of the stored instance
  std::string status;  // "Success", "AlreadyStored", ...
};

struct ChangePage {
  std::vector<std::string> newInstances;
  std::int64_t last = 0;
  bool done = true;
};

class InstanceStore {
 public:
  virtual ~InstanceStore() = default;
  virtual std::optional<std::string> file(const std::string& instance, std::size_t maxBytes) = 0;
  virtual InstanceFacts facts(const std::string& instance) = 0;
  virtual bool createdByPlugin(const std::string& instance) = 0;
  virtual StoredInstance store(const std::string& dicomBytes) = 0;
  virtual std::vector<std::string> seriesInstances(const std::string& series) = 0;
  virtual ChangePage changes(std::int64_t since, int limit) = 0;
  virtual std::int64_t lastChange() = 0;
};

}  // namespace sagitta::plugin
