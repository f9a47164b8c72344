// SPDX-License-Identifier: GPL-3.0-or-later
// InstanceStore over Orthanc's REST API, called from the plugin's own threads (never from the
// change callback).
#pragma once

#include <orthanc/OrthancCPlugin.h>

#include "sagitta/plugin/instance_store.hpp"

namespace sagitta::plugin {

class OrthancStore : public InstanceStore {
 public:
  explicit OrthancStore(OrthancPluginContext* context) : context_(context) {}
  bool exists(const std::string& instance) override;
  std::optional<std::string> file(const std::string& instance, std::size_t maxBytes) override;
  InstanceFacts facts(const std::string& instance) override;
  StoredInstance store(const std::string& dicomBytes) override;
  std::vector<std::string> seriesInstances(const std::string& series) override;
  ChangePage changes(std::int64_t since, int limit) override;
  std::int64_t lastChange() override;
  std::optional<ForeignFrame> decodeFrame(const std::string& dicomBytes, std::string& why) override;
  std::string startForward(const Destination& destination, const std::vector<std::string>& resources) override;
  ForwardProgress forwardProgress(const std::string& job) override;
  void cancelForward(const std::string& job) override;
  std::string instanceId(const std::string& patientId, const std::string& studyUid, const std::string& seriesUid,
                         const std::string& sopInstanceUid) override;

 private:
  std::optional<std::string> get(const std::string& uri);
  OrthancPluginContext* context_;
};

}  // namespace sagitta::plugin
