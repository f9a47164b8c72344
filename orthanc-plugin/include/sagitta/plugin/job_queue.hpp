// SPDX-License-Identifier: GPL-3.0-or-later
// The durable job queue: one SQLite database in WAL mode, one job per (instance, bundle) with
// states queued -> running -> done | skipped | failed, attempts and timestamps. Every statement
// is prepared with bound parameters. Safe to share between threads (one connection, a mutex).
#pragma once

#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <optional>
#include <string>
#include <vector>

struct sqlite3;

namespace sagitta::plugin {

class QueueError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class JobState { Queued, Running, Done, Skipped, Failed };
std::string jobStateKey(JobState state);
std::optional<JobState> jobStateFromKey(const std::string& key);

struct Job {
  std::int64_t id = 0;
  std::string instance;  // Orthanc instance id
  std::string bundle;    // bundle sha256
  JobState state = JobState::Queued;
  std::string reason;    // skipped / failed
  int attempts = 0;
  double created = 0.0, updated = 0.0;  // Unix seconds
  std::string result;    // analysis JSON when done
  std::string srInstance, scInstance;  // Orthanc ids of the outputs
};

class JobQueue {
 public:
  // Opens (creating) the database; throws QueueError naming the path and SQLite's reason.
  explicit JobQueue(const std::string& path);
  ~JobQueue();
  JobQueue(const JobQueue&) = delete;
  JobQueue& operator=(const JobQueue&) = delete;

  // Running jobs of a previous process go back to queued. Returns how many.
  int recoverInterrupted();
  // A new job, or nothing when (instance, bundle) already has one. force: a finished job is
  // queued again (a rerun). Returns true when a job was queued.
  bool enqueue(const std::string& instance, const std::string& bundle, bool force = false);
  // The oldest queued job, now running (attempts + 1).
  std::optional<Job> claim();
  void finish(std::int64_t id, JobState state, const std::string& reason, const std::string& result = "",
              const std::string& srInstance = "", const std::string& scInstance = "");
  // A failed attempt that may be retried: back to queued while attempts < maxAttempts.
  void retryOrFail(std::int64_t id, const std::string& reason, int maxAttempts);

  std::optional<Job> job(std::int64_t id);
  std::optional<Job> latestForInstance(const std::string& instance);
  std::vector<Job> list(std::optional<JobState> state, int limit, int offset);
  std::int64_t count(std::optional<JobState> state);

  // A persisted key / value (the /changes cursor).
  std::optional<std::string> setting(const std::string& key);
  void setSetting(const std::string& key, const std::string& value);

 private:
  void exec(const char* sql);
  std::mutex mutex_;
  sqlite3* db_ = nullptr;
  std::string path_;
};

}  // namespace sagitta::plugin
