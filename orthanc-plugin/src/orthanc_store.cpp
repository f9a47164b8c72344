// SPDX-License-Identifier: GPL-3.0-or-later
#include "orthanc_store.hpp"

#include <stdexcept>

#include <nlohmann/json.hpp>

namespace sagitta::plugin {
namespace {

using Json = nlohmann::json;

// Owns an OrthancPluginMemoryBuffer.
class Buffer {
 public:
  explicit Buffer(OrthancPluginContext* context) : context_(context) {}
  ~Buffer() {
    if (buffer_.data != nullptr) OrthancPluginFreeMemoryBuffer(context_, &buffer_);
  }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  OrthancPluginMemoryBuffer* get() { return &buffer_; }
  std::string str() const { return {static_cast<const char*>(buffer_.data), buffer_.size}; }

 private:
  OrthancPluginContext* context_;
  OrthancPluginMemoryBuffer buffer_{nullptr, 0};
};

Json parse(const std::string& text, const std::string& uri) {
  try {
    return Json::parse(text);
  } catch (const Json::exception&) {
    throw std::runtime_error("Orthanc answered " + uri + " with invalid JSON");
  }
}

}  // namespace

std::optional<std::string> OrthancStore::get(const std::string& uri) {
  Buffer buffer(context_);
  if (OrthancPluginRestApiGet(context_, buffer.get(), uri.c_str()) != OrthancPluginErrorCode_Success) return std::nullopt;
  return buffer.str();
}

std::optional<std::string> OrthancStore::file(const std::string& instance, std::size_t maxBytes) {
  if (const auto info = get("/instances/" + instance)) {
    const auto size = parse(*info, "/instances").value("FileSize", static_cast<std::size_t>(0));
    if (size > maxBytes) return std::nullopt;
  }
  return get("/instances/" + instance + "/file");
}

InstanceFacts OrthancStore::facts(const std::string& instance) {
  const auto tags = get("/instances/" + instance + "/simplified-tags");
  if (!tags) throw std::runtime_error("instance " + instance + " is not readable through the REST API");
  InstanceFacts facts;
  const auto json = parse(*tags, "simplified-tags");
  for (const char* key : {"Modality", "SOPClassUID", "BodyPartExamined", "ViewPosition", "SeriesDescription",
                          "ProtocolName", "Rows"}) {
    if (json.contains(key) && json.at(key).is_string()) facts[key] = json.at(key).get<std::string>();
  }
  for (const char* key : {"RemoteAET", "CalledAET"}) {
    if (const auto value = get("/instances/" + instance + "/metadata/" + key)) facts[key] = *value;
  }
  return facts;
}

bool OrthancStore::createdByPlugin(const std::string& instance) {
  const auto origin = get("/instances/" + instance + "/metadata/Origin");
  return origin && *origin == "Plugins";
}

StoredInstance OrthancStore::store(const std::string& bytes) {
  Buffer buffer(context_);
  if (OrthancPluginRestApiPost(context_, buffer.get(), "/instances", bytes.data(), static_cast<uint32_t>(bytes.size())) !=
      OrthancPluginErrorCode_Success) {
    throw std::runtime_error("Orthanc refused to store a result (POST /instances)");
  }
  const auto json = parse(buffer.str(), "/instances");
  return {json.value("ID", std::string()), json.value("Status", std::string())};
}

std::vector<std::string> OrthancStore::seriesInstances(const std::string& series) {
  const auto body = get("/series/" + series);
  if (!body) throw std::invalid_argument("unknown series " + series);
  return parse(*body, "/series").value("Instances", std::vector<std::string>());
}

ChangePage OrthancStore::changes(std::int64_t since, int limit) {
  const auto uri = "/changes?since=" + std::to_string(since) + "&limit=" + std::to_string(limit);
  const auto body = get(uri);
  if (!body) throw std::runtime_error("GET /changes failed");
  const auto json = parse(*body, "/changes");
  ChangePage page;
  page.last = json.value("Last", since);
  page.done = json.value("Done", true);
  for (const auto& change : json.value("Changes", Json::array())) {
    if (change.value("ChangeType", std::string()) == "NewInstance") page.newInstances.push_back(change.value("ID", std::string()));
  }
  return page;
}

std::int64_t OrthancStore::lastChange() {
  const auto body = get("/changes?last");
  if (!body) throw std::runtime_error("GET /changes?last failed");
  return parse(*body, "/changes").value("Last", static_cast<std::int64_t>(0));
}

}  // namespace sagitta::plugin
