// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/plugin/job_queue.hpp"

#include <algorithm>
#include <initializer_list>
#include <chrono>
#include <cmath>
#include <limits>
#include <sstream>

#include "queue_schema.hpp"

namespace sagitta::plugin {
namespace {

double now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Finished jobs that have no send left to do: what retention and a full database may delete.
constexpr const char* kPrunable =
    "SELECT id FROM jobs j WHERE j.state IN ('done', 'skipped', 'failed') AND j.updated < ? AND NOT EXISTS "
    "(SELECT 1 FROM forwards f WHERE f.job_id = j.id AND f.state IN ('pending', 'sending')) AND NOT EXISTS "
    "(SELECT 1 FROM reviews r WHERE r.job_id = j.id) ORDER BY j.updated, j.id LIMIT ?";
// Reviewed jobs are the audit trail and a site's training data: retention never deletes them.

constexpr std::int64_t kPruneBatch = 200;  // jobs deleted per round when the database is full
constexpr int kPruneRounds = 3;            // rounds per write before it fails as full
constexpr double kOutcomeSeconds = 7 * 86400.0;  // how long Orthanc job outcomes are kept

constexpr const char* kColumns =
    "id, instance, bundle, state, reason, attempts, created, updated, result, sr_instance, sc_instance, timings, "
    "pdf_instance";

// A forward's resources column: the outputs' Orthanc ids, space-separated, absent ones skipped.
std::string joinIds(std::initializer_list<std::string> ids) {
  std::string joined;
  for (const auto& id : ids) {
    if (!id.empty()) joined += (joined.empty() ? "" : " ") + id;
  }
  return joined;
}

Job readJob(const SqlRow& s) {
  Job j;
  j.id = s.integer(0);
  j.instance = s.text(1);
  j.bundle = s.text(2);
  j.state = jobStateFromKey(s.text(3)).value_or(JobState::Failed);
  j.reason = s.text(4);
  j.attempts = static_cast<int>(s.integer(5));
  j.created = s.real(6);
  j.updated = s.real(7);
  j.result = s.text(8);
  j.srInstance = s.text(9);
  j.scInstance = s.text(10);
  j.timings = s.text(11);
  j.pdfInstance = s.text(12);
  return j;
}

constexpr const char* kReviewColumns =
    "id, job_id, revision, action, reviewer, authenticated, reason, landmarks, parameters, changes, sr_instance, "
    "sc_instance, created, pdf_instance";

Review readReview(const SqlRow& s, int first = 0) {
  Review r;
  r.id = s.integer(first);
  r.job = s.integer(first + 1);
  r.revision = static_cast<int>(s.integer(first + 2));
  r.action = reviewActionFromKey(s.text(first + 3)).value_or(ReviewAction::Reject);
  r.reviewer = s.text(first + 4);
  r.authenticated = s.integer(first + 5) != 0;
  r.reason = s.text(first + 6);
  r.landmarks = s.text(first + 7);
  r.parameters = s.text(first + 8);
  r.changes = s.text(first + 9);
  r.srInstance = s.text(first + 10);
  r.scInstance = s.text(first + 11);
  r.created = s.real(first + 12);
  r.pdfInstance = s.text(first + 13);
  return r;
}

// A film a reviewer should look at: not reviewed, and refused by the gate or carrying a
// withheld parameter or a quality warning (the result JSON of models::analysisToJson).
// SQLite: CASE keeps the JSON functions off a result that is not JSON (they would fail the
// query); PostgreSQL: sagitta_flagged (queue_schema.cpp) does the same.
std::string needsReview(SqlDialect dialect) {
  return std::string("NOT EXISTS (SELECT 1 FROM reviews r WHERE r.job_id = j.id) AND (j.state = 'skipped' OR ") +
         (dialect == SqlDialect::Postgres
              ? "sagitta_flagged(j.result))"
              : "CASE WHEN json_valid(j.result) THEN json_array_length(j.result, '$.withheld') > 0 OR EXISTS (SELECT 1 "
                "FROM json_each(j.result, '$.parameters.parameters') p WHERE json_type(p.value, '$.warnings') = "
                "'array') ELSE 0 END)");
}

// The latest review of job j, as a correlated subquery of the worklist.
constexpr const char* kLatestReview =
    "(SELECT r.id FROM reviews r WHERE r.job_id = j.id ORDER BY r.revision DESC LIMIT 1)";

constexpr const char* kForwardColumns =
    "id, job_id, destination, resources, state, attempts, next_attempt, created, updated, orthanc_job, reason, revision";

std::vector<std::string> words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

Forward readForward(const SqlRow& s) {
  Forward f;
  f.id = s.integer(0);
  f.job = s.integer(1);
  f.destination = s.text(2);
  f.resources = words(s.text(3));
  const auto state = s.text(4);
  f.state = state == "pending" ? ForwardState::Pending
            : state == "sending" ? ForwardState::Sending
            : state == "sent"    ? ForwardState::Sent
                                 : ForwardState::Failed;
  f.attempts = static_cast<int>(s.integer(5));
  f.nextAttempt = s.real(6);
  f.created = s.real(7);
  f.updated = s.real(8);
  f.orthancJob = s.text(9);
  f.reason = s.text(10);
  f.revision = static_cast<int>(s.integer(11));
  return f;
}

std::vector<Forward> readForwards(const SqlRows& rows) {
  std::vector<Forward> out;
  for (std::size_t i = 0; i < rows.size(); ++i) out.push_back(readForward(SqlRow(rows, i)));
  return out;
}

std::vector<Job> readJobs(const SqlRows& rows) {
  std::vector<Job> out;
  for (std::size_t i = 0; i < rows.size(); ++i) out.push_back(readJob(SqlRow(rows, i)));
  return out;
}

std::string selectForwards(const char* where) { return std::string("SELECT ") + kForwardColumns + " FROM forwards " + where; }

// State -> count from "SELECT state, COUNT(*) ... GROUP BY state", every key present.
std::map<std::string, std::int64_t> countStates(const SqlRows& rows, const std::vector<std::string>& keys) {
  std::map<std::string, std::int64_t> counts;
  for (const auto& key : keys) counts[key] = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) counts[rows.text(i, 0)] = rows.integer(i, 1);
  return counts;
}

}  // namespace

