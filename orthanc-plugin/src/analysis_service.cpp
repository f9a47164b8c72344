// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/plugin/analysis_service.hpp"

#include <charconv>
#include <chrono>
#include <filesystem>

#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>

#include "sagitta/core/errors.hpp"
#include "sagitta/dicom/errors.hpp"
#include "sagitta/dicom/identity.hpp"
#include "sagitta/dicom/overlay.hpp"
#include "sagitta/dicom/pdf_report.hpp"
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

bool parseCursor(const std::string& text, std::int64_t& value) {
  const auto* end = text.data() + text.size();
  const auto result = std::from_chars(text.data(), end, value);
  return result.ec == std::errc() && result.ptr == end && value >= 0;
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
  if (!config_.sharedQueue) {
    if (const auto parent = fs::path(config_.database).parent_path(); !parent.empty()) fs::create_directories(parent);
  }
  queue_ = std::make_unique<JobQueue>(config_.database,
                                      QueueOptions{config_.maxDatabaseBytes, config_.node, config_.leaseSeconds});
  // Every node reads the shared change log from a cursor of its own.
  cursorKey_ = config_.sharedQueue ? std::string(kCursor) + ":" + config_.node : std::string(kCursor);
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
                              std::to_string(config_.memoryQueue) + ", queue " + queue_->describe() +
                              (config_.sharedQueue ? " (shared, node " + config_.node + ")" : "") +
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

void AnalysisService::onNewInstance() {
  const std::lock_guard<std::mutex> lock(feedMutex_);
  feedPending_ = true;
  feedWake_.notify_one();
}

void AnalysisService::onPacsJobEnded(const std::string& orthancJob, bool success) {
  try {
    queue_->recordPacsJob(orthancJob, success);
    notify();
  } catch (const std::exception& e) {
    // The forwarder still reads /jobs while Orthanc lists the job.
    log_(LogLevel::Error, "Sagitta: cannot record how Orthanc job " + orthancJob + " ended (" + e.what() + ")");
  }
}

bool AnalysisService::request(const std::string& instance, bool force) {
  if (queue_->instanceReviewed(instance)) return false;
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
  caughtUp_ = false;
  pool_ = std::make_unique<boost::asio::thread_pool>(static_cast<std::size_t>(config_.workers) + 4);
  boost::asio::post(*pool_, [this] { feedLoop(); });
  boost::asio::post(*pool_, [this] { intakeLoop(); });
  boost::asio::post(*pool_, [this] { forwarderLoop(); });
  boost::asio::post(*pool_, [this] { heartbeatLoop(); });
  for (int i = 0; i < config_.workers; ++i) boost::asio::post(*pool_, [this] { workerLoop(); });
}

void AnalysisService::stop() {
  if (!pool_) return;
  stopping_ = true;
  ready_->close();
  notify();
  onNewInstance();  // wakes the feed
  {
    const std::lock_guard<std::mutex> lock(feedMutex_);
    heartbeatWake_.notify_all();
  }
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
  s.node = config_.node;
  s.queueEngine = config_.sharedQueue ? "postgresql" : "sqlite";
  try {
    s.jobsByState = queue_->countByState();
    s.forwardsByState = queue_->countForwardsByState();
    const double now = unixNow();
    for (const auto& n : queue_->nodes()) s.nodesAlive += now - n.heartbeat <= 2.0 * config_.leaseSeconds ? 1 : 0;
  } catch (const QueueError&) {
    s.databaseUp = false;  // the scrape still answers: the gauges say what is known
  }
  s.memoryQueued = static_cast<std::int64_t>(inMemory());
  s.memoryCapacity = config_.memoryQueue;
  s.model = engine_->manifest().name;
  s.version = engine_->manifest().version;
  s.sha256 = engine_->bundleSha256();
  s.device = engine_->deviceName();
  s.workers = config_.workers;
  return metrics_.render(s);
}

std::int64_t AnalysisService::changeLogReadTo() {
  std::int64_t value = -1;
  const auto cursor = queue_->setting(cursorKey_);
  return cursor && parseCursor(*cursor, value) ? value : -1;
}

bool AnalysisService::isOwnOutput(const std::string& instance) {
  const std::lock_guard<std::mutex> lock(ownMutex_);
  return ownOutputs_.erase(instance) > 0;
}

void AnalysisService::pullChanges() {
  const auto cursor = queue_->setting(cursorKey_);
  std::int64_t since = 0;
  if (!cursor || !parseCursor(*cursor, since)) {
    // First start (or an unreadable cursor): the history is not analysed; from now on nothing
    // is missed.
    if (cursor) log_(LogLevel::Warning, "Sagitta: the change-log cursor was unreadable; starting from the last change");
    queue_->setSetting(cursorKey_, std::to_string(store_.lastChange()));
    caughtUp_ = true;
    return;
  }
  int found = 0;
  while (!stopping_) {
    const auto page = store_.changes(since, 1000);
    std::vector<std::string> fresh;
    for (const auto& instance : page.newInstances) {
      if (!isOwnOutput(instance)) fresh.push_back(instance);
    }
    const std::int64_t next = std::max(since, page.last);
    // The jobs and the cursor in one transaction: a failure leaves both, and the next pull
    // (a second later) reads the same page again.
    if (next != since || !fresh.empty()) found += queue_->enqueueChanges(fresh, engine_->bundleSha256(), cursorKey_, next);
    since = next;
    if (page.done) break;
  }
  if (found > 0) notify();
  if (!caughtUp_ && found > 0) {
    log_(LogLevel::Warning, "Sagitta: " + std::to_string(found) + " instance(s) stored while the plugin was down queued");
  }
  caughtUp_ = true;
}

void AnalysisService::feedLoop() {
  std::string lastError;
  while (!stopping_) {
    try {
      pullChanges();
      if (!lastError.empty()) log_(LogLevel::Warning, "Sagitta: the change log is read again");
      lastError.clear();
    } catch (const std::exception& e) {
      // Logged once per kind of failure, retried every second; nothing is lost meanwhile.
      if (e.what() != lastError) log_(LogLevel::Error, std::string("Sagitta: reading the change log failed: ") + e.what());
      lastError = e.what();
    }
    std::unique_lock<std::mutex> lock(feedMutex_);
    feedWake_.wait_for(lock, std::chrono::seconds(1), [this] { return feedPending_ || stopping_; });
    feedPending_ = false;
  }
}

DatabaseHealth AnalysisService::databaseHealth() const {
  const std::lock_guard<std::mutex> lock(healthMutex_);
  return health_;
}

void AnalysisService::heartbeat() {
  try {
    const auto& m = engine_->manifest();
    const auto sweep = queue_->heartbeat(config_.workers, m.name + " " + m.version, config_.maxAttempts);
    {
      const std::lock_guard<std::mutex> lock(healthMutex_);
      if (!health_.reachable) log_(LogLevel::Warning, "Sagitta: the queue database is reachable again");
      health_ = DatabaseHealth{true, "", unixNow()};
    }
    metrics_.countLeases(sweep.jobsRequeued + sweep.jobsFailed, sweep.forwardsRequeued);
    if (sweep.jobsRequeued + sweep.jobsFailed + sweep.forwardsRequeued > 0) {
      log_(LogLevel::Warning, "Sagitta: leases expired (a node stopped): " + std::to_string(sweep.jobsRequeued) +
                                  " job(s) queued again, " + std::to_string(sweep.jobsFailed) +
                                  " failed (attempts spent), " + std::to_string(sweep.forwardsRequeued) +
                                  " forward(s) to send again");
      notify();
    }
  } catch (const std::exception& e) {
    // Logged once until it is reachable again; Orthanc goes on storing, and the feed catches up.
    const std::lock_guard<std::mutex> lock(healthMutex_);
    if (health_.reachable) log_(LogLevel::Error, std::string("Sagitta: the queue database: ") + e.what() + "; retrying");
    health_.reachable = false;
    health_.error = e.what();
  }
}

void AnalysisService::heartbeatLoop() {
  // A third of the lease: two beats may be lost before another node takes the claims over.
  const auto period = std::chrono::duration<double>(config_.leaseSeconds / 3.0);
  while (!stopping_) {
    heartbeat();
    std::unique_lock<std::mutex> lock(feedMutex_);
    heartbeatWake_.wait_for(lock, period, [this] { return stopping_.load(); });
  }
}

void AnalysisService::maintain(double now) {
  if (now < nextMaintenance_) return;
  nextMaintenance_ = now + 600.0;
  if (config_.retentionDays > 0) {
    const auto deleted = queue_->prune(now - config_.retentionDays * 86400.0);
    if (deleted > 0) {
      log_(LogLevel::Info, "Sagitta: " + std::to_string(deleted) + " finished job(s) older than Limits.RetentionDays (" +
                               std::to_string(config_.retentionDays) + ") deleted");
    }
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
      maintain(unixNow());
      const auto pruned = queue_->prunedForRoom();
      if (pruned > prunedReported_) {
        log_(LogLevel::Warning, "Sagitta: the queue database reached its size limit; " +
                                    std::to_string(pruned - prunedReported_) +
                                    " oldest finished job(s) deleted to make room (Limits.MaxDatabaseMegabytes)");
        prunedReported_ = pruned;
      }
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
  const auto facts = store_.facts(job.instance);
  // Known by what it is, not by who stored it: a film a plugin stored (DICOMweb STOW-RS, a
  // router) is routed like any other; an SR or SC of Sagitta's (ours after a restart, or
  // another node's) never is.
  const auto field = [&facts](const char* key) { return facts.count(key) ? facts.at(key) : std::string(); };
  if (dicom::isSagittaOutput(field("Manufacturer"), field("SOPClassUID"))) {
    queue_->finish(job.id, JobState::Skipped, "a Sagitta output (never analysed)");
    metrics_.count(Outcome::SkippedByRouting);
    return std::nullopt;
  }
  const auto decision = router_.decide(facts);
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

std::string AnalysisService::storeOwn(const std::string& bytes, const dicom::ReportInput& report, const char* kind,
                                      const char* what) {
  // Known as ours before the change log reports it, so the feed does not queue it.
  const auto uids = dicom::reportUids(report, kind);
  const auto expected = store_.instanceId(report.source.patient.id, report.source.study.studyInstanceUid, uids.series,
                                          uids.instance);
  {
    const std::lock_guard<std::mutex> lock(ownMutex_);
    ownOutputs_.insert(expected);
  }
  std::optional<StoredInstance> stored;
  try {
    stored = store_.store(bytes);
  } catch (...) {
    forgetOwn(expected);
    throw;
  }
  if (stored->status != "Success" || stored->id != expected) forgetOwn(expected);  // no new instance to report
  if (stored->status == "Success" && stored->id != expected) {
    // The feed will queue it and the intake skip it as a plugin's output: one row, no harm.
    log_(LogLevel::Warning, std::string("Sagitta: the PACS named our ") + what + " " + stored->id + ", not " + expected);
  }
  return storedId(*stored, what);
}

void AnalysisService::forgetOwn(const std::string& id) {
  const std::lock_guard<std::mutex> lock(ownMutex_);
  ownOutputs_.erase(id);
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
  std::string srId, scId, pdfId;
  auto t = Clock::now();
  const std::string srBytes = config_.writeStructuredReport ? dicom::structuredReportBytes(analysis.report) : "";
  const std::string scBytes =
      config_.writeSecondaryCapture ? dicom::overlayBytes(analysis.report, prepared.radiograph.display) : "";
  const std::string pdfBytes =
      config_.writePdfReport ? dicom::pdfReportBytes(analysis.report, prepared.radiograph.display) : "";
  const double writing = secondsSince(t);
  t = Clock::now();
  if (config_.writeStructuredReport) srId = storeOwn(srBytes, analysis.report, "sr", "SR");
  if (config_.writeSecondaryCapture) scId = storeOwn(scBytes, analysis.report, "sc", "SC");
  if (config_.writePdfReport) pdfId = storeOwn(pdfBytes, analysis.report, "pdf", "PDF report");
  const double storing = secondsSince(t);
  metrics_.observe(Stage::Writing, writing);
  metrics_.observe(Stage::Storing, storing);
  const auto timings = nlohmann::ordered_json{{"decode_s", prepared.decodeSeconds},
                                              {"inference_s", analysis.inferenceSeconds},
                                              {"measurement_s", analysis.measurementSeconds},
                                              {"writing_s", writing},
                                              {"storing_s", storing},
                                              {"queue_wait_s", waited}};
  if (!queue_->finish(job.id, JobState::Done, "", {json, srId, scId, timings.dump(), prepared.forward, pdfId})) {
    // Its lease expired (this node lost the database for longer than Sagitta.LeaseSeconds) and
    // another node took it over: that node records it; the outputs stored are the same objects.
    log_(LogLevel::Warning, tagOf(job) + ": no longer this node's (lease expired); left to the node that took it over");
    return;
  }
  metrics_.count(Outcome::Done);
  if (!prepared.forward.empty()) notify();
  const double total = analysis.inferenceSeconds + analysis.measurementSeconds + writing + storing;
  log_(LogLevel::Info, tagOf(job) + " done in " + std::to_string(static_cast<int>(total * 1000.0)) + " ms: SR " + srId +
                           ", SC " + scId + (pdfId.empty() ? "" : ", PDF " + pdfId) + ", " +
                           std::to_string(analysis.report.measurement.measuredCount()) +
                           " of 18 parameters");
}

}  // namespace sagitta::plugin
