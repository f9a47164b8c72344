// SPDX-License-Identifier: GPL-3.0-or-later
// Sends finished results (SR and SC) to the destinations of the rule that selected the image,
// as PACS jobs (Orthanc's C-STORE or peer jobs). The state of every send lives in the queue
// database, so a restart resumes it: pending sends start when due, sending ones are polled, a
// failure waits with exponential backoff, and the attempts are bounded.
#pragma once

#include <functional>
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
        metrics_(metrics), log_(std::move(log)) {}

  // One pass: poll what is being sent, start what is due. Returns how many changed state.
  int step(double now);

 private:
  JobQueue& queue_;
  InstanceStore& store_;
  Backoff backoff_;
  Metrics& metrics_;
  Log log_;
};

}  // namespace sagitta::plugin