std::string forwardStateKey(ForwardState state) {
  switch (state) {
    case ForwardState::Pending: return "pending";
    case ForwardState::Sending: return "sending";
    case ForwardState::Sent: return "sent";
    case ForwardState::Failed: return "failed";
  }
  return "failed";
}

std::string jobStateKey(JobState state) {
  switch (state) {
    case JobState::Queued: return "queued";
    case JobState::Running: return "running";
    case JobState::Done: return "done";
    case JobState::Skipped: return "skipped";
    case JobState::Failed: return "failed";
  }
  return "failed";
}

std::optional<JobState> jobStateFromKey(const std::string& key) {
  for (const auto s : {JobState::Queued, JobState::Running, JobState::Done, JobState::Skipped, JobState::Failed}) {
    if (jobStateKey(s) == key) return s;
  }
  return std::nullopt;
}

// This node's claims, in a WHERE clause: its name on PostgreSQL; on SQLite every row (the file is
// one node's, whatever it was called when it wrote them). Binds (node, shared).
constexpr const char* kMine = "(owner = ? OR ? = 0)";

JobQueue::JobQueue(const std::string& database, std::int64_t maxBytes)
    : JobQueue(database, QueueOptions{maxBytes, "local", 30.0}) {}

JobQueue::JobQueue(const std::string& database, QueueOptions options) : options_(std::move(options)), started_(now()) {
  if (!(options_.leaseSeconds >= 1.0)) throw QueueError("the queue's lease must be at least 1 s");
  db_ = isPostgresConnectionString(database) ? openPostgres(database) : openSqlite(database, options_.maxBytes);
  try {
    migrateQueueSchema(*db_, options_.node);
  } catch (const QueueUnreachable& e) {
    throw QueueUnreachable("cannot initialise the queue database " + db_->describe() + ": " + e.what());
  } catch (const QueueError& e) {
    throw QueueError("cannot initialise the queue database " + db_->describe() + ": " + e.what());
  }
}

