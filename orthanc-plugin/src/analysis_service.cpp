// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/plugin/analysis_service.hpp"

#include <chrono>
#include <filesystem>

#include <boost/asio/post.hpp>

#include "sagitta/core/errors.hpp"
#include "sagitta/dicom/errors.hpp"
#include "sagitta/dicom/overlay.hpp"
#include "sagitta/dicom/radiograph.hpp"
#include "sagitta/dicom/structured_report.hpp"
#include "sagitta/models/analysis.hpp"
#include "sagitta/models/read_file.hpp"

namespace sagitta::plugin {
namespace fs = std::filesystem;
namespace {

constexpr const char* kCursor = "changes_cursor";

// Bad input: recorded as failed at once, never retried.
class InputFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::string readBytes(const fs::path& path) {
  auto bytes = models::readWholeFile(path.string());
  if (!bytes) throw std::runtime_error("cannot read back " + path.filename().string());
  return std::move(*bytes);
}

}  // namespace

AnalysisService::AnalysisService(PluginConfig config, InstanceStore& store, Logger log)
    : config_(std::move(config)), store_(store), log_(std::move(log)), router_(config_.rules) {
  if (const auto parent = fs::path(config_.database).parent_path(); !parent.empty()) fs::create_directories(parent);
  queue_ = std::make_unique<JobQueue>(config_.database);
  models::EngineOptions options;
  options.device = config_.device;
  options.threads = config_.inferenceThreads;
  engine_ = std::make_unique<models::InferenceEngine>(config_.modelBundle, options);
  const int recovered = queue_->recoverInterrupted();
  log_(LogLevel::Warning, "Sagitta: model " + engine_->manifest().name + " " + engine_->manifest().version + " (sha256 " +
                              engine_->bundleSha256().substr(0, 12) + ") on " + engine_->deviceName() + ", " +
                              std::to_string(config_.workers) + " worker(s), queue " + config_.database +
                              (recovered > 0 ? ", " + std::to_string(recovered) + " interrupted job(s) requeued" : ""));
}

AnalysisService::~AnalysisService() { stop(); }

void AnalysisService::notify() {
  const std::lock_guard<std::mutex> lock(wakeMutex_);
  wake_.notify_all();
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
  pool_ = std::make_unique<boost::asio::thread_pool>(static_cast<std::size_t>(config_.workers) + 1);
  boost::asio::post(*pool_, [this] { catchUp(); });
  for (int i = 0; i < config_.workers; ++i) boost::asio::post(*pool_, [this] { workerLoop(); });
}

void AnalysisService::stop() {
  if (!pool_) return;
  stopping_ = true;
  notify();
  pool_->join();
  pool_.reset();
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

void AnalysisService::workerLoop() {
  while (!stopping_) {
    std::optional<Job> job;
    try {
      job = queue_->claim();
    } catch (const std::exception& e) {
      log_(LogLevel::Error, std::string("Sagitta: queue: ") + e.what());
    }
    if (!job) {
      std::unique_lock<std::mutex> lock(wakeMutex_);
      wake_.wait_for(lock, std::chrono::seconds(2));
      continue;
    }
    process(*job);
  }
}

void AnalysisService::process(const Job& job) {
  const auto started = std::chrono::steady_clock::now();
  const auto tag = "Sagitta: job " + std::to_string(job.id) + " (instance " + job.instance + ")";
  try {
    if (store_.createdByPlugin(job.instance)) {
      queue_->finish(job.id, JobState::Skipped, "created by a plugin (never analyse our own outputs)");
      return;
    }
    const auto decision = router_.decide(store_.facts(job.instance));
    if (decision.action == RouteAction::Skip) {
      queue_->finish(job.id, JobState::Skipped, decision.reason);
      log_(LogLevel::Info, tag + " skipped: " + decision.reason);
      return;
    }
    const auto bytes = store_.file(job.instance, config_.maxFileBytes);
    if (!bytes) throw InputFailure("the DICOM file is larger than Limits.MaxFileMegabytes or no longer stored");
    dicom::Radiograph radiograph;
    try {
      radiograph = dicom::readRadiograph(bytes->data(), bytes->size(), {config_.maxPixels});
    } catch (const dicom::DicomError& e) {
      throw InputFailure(std::string("cannot decode: ") + e.what());
    }
    const auto analysis = models::analyse(*engine_, radiograph);
    const auto json = models::analysisToJson(analysis);
    if (!analysis.accepted) {
      std::string reasons;
      for (const auto& r : analysis.reasons) reasons += (reasons.empty() ? "" : "; ") + r;
      queue_->finish(job.id, JobState::Skipped, "rejected by the model gate: " + reasons, json);
      log_(LogLevel::Warning, tag + " rejected by the model gate: " + reasons);
      return;
    }
    const auto scratch = fs::temp_directory_path() / ("sagitta-job-" + std::to_string(job.id));
    fs::create_directories(scratch);
    std::string srId, scId;
    try {
      if (config_.writeStructuredReport) {
        dicom::writeStructuredReport(analysis.report, (scratch / "sr.dcm").string());
        srId = store_.store(readBytes(scratch / "sr.dcm")).id;
      }
      if (config_.writeSecondaryCapture) {
        dicom::writeOverlay(analysis.report, radiograph.display, (scratch / "sc.dcm").string());
        scId = store_.store(readBytes(scratch / "sc.dcm")).id;
      }
    } catch (...) {
      fs::remove_all(scratch);
      throw;
    }
    fs::remove_all(scratch);
    queue_->finish(job.id, JobState::Done, "", json, srId, scId);
    ++analysed_;
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    log_(LogLevel::Info, tag + " done in " + std::to_string(static_cast<int>(seconds * 1000.0)) + " ms: SR " + srId +
                             ", SC " + scId + ", " + std::to_string(analysis.report.measurement.measuredCount()) +
                             " of 18 parameters");
  } catch (const InputFailure& e) {
    queue_->finish(job.id, JobState::Failed, e.what());
    log_(LogLevel::Warning, tag + " failed: " + e.what());
  } catch (const core::Error& e) {
    queue_->finish(job.id, JobState::Failed, e.what());
    log_(LogLevel::Warning, tag + " failed: " + e.what());
  } catch (const std::exception& e) {
    // Possibly transient (storage, REST): retried up to Limits.MaxAttempts.
    queue_->retryOrFail(job.id, e.what(), config_.maxAttempts);
    log_(LogLevel::Error, tag + " attempt " + std::to_string(job.attempts) + " failed: " + e.what());
    notify();
  }
}

}  // namespace sagitta::plugin
