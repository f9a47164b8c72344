// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/plugin/metrics.hpp"

#include <cstdio>
#include <sstream>

namespace sagitta::plugin {
namespace {

constexpr std::array<Stage, kStageCount> kStages{Stage::Decode,  Stage::Inference, Stage::Measurement,
                                                 Stage::Writing, Stage::Storing,   Stage::Forwarding};
constexpr std::array<Outcome, kOutcomeCount> kOutcomes{Outcome::Done, Outcome::SkippedByRouting, Outcome::RejectedByGate,
                                                       Outcome::Failed, Outcome::Retried};

// Shortest exact-enough text for a sample value: Prometheus parses Go floats.
std::string number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.9g", v);
  return text;
}

void header(std::ostringstream& out, const char* name, const char* type, const char* help) {
  out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
}

}  // namespace

const char* stageKey(Stage stage) {
  switch (stage) {
    case Stage::Decode: return "decode";
    case Stage::Inference: return "inference";
    case Stage::Measurement: return "measurement";
    case Stage::Writing: return "writing";
    case Stage::Storing: return "storing";
    case Stage::Forwarding: return "forwarding";
  }
  return "unknown";
}

const char* outcomeKey(Outcome outcome) {
  switch (outcome) {
    case Outcome::Done: return "done";
    case Outcome::SkippedByRouting: return "skipped_by_routing";
    case Outcome::RejectedByGate: return "rejected_by_gate";
    case Outcome::Failed: return "failed";
    case Outcome::Retried: return "retried";
  }
  return "unknown";
}

std::string escapeLabel(const std::string& value) {
  std::string out;
  for (const char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

void Metrics::observe(Stage stage, double seconds) {
  const std::lock_guard<std::mutex> lock(mutex_);
  auto& h = stages_[static_cast<std::size_t>(stage)];
  for (std::size_t b = 0; b < kBuckets.size(); ++b) {
    if (seconds <= kBuckets[b]) {
      ++h.buckets[b];
      break;
    }
  }
  ++h.count;
  h.sum += seconds;
}

void Metrics::count(Outcome outcome) {
  const std::lock_guard<std::mutex> lock(mutex_);
  ++outcomes_[static_cast<std::size_t>(outcome)];
}

void Metrics::countLeases(std::int64_t jobs, std::int64_t forwards) {
  const std::lock_guard<std::mutex> lock(mutex_);
  expiredJobs_ += jobs;
  expiredForwards_ += forwards;
}

std::int64_t Metrics::outcomes(Outcome outcome) const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return outcomes_[static_cast<std::size_t>(outcome)];
}

std::string Metrics::render(const MetricsSnapshot& s) const {
  std::ostringstream out;
  header(out, "sagitta_jobs", "gauge", "Jobs in the queue database by state.");
  for (const auto& [state, n] : s.jobsByState) out << "sagitta_jobs{state=\"" << escapeLabel(state) << "\"} " << n << '\n';
  header(out, "sagitta_forwards", "gauge", "Result forwards (C-STORE to a modality or peer) by state.");
  for (const auto& [state, n] : s.forwardsByState) {
    out << "sagitta_forwards{state=\"" << escapeLabel(state) << "\"} " << n << '\n';
  }
  header(out, "sagitta_queue_depth", "gauge",
         "Jobs waiting: queued in the queue database (shared by every node on PostgreSQL), decoded in memory for a "
         "worker of this node.");
  const auto queued = s.jobsByState.find("queued");
  out << "sagitta_queue_depth{queue=\"database\"} " << (queued == s.jobsByState.end() ? 0 : queued->second) << '\n';
  out << "sagitta_queue_depth{queue=\"memory\"} " << s.memoryQueued << '\n';
  header(out, "sagitta_memory_queue_capacity", "gauge", "Capacity of the in-memory queue (back-pressure bound).");
  out << "sagitta_memory_queue_capacity " << s.memoryCapacity << '\n';
  header(out, "sagitta_workers", "gauge", "Analysis workers.");
  out << "sagitta_workers " << s.workers << '\n';
  header(out, "sagitta_model_info", "gauge", "The model bundle and device in use.");
  out << "sagitta_model_info{model=\"" << escapeLabel(s.model) << "\",version=\"" << escapeLabel(s.version)
      << "\",sha256=\"" << escapeLabel(s.sha256) << "\",device=\"" << escapeLabel(s.device) << "\"} 1\n";

  header(out, "sagitta_node_info", "gauge", "This node and the engine of its queue database.");
  out << "sagitta_node_info{node=\"" << escapeLabel(s.node) << "\",queue=\"" << escapeLabel(s.queueEngine) << "\"} 1\n";
  header(out, "sagitta_queue_database_up", "gauge", "1 when the queue database answered this scrape.");
  out << "sagitta_queue_database_up " << (s.databaseUp ? 1 : 0) << '\n';
  header(out, "sagitta_nodes_alive", "gauge", "Nodes on the queue database whose heartbeat is within two leases.");
  out << "sagitta_nodes_alive " << s.nodesAlive << '\n';

  const std::lock_guard<std::mutex> lock(mutex_);
  header(out, "sagitta_leases_expired_total", "counter",
         "Claims of stopped nodes returned to the queue by this node's heartbeats, by kind.");
  out << "sagitta_leases_expired_total{claim=\"job\"} " << expiredJobs_ << '\n';
  out << "sagitta_leases_expired_total{claim=\"forward\"} " << expiredForwards_ << '\n';
  header(out, "sagitta_analyses_total", "counter", "Analysis attempts since start, by outcome.");
  for (const auto outcome : kOutcomes) {
    out << "sagitta_analyses_total{outcome=\"" << outcomeKey(outcome) << "\"} "
        << outcomes_[static_cast<std::size_t>(outcome)] << '\n';
  }
  header(out, "sagitta_stage_seconds", "histogram", "Latency of each stage of an analysis, seconds.");
  for (const auto stage : kStages) {
    const auto& h = stages_[static_cast<std::size_t>(stage)];
    std::int64_t cumulative = 0;
    for (std::size_t b = 0; b < kBuckets.size(); ++b) {
      cumulative += h.buckets[b];
      out << "sagitta_stage_seconds_bucket{stage=\"" << stageKey(stage) << "\",le=\"" << number(kBuckets[b]) << "\"} "
          << cumulative << '\n';
    }
    out << "sagitta_stage_seconds_bucket{stage=\"" << stageKey(stage) << "\",le=\"+Inf\"} " << h.count << '\n';
    out << "sagitta_stage_seconds_sum{stage=\"" << stageKey(stage) << "\"} " << number(h.sum) << '\n';
    out << "sagitta_stage_seconds_count{stage=\"" << stageKey(stage) << "\"} " << h.count << '\n';
  }
  return out.str();
}

}  // namespace sagitta::plugin