JobQueue::~JobQueue() = default;

bool JobQueue::shared() const { return db_->dialect() == SqlDialect::Postgres; }

std::string JobQueue::describe() const { return db_->describe(); }

int JobQueue::schemaVersion() {
  const std::lock_guard<std::mutex> lock(mutex_);
  return queueSchemaVersion(*db_);
}

SqlRows JobQueue::run(const std::string& sql, const std::vector<SqlValue>& params) { return db_->run(sql, params); }

std::string JobQueue::heldList() {
  std::string list;
  for (const auto id : held_) list += (list.empty() ? "" : ", ") + std::to_string(id);  // integers, never text
  return "(" + list + ")";
}

int JobQueue::recoverInterrupted() {
  const std::lock_guard<std::mutex> lock(mutex_);
  const auto shared = std::int64_t{this->shared() ? 1 : 0};
  return static_cast<int>(run(std::string("UPDATE jobs SET state = 'queued', owner = '', lease_until = 0, updated = ? "
                                          "WHERE state = 'running' AND ") + kMine,
                              {now(), options_.node, shared})
                              .changed);
}

LeaseSweep JobQueue::heartbeat(int workers, const std::string& version, int maxAttempts) {
  const std::lock_guard<std::mutex> lock(mutex_);
  const double t = now();
  const double until = t + options_.leaseSeconds;
  const auto shared = std::int64_t{this->shared() ? 1 : 0};
  LeaseSweep sweep;
  SqlTransaction transaction(*db_);
  if (!held_.empty()) {
    run(std::string("UPDATE jobs SET lease_until = ? WHERE state = 'running' AND ") + kMine + " AND id IN " + heldList(),
        {until, options_.node, shared});
  }
  run(std::string("UPDATE forwards SET lease_until = ? WHERE state = 'sending' AND ") + kMine,
      {until, options_.node, shared});
  run("INSERT INTO nodes (name, version, started, heartbeat, workers) VALUES (?, ?, ?, ?, ?) ON CONFLICT(name) DO "
      "UPDATE SET version = excluded.version, started = excluded.started, heartbeat = excluded.heartbeat, "
      "workers = excluded.workers",
      {options_.node, version, started_, t, std::int64_t{workers}});
  // Claims nobody renewed: their node stopped (kill -9, power, a lost network). A film that
  // stops every node that tries it fails once its attempts are spent instead of going round.
  const auto jobs = run(
      "UPDATE jobs SET state = CASE WHEN attempts < ? THEN 'queued' ELSE 'failed' END, reason = CASE WHEN attempts < ? "
      "THEN reason ELSE 'every attempt ended with its node stopping (node ' || owner || ', lease expired)' END, "
      "owner = '', lease_until = 0, updated = ? WHERE state = 'running' AND lease_until < ? RETURNING state",
      {std::int64_t{maxAttempts}, std::int64_t{maxAttempts}, t, t});
  for (std::size_t i = 0; i < jobs.size(); ++i) ++(jobs.text(i, 0) == "queued" ? sweep.jobsRequeued : sweep.jobsFailed);
  // A send of a stopped node: its Orthanc job died with it, so the results are sent again (the
  // destination keeps one copy of a SOP instance it receives twice).
  sweep.forwardsRequeued =
      run("UPDATE forwards SET state = 'pending', reason = 'its node ' || owner || ' stopped while sending', "
          "orthanc_job = '', owner = '', lease_until = 0, next_attempt = ?, updated = ? "
          "WHERE state = 'sending' AND lease_until < ?",
          {t, t, t})
          .changed;
  transaction.commit();
  return sweep;
}

