// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/plugin/analysis_service.hpp"

#include <chrono>
#include <filesystem>

#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>

#include "sagitta/core/errors.hpp"
#include "sagitta/dicom/errors.hpp"
#include "sagitta/dicom/overlay.hpp"
#include "sagitta/dicom/structured_report.hpp"
#include "sagitta/models/analysis.hpp"

namespace sagitta::plugin {
namespace fs = std::filesystem;
namespace {

constexpr const char* kCursor = "changes_cursor";
using Clock = std::chrono::steady_clock;

// Bad input: recorded as failed at once, never retried.
class InputFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// POST /instances answers Success or AlreadyStored when the object is in Orthanc; FilteredOut
// (a filter refused it) and Failure are failures, never "done" without a result.
std::string storedId(const StoredInstance& stored, const char* what) {
  if ((stored.status != "Success" && stored.status != "AlreadyStored") || stored.id.empty()) {
    throw std::runtime_error(std::string("Orthanc did not store the ") + what + " (POST /instances: Status " +
                             (stored.status.empty() ? "missing" : stored.status) + ")");
  }
  return stored.id;
}

double secondsSince(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

double unixNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string tagOf(const Job& job) {
  return "Sagitta: job " + std::to_string(job.id) + " (instance " + job.instance + ")";
}

}  // namespace

AnalysisService::AnalysisService(PluginConfig config, InstanceStore& store, Logger log)
    : config_(std::move(config)), store_(store), log_(std::move(log)), router_(config_.rules) {
  if (const auto parent = fs::path(config_.database).parent_path(); !parent.empty()) fs::create_directories(parent);
  queue_ = std::make_unique<JobQueue>(config_.database, config_.maxDatabaseBytes);
  models::EngineOptions options;
  options.device = config_.device;
  options.threads = config_.inferenceThreads;
  engine_ = std::make_unique<models::InferenceEngine>(config_.modelBundle, options);
  forwarder_ = std::make_unique<Forwarder>(*queue_, store_, config_.forwarding, metrics_, [this](bool error, const std::string& line) {
    log_(error ? LogLevel::Warning : LogLevel::Info, line);
  });
  const int recovered = queue_->recoverInterrupted();
  log_(LogLevel::Warning, "Sagitta: model " + engine_->manifest().name + " " + engine_->manifest().version + " (sha256 " +
                              engine_->bundleSha256().substr(0, 12) + ") on " + engine_->deviceName() + ", " +
                              std::to_string(config_.workers) + " worker(s), in-memory queue " +
                              std::to_string(config_.memoryQueue) + ", queue " + config_.database +
                              (recovered > 0 ? ", " + std::to_string(recovered) + " interrupted job(s) requeued" : ""));
}

AnalysisService::~AnalysisService() { stop(); }

void AnalysisService::notify() {
  const std::lock_guard<std::mutex> lock(wakeMutex_);
  wake_.notify_all();
}

void AnalysisService::waitForWork() {
  std::unique_lock<std::mutex> lock(wakeMutex_);
  wake_.wait_for(lock, std::chrono::seconds(1));
}

void AnalysisService::onNewInstance(const std::string& instance) {
  if (queue_->enqueue(instance, engine_->bundleSha256())) notify();
}

bool AnalysisService::request(const std::string& instance, bool force) {
  const bool queued = queue_->enqueue(instance, engine_->bundleSha256(), force);
  if (queued) notify();
  return queued;
}

int AnalysisService::requestSeries(const std::string& series, bool force) {
  int queued = 0;
  for (const auto& instance : store_.seriesInstances(series)) queued += request(instance, force) ? 1 : 0;
  return queued;
}

void AnalysisService::start() {
  stopping_ = false;
  ready_ = std::make_unique<BoundedQueue<Prepared>>(static_cast<std::size_t>(config_.memoryQueue));
  pool_ = std::make_unique<boost::asio::thread_pool>(static_cast<std::size_t>(config_.workers) + 2);
  boost::asio::post(*pool_, [this] {
    catchUp();
    intakeLoop();
  });
  boost::asio::post(*pool_, [this] { forwarderLoop(); });
  for (int i = 0; i < config_.workers; ++i) boost::asio::post(*pool_, [this] { workerLoop(); });
}

void AnalysisService::stop() {
  if (!pool_) return;
  stopping_ = true;
  ready_->close();
  notify();
  pool_->join();
  pool_.reset();
  for (const auto& left : ready_->drain()) release(left.job);
}

void AnalysisService::release(const Job& job) {
  try {
    queue_->release(job.id);
  } catch (const std::exception& e) {
    // Left running: the next start requeues it.
    log_(LogLevel::Error, tagOf(job) + ": cannot requeue at shutdown (" + e.what() + ")");
  }
}

std::string AnalysisService::metricsText() {
  MetricsSnapshot s;
  s.jobsByState = queue_->countByState();
  s.forwardsByState = queue_->countForwardsByState();
  s.memoryQueued = static_cast<std::int64_t>(inMemory());
  s.memoryCapacity = config_.memoryQueue;
  s.model = engine_->manifest().name;
  s.version = engine_->manifest().version;
  s.sha256 = engine_->bundleSha256();
  s.device = engine_->deviceName();
  s.workers = config_.workers;
  return metrics_.render(s);
}

void AnalysisService::catchUp() {
  try {
    const auto cursor = queue_->setting(kCursor);
    if (!cursor) {
      // First start: history is not analysed; from now on nothing is missed.
      queue_->setSetting(kCursor, std::to_string(store_.lastChange()));
      return;
    }
    std::int64_t since = std::stoll(*cursor);
    int found = 0;
    while (!stopping_) {
      const auto page = store_.changes(since, 1000);
      for (const auto& instance : page.newInstances) found += queue_->enqueue(instance, engine_->bundleSha256()) ? 1 : 0;
      since = page.last;
      queue_->setSetting(kCursor, std::to_string(since));
      if (page.done) break;
    }
    if (found > 0) {
      log_(LogLevel::Warning, "Sagitta: " + std::to_string(found) + " instance(s) stored while the plugin was down queued");
      notify();
    }
  } catch (const std::exception& e) {
    log_(LogLevel::Error, std::string("Sagitta: catch-up over /changes failed: ") + e.what());
  }
}

void AnalysisService::intakeLoop() {
  while (!stopping_) {
    std::optional<Job> job;
    try {
      job = queue_->claim();
    } catch (const std::exception& e) {
      log_(LogLevel::Error, std::string("Sagitta: queue: ") + e.what());
    }
    if (!job) {
      waitForWork();
      continue;
    }
    std::optional<Prepared> prepared;
    try {
      prepared = prepare(*job);
    } catch (const InputFailure& e) {
      failed(*job, e, false);
    } catch (const core::Error& e) {
      failed(*job, e, false);
    } catch (const std::exception& e) {
      failed(*job, e, true);
    }
    // Back-pressure: blocks while the workers are busy and the in-memory queue is full.
    if (prepared && !ready_->push(*prepared)) release(prepared->job);
  }
}

void AnalysisService::workerLoop() {
  while (!stopping_) {
    auto prepared = ready_->pop(std::chrono::seconds(1));
    if (!prepared) continue;
    try {
      analyseAndStore(*prepared);
    } catch (const core::Error& e) {
      failed(prepared->job, e, false);
    } catch (const std::exception& e) {
      failed(prepared->job, e, true);
    }
  }
}

void AnalysisService::forwarderLoop() {
  while (!stopping_) {
    try {
      forwarder_->step(unixNow());
    } catch (const std::exception& e) {
      log_(LogLevel::Error, std::string("Sagitta: forwarding: ") + e.what());
    }
    waitForWork();
  }
}

void AnalysisService::failed(const Job& job, const std::exception& error, bool transient) {
  try {
    if (transient) {
      // Possibly transient (storage, REST): retried up to Limits.MaxAttempts.
      queue_->retryOrFail(job.id, error.what(), config_.maxAttempts);
      metrics_.count(Outcome::Retried);
      log_(LogLevel::Error, tagOf(job) + " attempt " + std::to_string(job.attempts) + " failed: " + error.what());
      notify();
    } else {
      queue_->finish(job.id, JobState::Failed, error.what());
      metrics_.count(Outcome::Failed);
      log_(LogLevel::Warning, tagOf(job) + " failed: " + error.what());
    }
  } catch (const std::exception& e) {
    // The queue itself failed (e.g. a full disk): the job stays running and is requeued at the
    // next start; nothing else is touched.
    log_(LogLevel::Error, tagOf(job) + ": cannot record the failure (" + e.what() + ")");
  }
}

std::optional<AnalysisService::Prepared> AnalysisService::prepare(const Job& job) {
  if (store_.createdByPlugin(job.instance)) {
    queue_->finish(job.id, JobState::Skipped, "created by a plugin (never analyse our own outputs)");
    metrics_.count(Outcome::SkippedByRouting);
    return std::nullopt;
  }
  const auto decision = router_.decide(store_.facts(job.instance));
  if (decision.action == RouteAction::Skip) {
    queue_->finish(job.id, JobState::Skipped, decision.reason);
    metrics_.count(Outcome::SkippedByRouting);
    log_(LogLevel::Info, tagOf(job) + " skipped: " + decision.reason);
    return std::nullopt;
  }
  const auto started = Clock::now();
  std::optional<std::string> bytes;
  try {
    bytes = store_.file(job.instance, config_.maxFileBytes);  // a failed REST call is retried
  } catch (const InstanceGone& e) {
    throw InputFailure(e.what());
  }
  if (!bytes) throw InputFailure("the DICOM file is larger than Limits.MaxFileMegabytes");
  Prepared prepared{job, decode(job, *bytes), decision.forward, secondsSince(started), Clock::now()};
  metrics_.observe(Stage::Decode, prepared.decodeSeconds);
  return prepared;
}

dicom::Radiograph AnalysisService::decode(const Job& job, const std::string& bytes) {
  const dicom::ReadLimits limits{config_.maxPixels};
  std::string dcmtkReason;
  try {
    return dicom::readRadiograph(bytes.data(), bytes.size(), limits);
  } catch (const dicom::UnsupportedTransferSyntax& e) {
    dcmtkReason = e.what();
  } catch (const dicom::CannotDecompress& e) {
    dcmtkReason = e.what();  // chosen by type: only a codec failure goes to the PACS's decoder
  } catch (const dicom::DicomError& e) {
    throw InputFailure(std::string("cannot decode: ") + e.what());
  }
  // What DCMTK cannot decompress here, the PACS's own decoder (and its plugins, e.g. GDCM for
  // JPEG 2000) may: its frame, with the header still read from the file.
  std::string why;
  const auto frame = store_.decodeFrame(bytes, why);
  if (!frame) throw InputFailure("cannot decode: " + dcmtkReason + "; Orthanc's decoder: " + why);
  log_(LogLevel::Info, tagOf(job) + ": " + dcmtkReason + ", decoded by " + frame->decoder);
  try {
    return dicom::readRadiograph(bytes.data(), bytes.size(), frame->view(), limits);
  } catch (const dicom::DicomError& e) {
    throw InputFailure(std::string("cannot decode: ") + e.what());
  }
}

void AnalysisService::analyseAndStore(Prepared& prepared) {
  const Job& job = prepared.job;
  const double waited = secondsSince(prepared.ready);
  const auto analysis = models::analyse(*engine_, prepared.radiograph);
  metrics_.observe(Stage::Inference, analysis.inferenceSeconds);
  metrics_.observe(Stage::Measurement, analysis.measurementSeconds);
  const auto json = models::analysisToJson(analysis, -1);  // compact: one row per film in the queue
  if (!analysis.accepted) {
    std::string reasons;
    for (const auto& r : analysis.reasons) reasons += (reasons.empty() ? "" : "; ") + r;
    queue_->finish(job.id, JobState::Skipped, "not measured: " + reasons, {json, "", "", "", {}});
    metrics_.count(Outcome::RejectedByGate);
    log_(LogLevel::Warning, tagOf(job) + " not measured: " + reasons);
    return;
  }
  // Written and posted from memory: no scratch file for another node or user to read, replace
  // or collide with.
  std::string srId, scId;
  auto t = Clock::now();
  const std::string srBytes = config_.writeStructuredReport ? dicom::structuredReportBytes(analysis.report) : "";
  const std::string scBytes =
      config_.writeSecondaryCapture ? dicom::overlayBytes(analysis.report, prepared.radiograph.display) : "";
  const double writing = secondsSince(t);
  t = Clock::now();
  if (config_.writeStructuredReport) srId = storedId(store_.store(srBytes), "SR");
  if (config_.writeSecondaryCapture) scId = storedId(store_.store(scBytes), "SC");
  const double storing = secondsSince(t);
  metrics_.observe(Stage::Writing, writing);
  metrics_.observe(Stage::Storing, storing);
  const auto timings = nlohmann::ordered_json{{"decode_s", prepared.decodeSeconds},
                                              {"inference_s", analysis.inferenceSeconds},
                                              {"measurement_s", analysis.measurementSeconds},
                                              {"writing_s", writing},
                                              {"storing_s", storing},
                                              {"queue_wait_s", waited}};
  queue_->finish(job.id, JobState::Done, "", {json, srId, scId, timings.dump(), prepared.forward});
  metrics_.count(Outcome::Done);
  if (!prepared.forward.empty()) notify();
  const double total = analysis.inferenceSeconds + analysis.measurementSeconds + writing + storing;
  log_(LogLevel::Info, tagOf(job) + " done in " + std::to_string(static_cast<int>(total * 1000.0)) + " ms: SR " + srId +
                           ", SC " + scId + ", " + std::to_string(analysis.report.measurement.measuredCount()) +
                           " of 18 parameters");
}

}  // namespace sagitta::plugin
