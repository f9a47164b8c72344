// SPDX-License-Identifier: GPL-3.0-or-later
// What GET /sagitta/metrics serves, in Prometheus' text exposition format (version 0.0.4):
// analyses per outcome, per-stage latency histograms, and the gauges the caller samples at
// scrape time (jobs and forwards by state, queue depths, model and device).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace sagitta::plugin {

enum class Stage { Decode, Inference, Measurement, Writing, Storing, Forwarding };
inline constexpr std::size_t kStageCount = 6;
const char* stageKey(Stage stage);

// Outcome of one analysis attempt.
enum class Outcome { Done, SkippedByRouting, RejectedByGate, Failed, Retried };
inline constexpr std::size_t kOutcomeCount = 5;
const char* outcomeKey(Outcome outcome);

struct MetricsSnapshot {
  std::map<std::string, std::int64_t> jobsByState;      // from the queue database
  std::map<std::string, std::int64_t> forwardsByState;  // from the queue database
  std::int64_t memoryQueued = 0;                        // decoded images waiting for a worker
  std::int64_t memoryCapacity = 0;
  std::string model, version, sha256, device;
  int workers = 0;
  std::string node, queueEngine;      // this node's name; "sqlite" or "postgresql"
  bool databaseUp = true;             // the queue database answered this scrape
  std::int64_t nodesAlive = 0;        // nodes whose heartbeat is within two leases
};

class Metrics {
 public:
  // Upper bounds of the histogram buckets, seconds (+Inf is implied).
  static constexpr std::array<double, 14> kBuckets{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                                   1.0,   2.5,  5.0,   10.0, 30.0, 60.0, 300.0};

  void observe(Stage stage, double seconds);
  void count(Outcome outcome);
  // Claims of stopped nodes this node's heartbeats returned to the queue.
  void countLeases(std::int64_t jobs, std::int64_t forwards);
  std::int64_t outcomes(Outcome outcome) const;
  std::string render(const MetricsSnapshot& snapshot) const;

 private:
  struct Histogram {
    std::array<std::int64_t, kBuckets.size()> buckets{};  // non-cumulative
    std::int64_t count = 0;
    double sum = 0.0;
  };
  mutable std::mutex mutex_;
  std::array<Histogram, kStageCount> stages_{};
  std::array<std::int64_t, kOutcomeCount> outcomes_{};
  std::int64_t expiredJobs_ = 0, expiredForwards_ = 0;
};

// A label value escaped as the exposition format requires (backslash, quote, newline).
std::string escapeLabel(const std::string& value);

}  // namespace sagitta::plugin