std::vector<NodeInfo> JobQueue::nodes() {
  const std::lock_guard<std::mutex> lock(mutex_);
  const auto rows = run("SELECT name, version, started, heartbeat, workers, (SELECT COUNT(*) FROM jobs j WHERE "
                        "j.state = 'running' AND j.owner = n.name) FROM nodes n ORDER BY name");
  std::vector<NodeInfo> out;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    out.push_back(NodeInfo{rows.text(i, 0), rows.text(i, 1), rows.real(i, 2), rows.real(i, 3),
                           static_cast<int>(rows.integer(i, 4)), rows.integer(i, 5)});
  }
  return out;
}

template <typename Write>
auto JobQueue::withRoom(Write write) -> decltype(write()) {
  for (int round = 0;; ++round) {
    try {
      return write();
    } catch (const QueueFull&) {
      // Intake goes on at the cost of the oldest history; a write that still finds no room
      // (a disk that is really full) fails after a few rounds instead of emptying the queue.
      if (round == kPruneRounds || pruneOldest(kPruneBatch) == 0) throw;
    }
  }
}

std::int64_t JobQueue::deleteFinished(double before, std::int64_t limit, double outcomesBefore) {
  SqlTransaction transaction(*db_);
  const std::string jobs = std::string("(") + kPrunable + ")";
  run("DELETE FROM forwards WHERE job_id IN " + jobs, {before, limit});
  const auto deleted = run("DELETE FROM jobs WHERE id IN " + jobs, {before, limit}).changed;
  run("DELETE FROM pacs_jobs WHERE at < ?", {outcomesBefore});
  transaction.commit();
  return deleted;
}

std::int64_t JobQueue::pruneOldest(std::int64_t count) {
  const double t = now();
  const auto deleted = deleteFinished(t, count, t - kOutcomeSeconds);
  prunedForRoom_ += deleted;
  return deleted;
}

std::int64_t JobQueue::prune(double before) {
  const std::lock_guard<std::mutex> lock(mutex_);
  return deleteFinished(before, std::numeric_limits<std::int64_t>::max(), std::min(before, now() - kOutcomeSeconds));
}

std::int64_t JobQueue::prunedForRoom() {
  const std::lock_guard<std::mutex> lock(mutex_);
  return prunedForRoom_;
}

bool JobQueue::enqueue(const std::string& instance, const std::string& bundle, bool force) {
  const std::lock_guard<std::mutex> lock(mutex_);
  return withRoom([&] {
    const double t = now();
    if (run("INSERT INTO jobs (instance, bundle, state, created, updated) VALUES (?, ?, 'queued', ?, ?) "
            "ON CONFLICT (instance, bundle) DO NOTHING",
            {instance, bundle, t, t})
            .changed > 0) {
      return true;
    }
    if (!force) return false;
    return run("UPDATE jobs SET state = 'queued', reason = '', attempts = 0, owner = '', lease_until = 0, updated = ? "
               "WHERE instance = ? AND bundle = ? AND state IN ('done', 'skipped', 'failed')",
               {t, instance, bundle})
               .changed > 0;
  });
}

