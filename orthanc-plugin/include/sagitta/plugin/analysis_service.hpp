// SPDX-License-Identifier: GPL-3.0-or-later
// The analysis service behind the plugin, in four stages on one Boost.Asio pool:
//   feed     (1 thread)  walks Orthanc's change log from a durable cursor and queues each new
//                        instance that has no job (not our own SR and SC); the cursor moves in
//                        the same transaction, so a failed write is retried, never lost. Woken
//                        by the change callback, and once a second in any case;
//   intake   (1 thread)  claim a job from the durable queue, apply the loop guard and the
//                        routing rules, fetch and decode the image (DCMTK, else the PACS's own
//                        decoder); decoded images go into a bounded in-memory queue, and when
//                        it is full the intake waits: the rest stay queued in SQLite;
//   workers  (N threads) infer with the one shared engine, measure, write SR and SC, store them
//                        into the same study, record the job and its forwards in one transaction;
//   forwarder (1 thread) sends results to the rule's destinations, retrying with backoff, and
//                        applies the retention (Limits.RetentionDays) every few minutes;
//   heartbeat (1 thread) renews this node's leases every third of Sagitta.LeaseSeconds, and
//                        returns to the queue the claims of nodes that stopped renewing theirs.
// Started on OrthancStarted, stopped on OrthancStopped; a job held in memory at stop is queued
// again, and jobs left running by a crash are queued again at the next start.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/thread_pool.hpp>

#include "sagitta/dicom/radiograph.hpp"
#include "sagitta/dicom/structured_report.hpp"
#include "sagitta/models/inference_engine.hpp"
#include "sagitta/plugin/bounded_queue.hpp"
#include "sagitta/plugin/forwarder.hpp"
#include "sagitta/plugin/instance_store.hpp"
#include "sagitta/plugin/job_queue.hpp"
#include "sagitta/plugin/metrics.hpp"
#include "sagitta/plugin/plugin_config.hpp"
#include "sagitta/plugin/review.hpp"
#include "sagitta/plugin/routing.hpp"

namespace sagitta::plugin {

enum class LogLevel { Info, Warning, Error };

// The queue database as the last heartbeat found it.
struct DatabaseHealth {
  bool reachable = true;
  std::string error;       // why not, when not
  double lastContact = 0;  // Unix seconds of the last successful heartbeat
};
using Logger = std::function<void(LogLevel, const std::string&)>;

class AnalysisService {
 public:
  // Loads the bundle and opens the queue; throws (models::ModelError, QueueError) when unusable.
  AnalysisService(PluginConfig config, InstanceStore& store, Logger log);
  ~AnalysisService();
  AnalysisService(const AnalysisService&) = delete;
  AnalysisService& operator=(const AnalysisService&) = delete;

  // Change callback (NewInstance): wakes the feed; nothing else happens on Orthanc's thread.
  void onNewInstance();
  // Change callback (JobSuccess / JobFailure): one SQLite write, what the forwarder reads once
  // Orthanc's job history has forgotten the job.
  void onPacsJobEnded(const std::string& orthancJob, bool success);
  void start();
  void stop();

  // On demand (REST): queue an instance or every instance of a series again. A reviewed film is
  // never queued again: the reviewer's result stands.
  bool request(const std::string& instance, bool force);
  int requestSeries(const std::string& series, bool force);

  // A reviewer's decision on one job (review_service.cpp): approve and correct re-issue the SR and
  // SC (VERIFIED, the reviewer, the predecessor) and record each landmark's change; reject records
  // the reason. One decision at a time. Throws ReviewNotFound, ReviewConflict, or
  // std::invalid_argument for landmarks that do not fit the film.
  Review review(std::int64_t jobId, const ReviewRequest& request);
  // The job's film as the reviewer sees it: the source's windowed display, full size, as PNG.
  std::string filmPng(std::int64_t jobId);

  JobQueue& queue() { return *queue_; }
  const PluginConfig& config() const { return config_; }
  const models::InferenceEngine& engine() const { return *engine_; }
  std::string bundleSha256() const { return engine_->bundleSha256(); }
  std::int64_t analysesSinceStart() const { return metrics_.outcomes(Outcome::Done); }
  std::size_t inMemory() const { return ready_ ? ready_->size() : 0; }
  std::string metricsText();
  DatabaseHealth databaseHealth() const;
  // One heartbeat now (heartbeatLoop calls it on its period).
  void heartbeat();
  // The last change of Orthanc's log the feed has queued (-1 before its first read).
  std::int64_t changeLogReadTo();

 private:
  struct Prepared {
    Job job;
    dicom::Radiograph radiograph;
    std::vector<std::string> forward;
    double decodeSeconds = 0.0;                   // fetch and decode
    std::chrono::steady_clock::time_point ready;  // when it entered the in-memory queue
  };

  void intakeLoop();
  void workerLoop();
  void forwarderLoop();
  void feedLoop();
  void heartbeatLoop();
  void pullChanges();
  void maintain(double now);
  bool isOwnOutput(const std::string& instance);
  void notify();
  void waitForWork();
  std::optional<Prepared> prepare(const Job& job);
  dicom::Radiograph decode(const Job& job, const std::string& bytes);
  dicom::Radiograph fetchFilm(const Job& job);  // the job's film again, for a review (review_service.cpp)
  void analyseAndStore(Prepared& prepared);
  // Stores one of our outputs (kind "sr" / "sc") and returns its PACS id; throws when it was not stored.
  std::string storeOwn(const std::string& bytes, const dicom::ReportInput& report, const char* kind, const char* what);
  void forgetOwn(const std::string& id);
  void failed(const Job& job, const std::exception& error, bool transient);
  void release(const Job& job);  // never throws: a pool thread must not end in an exception

  PluginConfig config_;
  InstanceStore& store_;
  Logger log_;
  Router router_;
  Metrics metrics_;
  std::unique_ptr<JobQueue> queue_;
  std::unique_ptr<models::InferenceEngine> engine_;
  std::unique_ptr<Forwarder> forwarder_;
  std::unique_ptr<BoundedQueue<Prepared>> ready_;
  std::unique_ptr<boost::asio::thread_pool> pool_;
  std::atomic<bool> stopping_{false};
  std::mutex wakeMutex_;
  std::condition_variable wake_;
  std::mutex feedMutex_;
  std::condition_variable feedWake_;
  bool feedPending_ = false;
  std::condition_variable heartbeatWake_;  // with feedMutex_
  std::string cursorKey_;                  // the settings key of this node's change-log cursor
  mutable std::mutex healthMutex_;
  DatabaseHealth health_;
  bool caughtUp_ = false;            // the first pull after start (it reports what was missed)
  double nextMaintenance_ = 0.0;     // Unix seconds
  std::int64_t prunedReported_ = 0;  // prunings for room already logged
  std::mutex reviewMutex_;  // one review decision at a time: revision check, store, record
  std::mutex ownMutex_;
  std::set<std::string> ownOutputs_;  // PACS ids of SR and SC being stored, not yet seen by the feed
};

}  // namespace sagitta::plugin
