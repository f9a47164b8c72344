// SPDX-License-Identifier: GPL-3.0-or-later
// Sends finished results (SR and SC) to the destinations of the rule that selected the image,
// as PACS jobs (Orthanc's C-STORE or peer jobs). The state of every send lives in the queue
// database, so a restart resumes it: pending sends start when due, sending ones are polled, a
// failure waits with exponential backoff, and the attempts are bounded. How a send ended is
// read from Orthanc's /jobs while it still lists the job, and otherwise from the outcome the
// change log reported (JobSuccess / JobFailure, kept in the queue): Orthanc forgets all but
// JobsHistorySize finished jobs. A send held Paused or in Retry past StalledSeconds is
// cancelled and counted as a failed attempt.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "sagitta/plugin/instance_store.hpp"
#include "sagitta/plugin/job_queue.hpp"
#include "sagitta/plugin/metrics.hpp"
#include "sagitta/plugin/plugin_config.hpp"

namespace sagitta::plugin {

class Forwarder {
 public:
  using Log = std::function<void(bool error, const std::string&)>;
  Forwarder(JobQueue& queue, InstanceStore& store, const ForwardingConfig& config, Metrics& metrics, Log log)
      : queue_(queue), store_(store), backoff_{config.maxAttempts, config.backoffSeconds, config.maxBackoffSeconds},
        stalledSeconds_(config.stalledSeconds), metrics_(metrics), log_(std::move(log)) {}

  // Orthanc's change log may report a job's end a moment after /jobs forgot it: a job neither
  // lists nor has an outcome for this long is taken as lost (the PACS restarted) and resent.
  static constexpr double kLostAfterSeconds = 30.0;

  // One pass: poll what is being sent, start what is due. Returns how many changed state.
  int step(double now);

 private:
  JobQueue& queue_;
  InstanceStore& store_;
  void failed(const Forward& f, const std::string& reason);
  Backoff backoff_;
  double stalledSeconds_;
  std::map<std::int64_t, double> unknownSince_;  // forward -> when /jobs first did not list its job
  Metrics& metrics_;
  Log log_;
};

}  // namespace sagitta::plugin