int JobQueue::enqueueChanges(const std::vector<std::string>& instances, const std::string& bundle,
                             const std::string& cursorKey, std::int64_t cursor) {
  const std::lock_guard<std::mutex> lock(mutex_);
  return withRoom([&] {
    SqlTransaction transaction(*db_);
    int queued = 0;
    const double t = now();
    for (const auto& instance : instances) {
      // Every node reads the shared change log: the second to see a film finds its job (or,
      // racing, the unique key) and queues nothing.
      queued += static_cast<int>(run("INSERT INTO jobs (instance, bundle, state, created, updated) SELECT ?, ?, 'queued', "
                                     "?, ? WHERE NOT EXISTS (SELECT 1 FROM jobs WHERE instance = ?) "
                                     "ON CONFLICT (instance, bundle) DO NOTHING",
                                     {instance, bundle, t, t, instance})
                                     .changed);
    }
    run("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        {cursorKey, std::to_string(cursor)});
    transaction.commit();
    return queued;
  });
}

void JobQueue::recordPacsJob(const std::string& orthancJob, bool success) {
  const std::lock_guard<std::mutex> lock(mutex_);
  withRoom([&] {
    run("INSERT INTO pacs_jobs (id, success, at) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
        "success = excluded.success, at = excluded.at",
        {orthancJob, std::int64_t{success ? 1 : 0}, now()});
  });
}

std::optional<bool> JobQueue::pacsJobSucceeded(const std::string& orthancJob) {
  const std::lock_guard<std::mutex> lock(mutex_);
  const auto rows = run("SELECT success FROM pacs_jobs WHERE id = ?", {orthancJob});
  if (rows.empty()) return std::nullopt;
  return rows.integer(0, 0) != 0;
}

std::optional<Job> JobQueue::claim() {
  const std::lock_guard<std::mutex> lock(mutex_);
  const double t = now();
  // SKIP LOCKED: claimers on other nodes pass over the row one of them is taking.
  const char* skipLocked = shared() ? " FOR UPDATE SKIP LOCKED" : "";
  const auto rows = run(std::string("UPDATE jobs SET state = 'running', attempts = attempts + 1, updated = ?, owner = ?, "
                                    "lease_until = ? WHERE state = 'queued' AND id = (SELECT id FROM jobs WHERE "
                                    "state = 'queued' ORDER BY id LIMIT 1") +
                            skipLocked + ") RETURNING " + kColumns,
                        {t, options_.node, t + options_.leaseSeconds});
  if (rows.empty()) return std::nullopt;
  auto job = readJob(SqlRow(rows, 0));
  held_.insert(job.id);
  return job;
}

bool JobQueue::finish(std::int64_t id, JobState state, const std::string& reason, const JobOutputs& o) {
  const std::lock_guard<std::mutex> lock(mutex_);
  held_.erase(id);  // recorded or not, no longer renewed: unrecorded, its lease expires and it is done again
  return withRoom([&] { return finishLocked(id, state, reason, o); });
}

bool JobQueue::finishLocked(std::int64_t id, JobState state, const std::string& reason, const JobOutputs& o) {
  const auto& sr = o.srInstance;
  const auto& sc = o.scInstance;
  const double t = now();
  SqlTransaction transaction(*db_);
  // Only while this node still holds it: a job whose lease expired belongs to whoever claimed
  // it next (its outputs carry the same UIDs, so the PACS holds one SR and one SC either way).
  const auto updated = run(std::string("UPDATE jobs SET state = ?, reason = ?, result = ?, sr_instance = ?, "
                                       "sc_instance = ?, timings = ?, updated = ?, pdf_instance = ?, lease_until = 0 "
                                       "WHERE id = ? AND state = 'running' AND ") + kMine,
                           {jobStateKey(state), reason, o.result, sr, sc, o.timings, t, o.pdfInstance, id,
                            options_.node, std::int64_t{shared() ? 1 : 0}});
  if (updated.changed == 0) return false;
  const std::string resources = joinIds({sr, sc, o.pdfInstance});
  if (state == JobState::Done && !resources.empty()) {
    for (const auto& destination : o.forwardTo) {
      run("INSERT INTO forwards (job_id, destination, resources, state, next_attempt, created, updated) "
          "VALUES (?, ?, ?, 'pending', ?, ?, ?) ON CONFLICT(job_id, destination, revision) DO UPDATE SET "
          "resources = excluded.resources, state = 'pending', attempts = 0, next_attempt = excluded.next_attempt, "
          "orthanc_job = '', reason = '', owner = '', lease_until = 0, updated = excluded.updated",
          {id, destination, resources, t, t, t});
    }
  }
  transaction.commit();
  return true;
}

void JobQueue::release(std::int64_t id) {
  const std::lock_guard<std::mutex> lock(mutex_);
  held_.erase(id);
  run(std::string("UPDATE jobs SET state = 'queued', attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, "
                  "owner = '', lease_until = 0, updated = ? WHERE id = ? AND state = 'running' AND ") + kMine,
      {now(), id, options_.node, std::int64_t{shared() ? 1 : 0}});
}

void JobQueue::retryOrFail(std::int64_t id, const std::string& reason, int maxAttempts) {
  const std::lock_guard<std::mutex> lock(mutex_);
  held_.erase(id);
  run(std::string("UPDATE jobs SET state = CASE WHEN attempts < ? THEN 'queued' ELSE 'failed' END, reason = ?, "
                  "owner = '', lease_until = 0, updated = ? WHERE id = ? AND state = 'running' AND ") + kMine,
      {std::int64_t{maxAttempts}, reason, now(), id, options_.node, std::int64_t{shared() ? 1 : 0}});
}

std::optional<Job> JobQueue::job(std::int64_t id) {
  const std::lock_guard<std::mutex> lock(mutex_);
  const auto rows = run(std::string("SELECT ") + kColumns + " FROM jobs WHERE id = ?", {id});
  if (rows.empty()) return std::nullopt;
  return readJob(SqlRow(rows, 0));
}

std::optional<Job> JobQueue::latestForInstance(const std::string& instance) {
  const std::lock_guard<std::mutex> lock(mutex_);
  const auto rows = run(std::string("SELECT ") + kColumns + " FROM jobs WHERE instance = ? ORDER BY updated DESC LIMIT 1",
                        {instance});
  if (rows.empty()) return std::nullopt;
  return readJob(SqlRow(rows, 0));
}

std::vector<Job> JobQueue::list(std::optional<JobState> state, int limit, int offset) {
  const std::lock_guard<std::mutex> lock(mutex_);
  const auto key = state ? jobStateKey(*state) : std::string();
  return readJobs(run(std::string("SELECT ") + kColumns +
                          " FROM jobs WHERE (? = '' OR state = ?) ORDER BY id DESC LIMIT ? OFFSET ?",
                      {key, key, std::int64_t{limit}, std::int64_t{offset}}));
}

std::int64_t JobQueue::count(std::optional<JobState> state) {
  const std::lock_guard<std::mutex> lock(mutex_);
  const auto key = state ? jobStateKey(*state) : std::string();
  return run("SELECT COUNT(*) FROM jobs WHERE (? = '' OR state = ?)", {key, key}).integer(0, 0);
}

std::map<std::string, std::int64_t> JobQueue::countByState() {
  const std::lock_guard<std::mutex> lock(mutex_);
  return countStates(run("SELECT state, COUNT(*) FROM jobs GROUP BY state"),
                     {"queued", "running", "done", "skipped", "failed"});
}

int JobQueue::addReview(const Review& review, int basedOn, const std::vector<std::string>& forwardTo) {
  const std::lock_guard<std::mutex> lock(mutex_);
  try {
    return withRoom([&] {
      SqlTransaction transaction(*db_);
      if (run("SELECT COALESCE(MAX(revision), 0) FROM reviews WHERE job_id = ?", {review.job}).integer(0, 0) != basedOn) {
        return 0;
      }
      const int revision = basedOn + 1;
      run("INSERT INTO reviews (job_id, revision, action, reviewer, authenticated, reason, landmarks, parameters, "
          "changes, sr_instance, sc_instance, created, pdf_instance) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          {review.job, std::int64_t{revision}, reviewActionKey(review.action), review.reviewer,
           std::int64_t{review.authenticated ? 1 : 0}, review.reason, review.landmarks, review.parameters,
           review.changes.empty() ? std::string("[]") : review.changes, review.srInstance, review.scInstance,
           review.created > 0 ? review.created : now(), review.pdfInstance});
      const std::string resources = joinIds({review.srInstance, review.scInstance, review.pdfInstance});
      if (!resources.empty()) {
        const double t = now();
        for (const auto& destination : forwardTo) {
          run("INSERT INTO forwards (job_id, destination, resources, state, next_attempt, created, updated, revision) "
              "VALUES (?, ?, ?, 'pending', ?, ?, ?, ?) ON CONFLICT (job_id, destination, revision) DO NOTHING",
              {review.job, destination, resources, t, t, t, std::int64_t{revision}});
        }
      }
      transaction.commit();
      return revision;
    });
  } catch (const QueueConflict&) {
    return 0;  // a reviewer on another node recorded this revision first
  }
}

