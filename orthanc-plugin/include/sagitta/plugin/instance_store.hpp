// SPDX-License-Identifier: GPL-3.0-or-later
// What the analysis service needs of the PACS it runs in: read an instance and what rules read
// of it, store a new instance, walk the change log. The plugin implements it over Orthanc's
// REST API (orthanc_store.cpp); the service itself knows nothing of Orthanc.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "sagitta/dicom/radiograph.hpp"
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

// A first frame decoded by the PACS (its own decoder and decoder plugins), owned.
struct ForeignFrame {
  dicom::DecodedFrame::Format format = dicom::DecodedFrame::Format::Grey16;
  int width = 0, height = 0;
  std::size_t pitch = 0;
  std::vector<std::uint8_t> pixels;
  std::string decoder;
  dicom::DecodedFrame view() const { return {format, width, height, pitch, pixels.data(), decoder}; }
};

// Where a started forward stands.
struct ForwardProgress {
  // Held: Paused or Retry, waiting on someone or something (reason: which).
  enum class State { Running, Held, Success, Failure, Unknown };
  State state = State::Unknown;
  std::string reason;  // Failure: why; Held: the PACS's state; Unknown: the PACS does not list the job
};

// The instance is no longer in the PACS (deleted): permanent, unlike a failed REST call.
class InstanceGone : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class InstanceStore {
 public:
  virtual ~InstanceStore() = default;
  virtual bool exists(const std::string& instance) = 0;
  // The file's bytes; nullopt when it is larger than maxBytes. Throws InstanceGone when the
  // instance is not stored any more, std::runtime_error when the PACS cannot answer (transient).
  virtual std::optional<std::string> file(const std::string& instance, std::size_t maxBytes) = 0;
  virtual InstanceFacts facts(const std::string& instance) = 0;
  virtual StoredInstance store(const std::string& dicomBytes) = 0;
  virtual std::vector<std::string> seriesInstances(const std::string& series) = 0;
  virtual ChangePage changes(std::int64_t since, int limit) = 0;
  virtual std::int64_t lastChange() = 0;
  // nullopt when the PACS cannot decode it either (reason in `why`).
  virtual std::optional<ForeignFrame> decodeFrame(const std::string& dicomBytes, std::string& why) = 0;
  // Starts sending stored instances to a destination ("modality:NAME" / "peer:NAME") as a PACS
  // job; returns the job's id. Throws std::runtime_error when the PACS refuses to start it.
  virtual std::string startForward(const Destination& destination, const std::vector<std::string>& resources) = 0;
  virtual ForwardProgress forwardProgress(const std::string& job) = 0;
  // Cancels a send job (one that is held); a job that already ended is left as it is.
  virtual void cancelForward(const std::string& job) = 0;
  // The PACS's id of the instance these identifiers give, before it is stored: how the plugin
  // knows its own outputs when the change log reports them.
  virtual std::string instanceId(const std::string& patientId, const std::string& studyUid, const std::string& seriesUid,
                                 const std::string& sopInstanceUid) = 0;
};

}  // namespace sagitta::plugin
