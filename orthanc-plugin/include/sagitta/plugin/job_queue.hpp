// SPDX-License-Identifier: GPL-3.0-or-later
// The durable job queue: one job per (instance, bundle) with states queued -> running -> done |
// skipped | failed, attempts and timestamps; the forwards of its results; the reviews. Kept in
// the embedded SQLite file (one node) or in PostgreSQL, shared by several nodes: a node claims
// jobs and forwards under a lease it renews (heartbeat()); the claims of a node that stopped
// renewing return to the queue when their lease expires, for any node to finish. Every
// statement is bound. Safe to share between threads (one connection, a mutex).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "sagitta/plugin/sql_connection.hpp"

namespace sagitta::plugin {

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
  std::string timings;   // JSON: seconds per stage of the last attempt
  std::string pdfInstance;  // the PDF report's Orthanc id (Sagitta.Outputs.PdfReport)
};

// What a finished job leaves behind.
struct JobOutputs {
  std::string result;                  // the analysis JSON
  std::string srInstance, scInstance;  // Orthanc ids of the stored outputs
  std::string timings;                 // JSON object of seconds per stage
  std::vector<std::string> forwardTo;  // destinations of the outputs (done jobs only)
  std::string pdfInstance = {};        // the PDF report, when configured
};

// A result (SR and SC) on its way to one destination: pending -> sending -> sent, or back to
// pending with a later next_attempt after a failure, failed once the attempts are spent.
enum class ForwardState { Pending, Sending, Sent, Failed };
std::string forwardStateKey(ForwardState state);

struct Forward {
  std::int64_t id = 0, job = 0;
  int revision = 0;                    // 0: the automatic results; N: those re-issued by review N
  std::string destination;             // "modality:NAME" / "peer:NAME"
  std::vector<std::string> resources;  // Orthanc ids of the SR and SC (and PDF report)
  ForwardState state = ForwardState::Pending;
  int attempts = 0;
  double nextAttempt = 0.0, created = 0.0, updated = 0.0;  // Unix seconds
  std::string orthancJob;              // the C-STORE job while sending
  std::string reason;                  // the last failure
};

// A reviewer's decision on a job's result (the review page): revisions 1, 2, ... per job. Approve
// and correct re-issue the SR and SC; reject records the reason only.
enum class ReviewAction { Approve, Correct, Reject };
std::string reviewActionKey(ReviewAction action);
std::optional<ReviewAction> reviewActionFromKey(const std::string& key);

struct Review {
  std::int64_t id = 0, job = 0;
  int revision = 0;
  ReviewAction action = ReviewAction::Approve;
  std::string reviewer;        // the authenticated user or the name as typed
  bool authenticated = false;
  std::string reason;          // reject: why; correct / approve: an optional comment
  std::string landmarks;       // the landmarks file after the decision (approve / correct)
  std::string parameters;      // the parameters JSON measured from them
  std::string changes;         // JSON array: {"id", "from": [x, y] | null, "to": [x, y] | null}
  std::string srInstance, scInstance;  // Orthanc ids of the re-issued SR and SC
  double created = 0.0;        // Unix seconds
  std::string pdfInstance;     // the re-issued PDF report, when configured
};

// One row of the review worklist: a job with a result, and its latest review when it has one.
struct WorklistEntry {
  Job job;
  std::optional<Review> latest;
  bool superseded = false;     // a newer job (a rerun) holds this instance's result
};

struct Backoff {
  int maxAttempts = 10;
  double firstSeconds = 10.0, maxSeconds = 600.0;
};

struct QueueOptions {
  std::int64_t maxBytes = 0;      // SQLite: > 0 caps the file's size (Limits.MaxDatabaseMegabytes)
  std::string node = "local";     // this node's name, the owner of its claims (Sagitta.Node)
  double leaseSeconds = 30.0;     // a claim not renewed for this long returns to the queue
};

// A node as its last heartbeat left it (the nodes table).
struct NodeInfo {
  std::string name, version;
  double started = 0.0, heartbeat = 0.0;  // Unix seconds
  int workers = 0;
  std::int64_t running = 0;               // jobs it holds now
};

// What a heartbeat found: claims of stopped nodes returned to the queue (or failed when their
// attempts are spent).
struct LeaseSweep {
  std::int64_t jobsRequeued = 0, jobsFailed = 0, forwardsRequeued = 0;
};

class JobQueue {
 public:
  // Opens (creating) the database and brings its schema up to date (versioned migrations, run
  // once under a lock however many nodes start together); throws QueueError naming the
  // database and the reason. `database`: a SQLite path or a PostgreSQL connection string.
  explicit JobQueue(const std::string& database, std::int64_t maxBytes = 0);
  JobQueue(const std::string& database, QueueOptions options);
  ~JobQueue();
  JobQueue(const JobQueue&) = delete;
  JobQueue& operator=(const JobQueue&) = delete;

  bool shared() const;                         // PostgreSQL: several nodes may use it
  const std::string& node() const { return options_.node; }
  std::string describe() const;                // the path, or host:port/database
  int schemaVersion();