std::vector<Review> JobQueue::reviewsOfJob(std::int64_t job) {
  const std::lock_guard<std::mutex> lock(mutex_);
  const auto rows = run(std::string("SELECT ") + kReviewColumns + " FROM reviews WHERE job_id = ? ORDER BY revision", {job});
  std::vector<Review> out;
  for (std::size_t i = 0; i < rows.size(); ++i) out.push_back(readReview(SqlRow(rows, i)));
  return out;
}

std::optional<Review> JobQueue::latestReview(std::int64_t job) {
  const std::lock_guard<std::mutex> lock(mutex_);
  const auto rows =
      run(std::string("SELECT ") + kReviewColumns + " FROM reviews WHERE job_id = ? ORDER BY revision DESC LIMIT 1", {job});
  if (rows.empty()) return std::nullopt;
  return readReview(SqlRow(rows, 0));
}

bool JobQueue::instanceReviewed(const std::string& instance) {
  const std::lock_guard<std::mutex> lock(mutex_);
  return !run("SELECT 1 FROM reviews r JOIN jobs j ON j.id = r.job_id WHERE j.instance = ? LIMIT 1", {instance}).empty();
}

namespace {

// The worklist's rows: job columns, then the latest review's (NULL id: none), then whether a newer
// job holds the instance.
std::string worklistSelect(const std::string& where) {
  std::string jobColumns;
  for (const auto& c : words(std::string(kColumns))) jobColumns += (jobColumns.empty() ? "j." : " j.") + c;
  std::string reviewColumns;
  for (const auto& c : words(std::string(kReviewColumns))) reviewColumns += (reviewColumns.empty() ? "r." : " r.") + c;
  return "SELECT " + jobColumns + ", " + reviewColumns +
         ", CASE WHEN EXISTS (SELECT 1 FROM jobs n WHERE n.instance = j.instance AND n.updated > j.updated AND "
         "n.result != '') THEN 1 ELSE 0 END FROM jobs j LEFT JOIN reviews r ON r.id = " + kLatestReview + " WHERE " + where;
}

std::vector<WorklistEntry> readWorklist(const SqlRows& rows) {
  const int reviewFirst = static_cast<int>(words(std::string(kColumns)).size());
  const int supersededColumn = reviewFirst + static_cast<int>(words(std::string(kReviewColumns)).size());
  std::vector<WorklistEntry> out;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const SqlRow s(rows, i);
    WorklistEntry e{readJob(s), std::nullopt, s.integer(supersededColumn) != 0};
    if (!s.isNull(reviewFirst)) e.latest = readReview(s, reviewFirst);
    out.push_back(std::move(e));
  }
  return out;
}

