// SPDX-License-Identifier: GPL-3.0-or-later
#include "orthanc_store.hpp"

#include <functional>
#include <memory>
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

bool OrthancStore::exists(const std::string& instance) { return get("/instances/" + instance).has_value(); }

std::optional<std::string> OrthancStore::file(const std::string& instance, std::size_t maxBytes) {
  // Orthanc says "unknown resource" for an instance that is gone; any other error is transient.
  const auto read = [&](const std::string& uri) {
    Buffer buffer(context_);
    const auto code = OrthancPluginRestApiGet(context_, buffer.get(), uri.c_str());
    if (code == OrthancPluginErrorCode_UnknownResource) throw InstanceGone("the instance is no longer stored");
    if (code != OrthancPluginErrorCode_Success) {
      throw std::runtime_error("cannot read the instance through the REST API (Orthanc error " +
                               std::to_string(static_cast<int>(code)) + ")");
    }
    return buffer.str();
  };
  const auto size = parse(read("/instances/" + instance), "/instances").value("FileSize", static_cast<std::size_t>(0));
  if (size > maxBytes) return std::nullopt;
  return read("/instances/" + instance + "/file");
}

InstanceFacts OrthancStore::facts(const std::string& instance) {
  const auto tags = get("/instances/" + instance + "/simplified-tags");
  if (!tags) throw std::runtime_error("instance " + instance + " is not readable through the REST API");
  InstanceFacts facts;
  const auto json = parse(*tags, "simplified-tags");
  for (const char* key : {"Modality", "SOPClassUID", "BodyPartExamined", "ViewPosition", "SeriesDescription",
                          "ProtocolName", "Rows", "Manufacturer"}) {
    if (json.contains(key) && json.at(key).is_string()) facts[key] = json.at(key).get<std::string>();
  }
  for (const char* key : {"RemoteAET", "CalledAET"}) {
    if (const auto value = get("/instances/" + instance + "/metadata/" + key)) facts[key] = *value;
  }
  return facts;
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

std::optional<ForeignFrame> OrthancStore::decodeFrame(const std::string& bytes, std::string& why) {
  OrthancPluginImage* image = OrthancPluginDecodeDicomImage(context_, bytes.data(), static_cast<uint32_t>(bytes.size()), 0);
  if (image == nullptr) {
    why = "no decoder of this Orthanc (nor its plugins) reads this file";
    return std::nullopt;
  }
  std::unique_ptr<OrthancPluginImage, std::function<void(OrthancPluginImage*)>> owner(
      image, [this](OrthancPluginImage* i) { OrthancPluginFreeImage(context_, i); });
  ForeignFrame frame;
  switch (OrthancPluginGetImagePixelFormat(context_, image)) {
    case OrthancPluginPixelFormat_Grayscale8: frame.format = dicom::DecodedFrame::Format::Grey8; break;
    case OrthancPluginPixelFormat_Grayscale16: frame.format = dicom::DecodedFrame::Format::Grey16; break;
    case OrthancPluginPixelFormat_SignedGrayscale16: frame.format = dicom::DecodedFrame::Format::SignedGrey16; break;
    case OrthancPluginPixelFormat_RGB24: frame.format = dicom::DecodedFrame::Format::Rgb24; break;
    default:
      why = "Orthanc decoded it to a pixel format Sagitta does not take (not 8/16-bit grey or RGB)";
      return std::nullopt;
  }
  frame.width = static_cast<int>(OrthancPluginGetImageWidth(context_, image));
  frame.height = static_cast<int>(OrthancPluginGetImageHeight(context_, image));
  frame.pitch = OrthancPluginGetImagePitch(context_, image);
  const auto* data = static_cast<const std::uint8_t*>(OrthancPluginGetImageBuffer(context_, image));
  frame.pixels.assign(data, data + frame.pitch * static_cast<std::size_t>(frame.height));
  frame.decoder = "Orthanc's decoder";
  return frame;
}

std::string OrthancStore::startForward(const Destination& destination, const std::vector<std::string>& resources) {
  const auto uri = std::string(destination.kind == Destination::Kind::Modality ? "/modalities/" : "/peers/") +
                   destination.name + "/store";
  const auto body = Json{{"Resources", resources}, {"Asynchronous", true}}.dump();
  Buffer buffer(context_);
  if (OrthancPluginRestApiPost(context_, buffer.get(), uri.c_str(), body.data(), static_cast<uint32_t>(body.size())) !=
      OrthancPluginErrorCode_Success) {
    throw std::runtime_error("Orthanc refused POST " + uri + " (unknown destination?)");
  }
  const auto id = parse(buffer.str(), uri).value("ID", std::string());
  if (id.empty()) throw std::runtime_error("Orthanc answered POST " + uri + " without a job id");
  return id;
}

ForwardProgress OrthancStore::forwardProgress(const std::string& job) {
  const auto body = get("/jobs/" + job);
  if (!body) return {ForwardProgress::State::Unknown, ""};
  const auto json = parse(*body, "/jobs");
  const auto state = json.value("State", std::string());
  if (state == "Success") return {ForwardProgress::State::Success, ""};
  if (state == "Failure") {
    auto reason = json.value("ErrorDescription", std::string("failed"));
    const auto details = json.value("ErrorDetails", std::string());
    if (!details.empty()) reason += ": " + details;
    return {ForwardProgress::State::Failure, reason};
  }
  if (state == "Paused" || state == "Retry") return {ForwardProgress::State::Held, state};
  return {ForwardProgress::State::Running, state};
}

void OrthancStore::cancelForward(const std::string& job) {
  Buffer buffer(context_);
  const auto uri = "/jobs/" + job + "/cancel";
  // Refused when the job has just ended or is gone: the next poll sees how it ended.
  OrthancPluginRestApiPost(context_, buffer.get(), uri.c_str(), "", 0);
}

// Orthanc names an instance by the SHA-1 of "PatientID|StudyInstanceUID|SeriesInstanceUID|
// SOPInstanceUID", in its 8-8-8-8-8 hex form; the SDK computes it in that form.
std::string OrthancStore::instanceId(const std::string& patientId, const std::string& studyUid,
                                     const std::string& seriesUid, const std::string& sopInstanceUid) {
  const std::string key = patientId + "|" + studyUid + "|" + seriesUid + "|" + sopInstanceUid;
  char* sha1 = OrthancPluginComputeSha1(context_, key.data(), static_cast<uint32_t>(key.size()));
  if (sha1 == nullptr) return {};
  std::string id(sha1);
  OrthancPluginFreeString(context_, sha1);
  return id;
}

}  // namespace sagitta::plugin