  // The jobs this node left running when it stopped (SQLite: every running job, the file is
  // one node's) go back to queued. Returns how many.
  int recoverInterrupted();
  // Renews the leases of this node's claims, records the node as alive, and returns to the queue
  // the claims whose lease expired (any node's): a job whose attempts are spent fails instead.
  LeaseSweep heartbeat(int workers, const std::string& version, int maxAttempts);
  std::vector<NodeInfo> nodes();
  // A requested analysis: a new job, or nothing when (instance, bundle) already has one. force: a
  // finished job is queued again (a rerun). Returns true when a job was queued.
  bool enqueue(const std::string& instance, const std::string& bundle, bool force = false);
  // The automatic intake of one page of Orthanc's change log, in one transaction: each instance
  // that has no job at all, under any bundle, is queued (a film is analysed automatically once;
  // a new model analyses new films), and the cursor setting moves to `cursor`. Either both
  // happen or neither does. Returns how many were queued.
  int enqueueChanges(const std::vector<std::string>& instances, const std::string& bundle, const std::string& cursorKey,
                     std::int64_t cursor);
  // The oldest queued job, now running (attempts + 1), held by this node under a lease.
  std::optional<Job> claim();
  // One transaction: the job's final state and, when done, a forward of its outputs to each
  // destination (a rerun sends again). false: this node no longer holds the job (its lease
  // expired and another node took it over), nothing was written.
  bool finish(std::int64_t id, JobState state, const std::string& reason, const JobOutputs& outputs = {});
  // A claimed job nobody started (shut down while it waited in memory): queued again, the
  // attempt not counted.
  void release(std::int64_t id);
  // A failed attempt that may be retried: back to queued while attempts < maxAttempts.
  void retryOrFail(std::int64_t id, const std::string& reason, int maxAttempts);

  std::optional<Job> job(std::int64_t id);
  std::optional<Job> latestForInstance(const std::string& instance);
  std::vector<Job> list(std::optional<JobState> state, int limit, int offset);
  std::int64_t count(std::optional<JobState> state);
  std::map<std::string, std::int64_t> countByState();  // every state, zeros included

  // Reviews. addReview records `review` as revision basedOn + 1 and returns it, or returns 0
  // when the job's latest revision is no longer basedOn (a conflicting review came first).
  // forwardTo: destinations of the re-issued SR and SC (their forwards are written in the same
  // transaction, as revision N's).
  int addReview(const Review& review, int basedOn, const std::vector<std::string>& forwardTo = {});
  std::vector<Review> reviewsOfJob(std::int64_t job);
  std::optional<Review> latestReview(std::int64_t job);
  bool instanceReviewed(const std::string& instance);
  // Jobs with a result (done, or not measured by the gate), newest first. needsReview: only those
  // without a review whose result the gate refused or whose parameters carry warnings or were
  // withheld.
  std::vector<WorklistEntry> worklist(bool needsReview, int limit, int offset);
  std::int64_t worklistCount(bool needsReview);
  // Reviewed jobs whose latest decision is approve or correct, reviewed at or after `since`.
  std::vector<WorklistEntry> reviewedSince(double since);

  // Forwards. Pending ones whose next attempt is reached, claimed by this node for a lease (no
  // other node gets them meanwhile); markSending or forwardFailed ends the claim.
  std::vector<Forward> claimDueForwards(double now, int limit);
  std::vector<Forward> sendingForwards();  // this node's (their Orthanc jobs are this node's)
  std::vector<Forward> forwardsOfJob(std::int64_t job);
  void markSending(std::int64_t forward, const std::string& orthancJob);  // attempts + 1
  void markSent(std::int64_t forward);
  // A failed send: pending again after the backoff, or failed once the attempts are spent.
  void forwardFailed(std::int64_t forward, const std::string& reason, const Backoff& backoff);
  std::map<std::string, std::int64_t> countForwardsByState();
  // How Orthanc's jobs ended, as its change log reported them (JobSuccess / JobFailure): Orthanc
  // keeps only JobsHistorySize finished jobs, this keeps what a send needs to know.
  void recordPacsJob(const std::string& orthancJob, bool success);
  std::optional<bool> pacsJobSucceeded(const std::string& orthancJob);

  // Retention: finished jobs last updated before `before` that have no send left to do, with
  // their forwards; and job outcomes recorded before `before`. Returns how many jobs went.
  std::int64_t prune(double before);
  // Jobs pruned, oldest first, to make room when a write found the database full
  // (MaxDatabaseMegabytes or the disk), since this queue was opened.
  std::int64_t prunedForRoom();

  // A persisted key / value (the /changes cursor).
  std::optional<std::string> setting(const std::string& key);
  void setSetting(const std::string& key, const std::string& value);

 private:
  SqlRows run(const std::string& sql, const std::vector<SqlValue>& params = {});
  std::string heldList();  // "(1, 2)": the jobs this node holds (mutex held)
  // Runs a write; when it finds the database full, prunes the oldest finished jobs and runs it
  // again, until it succeeds or nothing is left to prune (then QueueFull). Mutex held.
  template <typename Write>
  auto withRoom(Write write) -> decltype(write());
  std::int64_t pruneOldest(std::int64_t count);  // mutex held
  // One transaction: at most `limit` (-1: all) finished jobs updated before `before` with no send
  // left to do, their forwards, and the job outcomes recorded before `outcomesBefore`. Mutex held.
  std::int64_t deleteFinished(double before, std::int64_t limit, double outcomesBefore);
  bool finishLocked(std::int64_t id, JobState state, const std::string& reason, const JobOutputs& outputs);
  std::int64_t prunedForRoom_ = 0;
  std::mutex mutex_;
  QueueOptions options_;
  std::unique_ptr<SqlConnection> db_;
  std::set<std::int64_t> held_;  // jobs this node claimed and has not finished or released
  double started_ = 0.0;
};

}  // namespace sagitta::plugin