std::string worklistWhere(bool flagged, SqlDialect dialect) {
  return std::string("j.result != '' AND j.state IN ('done', 'skipped')") +
         (flagged ? " AND " + needsReview(dialect) : std::string());
}

}  // namespace

std::vector<WorklistEntry> JobQueue::worklist(bool needsReview, int limit, int offset) {
  const std::lock_guard<std::mutex> lock(mutex_);
  return readWorklist(run(worklistSelect(worklistWhere(needsReview, db_->dialect()) + " ORDER BY j.id DESC LIMIT ? OFFSET ?"),
                          {std::int64_t{limit}, std::int64_t{offset}}));
}

std::int64_t JobQueue::worklistCount(bool needsReview) {
  const std::lock_guard<std::mutex> lock(mutex_);
  return run("SELECT COUNT(*) FROM jobs j WHERE " + worklistWhere(needsReview, db_->dialect())).integer(0, 0);
}

std::vector<WorklistEntry> JobQueue::reviewedSince(double since) {
  const std::lock_guard<std::mutex> lock(mutex_);
  return readWorklist(run(worklistSelect("r.action IN ('approve', 'correct') AND r.created >= ? ORDER BY j.id"), {since}));
}

std::vector<Forward> JobQueue::claimDueForwards(double at, int limit) {
  const std::lock_guard<std::mutex> lock(mutex_);
  const double t = now();
  const char* skipLocked = shared() ? " FOR UPDATE SKIP LOCKED" : "";
  // Claimed, still pending: the claim ends with markSending (this node's Orthanc job) or
  // forwardFailed, or expires with the lease when the node stops in between.
  auto forwards = readForwards(run(std::string("UPDATE forwards SET owner = ?, lease_until = ? WHERE state = 'pending' "
                                               "AND id IN (SELECT id FROM forwards WHERE state = 'pending' AND "
                                               "next_attempt <= ? AND lease_until < ? ORDER BY next_attempt, id LIMIT ?") +
                                       skipLocked + ") RETURNING " + kForwardColumns,
                                   {options_.node, t + options_.leaseSeconds, at, t, std::int64_t{limit}}));
  std::sort(forwards.begin(), forwards.end(), [](const Forward& a, const Forward& b) {
    return a.nextAttempt != b.nextAttempt ? a.nextAttempt < b.nextAttempt : a.id < b.id;
  });
  return forwards;
}

