// SPDX-License-Identifier: GPL-3.0-or-later
// The analysis service behind the plugin: jobs from the durable queue, run by a pool of
// workers sharing one inference engine; routing, the loop guard, decoding, analysis, SR and SC
// stored back into the same study. Started on OrthancStarted, stopped on OrthancStopped.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/thread_pool.hpp>

#include "sagitta/models/inference_engine.hpp"
#include "sagitta/plugin/instance_store.hpp"
#include "sagitta/plugin/job_queue.hpp"
#include "sagitta/plugin/plugin_config.hpp"
#include "sagitta/plugin/routing.hpp"

namespace sagitta::plugin {

enum class LogLevel { Info, Warning, Error };
using Logger = std::function<void(LogLevel, const std::string&)>;

class AnalysisService {
 public:
  // Loads the bundle and opens the queue; throws (models::ModelError, QueueError) when unusable.
  AnalysisService(PluginConfig config, InstanceStore& store, Logger log);
  ~AnalysisService();
  AnalysisService(const AnalysisService&) = delete;
  AnalysisService& operator=(const AnalysisService&) = delete;

  // Change callback: enqueue only (one SQLite insert), never blocks on analysis.
  void onNewInstance(const std::string& instance);
  // Workers and the catch-up over the change log.
  void start();
  void stop();

  // On demand (REST): queue an instance or every instance of a series again.
  bool request(const std::string& instance, bool force);
  int requestSeries(const std::string& series, bool force);

  JobQueue& queue() { return *queue_; }
  const PluginConfig& config() const { return config_; }
  const models::InferenceEngine& engine() const { return *engine_; }
  std::string bundleSha256() const { return engine_->bundleSha256(); }
  std::int64_t analysesSinceStart() const { return analysed_; }

 private:
  void workerLoop();
  void process(const Job& job);
  void catchUp();
  void notify();

  PluginConfig config_;
  InstanceStore& store_;
  Logger log_;
  Router router_;
  std::unique_ptr<JobQueue> queue_;
  std::unique_ptr<models::InferenceEngine> engine_;
  std::unique_ptr<boost::asio::thread_pool> pool_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::int64_t> analysed_{0};
  std::mutex wakeMutex_;
  std::condition_variable wake_;
};

}  // namespace sagitta::plugin