std::vector<Forward> JobQueue::sendingForwards() {
  const std::lock_guard<std::mutex> lock(mutex_);
  return readForwards(run(selectForwards("WHERE state = 'sending' AND ") + kMine + " ORDER BY id",
                          {options_.node, std::int64_t{shared() ? 1 : 0}}));
}

std::vector<Forward> JobQueue::forwardsOfJob(std::int64_t job) {
  const std::lock_guard<std::mutex> lock(mutex_);
  return readForwards(run(selectForwards("WHERE job_id = ? ORDER BY id"), {job}));
}

void JobQueue::markSending(std::int64_t forward, const std::string& orthancJob) {
  const std::lock_guard<std::mutex> lock(mutex_);
  const double t = now();
  run("UPDATE forwards SET state = 'sending', attempts = attempts + 1, orthanc_job = ?, owner = ?, lease_until = ?, "
      "updated = ? WHERE id = ?",
      {orthancJob, options_.node, t + options_.leaseSeconds, t, forward});
}

void JobQueue::markSent(std::int64_t forward) {
  const std::lock_guard<std::mutex> lock(mutex_);
  run("UPDATE forwards SET state = 'sent', reason = '', lease_until = 0, updated = ? WHERE id = ?", {now(), forward});
}

void JobQueue::forwardFailed(std::int64_t forward, const std::string& reason, const Backoff& backoff) {
  const std::lock_guard<std::mutex> lock(mutex_);
  const auto read = run("SELECT attempts, state FROM forwards WHERE id = ?", {forward});
  if (read.empty()) return;
  // A send that never started (e.g. the destination is unknown) still counts as an attempt.
  const std::int64_t attempts = read.integer(0, 0) + (read.text(0, 1) == "sending" ? 0 : 1);
  const double t = now();
  const double wait = std::min(backoff.maxSeconds, backoff.firstSeconds * std::pow(2.0, static_cast<double>(attempts - 1)));
  run("UPDATE forwards SET state = ?, attempts = ?, reason = ?, next_attempt = ?, orthanc_job = '', owner = '', "
      "lease_until = 0, updated = ? WHERE id = ?",
      {std::string(attempts >= backoff.maxAttempts ? "failed" : "pending"), attempts, reason, t + wait, t, forward});
}

std::map<std::string, std::int64_t> JobQueue::countForwardsByState() {
  const std::lock_guard<std::mutex> lock(mutex_);
  return countStates(run("SELECT state, COUNT(*) FROM forwards GROUP BY state"), {"pending", "sending", "sent", "failed"});
}

std::optional<std::string> JobQueue::setting(const std::string& key) {
  const std::lock_guard<std::mutex> lock(mutex_);
  const auto rows = run("SELECT value FROM settings WHERE key = ?", {key});
  if (rows.empty()) return std::nullopt;
  return rows.text(0, 0);
}

void JobQueue::setSetting(const std::string& key, const std::string& value) {
  const std::lock_guard<std::mutex> lock(mutex_);
  run("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", {key, value});
}

}  // namespace sagitta::plugin
