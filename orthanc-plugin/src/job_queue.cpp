// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/plugin/job_queue.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <initializer_list>
#include <chrono>
#include <cmath>
#include <sstream>

namespace sagitta::plugin {
namespace {

double now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// A prepared statement with bound parameters, finalised on scope exit.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &s_, nullptr) != SQLITE_OK) {
      throw QueueError(std::string("queue database: ") + sqlite3_errmsg(db));
    }
  }
  ~Statement() { sqlite3_finalize(s_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int i, const std::string& v) {
    sqlite3_bind_text(s_, i, v.c_str(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& bind(int i, std::int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  Statement& bind(int i, double v) {
    sqlite3_bind_double(s_, i, v);
    return *this;
  }
  // true while a row is available
  bool step() {
    const int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    if (rc == SQLITE_FULL) throw QueueFull("queue database: disk or size limit full (SQLITE_FULL); nothing was written");
    throw QueueError(std::string("queue database: ") + sqlite3_errmsg(db_));
  }
  std::string text(int c) const {
    const auto* p = sqlite3_column_text(s_, c);
    return p == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(p));
  }
  std::int64_t integer(int c) const { return sqlite3_column_int64(s_, c); }
  double real(int c) const { return sqlite3_column_double(s_, c); }

 private:
  sqlite3* db_;
  sqlite3_stmt* s_ = nullptr;
};

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

Job readJob(const Statement& s) {
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

Review readReview(const Statement& s, int first = 0) {
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
// CASE keeps the JSON functions off a result that is not JSON (they would fail the query).
constexpr const char* kNeedsReview =
    "NOT EXISTS (SELECT 1 FROM reviews r WHERE r.job_id = j.id) AND (j.state = 'skipped' OR "
    "CASE WHEN json_valid(j.result) THEN json_array_length(j.result, '$.withheld') > 0 OR EXISTS (SELECT 1 FROM "
    "json_each(j.result, '$.parameters.parameters') p WHERE json_type(p.value, '$.warnings') = 'array') ELSE 0 END)";

// The latest review of job j, as a correlated subquery of the worklist.
constexpr const char* kLatestReview =
    "(SELECT r.id FROM reviews r WHERE r.job_id = j.id ORDER BY r.revision DESC LIMIT 1)";

constexpr const char* kForwardColumns =
    "id, job_id, destination, resources, state, attempts, next_attempt, created, updated, orthanc_job, reason, revision";

// The forwards table: one row per (job, destination, revision) so that a reviewed report is sent
// beside the automatic one.
constexpr const char* kForwardsTable =
    " (id INTEGER PRIMARY KEY AUTOINCREMENT, job_id INTEGER NOT NULL REFERENCES jobs(id),"
    " destination TEXT NOT NULL, resources TEXT NOT NULL, state TEXT NOT NULL,"
    " attempts INTEGER NOT NULL DEFAULT 0, next_attempt REAL NOT NULL, created REAL NOT NULL,"
    " updated REAL NOT NULL, orthanc_job TEXT NOT NULL DEFAULT '', reason TEXT NOT NULL DEFAULT '',"
    " revision INTEGER NOT NULL DEFAULT 0, UNIQUE(job_id, destination, revision))";

std::vector<std::string> words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

Forward readForward(const Statement& s) {
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

std::vector<Forward> readForwards(Statement& s) {
  std::vector<Forward> out;
  while (s.step()) out.push_back(readForward(s));
  return out;
}

std::string selectForwards(const char* where) { return std::string("SELECT ") + kForwardColumns + " FROM forwards " + where; }

// State -> count from "SELECT state, COUNT(*) ... GROUP BY state", every key present.
std::map<std::string, std::int64_t> countStates(Statement& s, const std::vector<std::string>& keys) {
  std::map<std::string, std::int64_t> counts;
  for (const auto& key : keys) counts[key] = 0;
  while (s.step()) counts[s.text(0)] = s.integer(1);
  return counts;
}

// BEGIN IMMEDIATE ... COMMIT, rolled back when the scope is left by an exception.
class Transaction {
 public:
  explicit Transaction(sqlite3* db) : db_(db) { run("BEGIN IMMEDIATE"); }
  ~Transaction() {
    if (!committed_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit() {
    run("COMMIT");
    committed_ = true;
  }

 private:
  void run(const char* sql) {
    const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
    if (rc == SQLITE_FULL) throw QueueFull("queue database: disk or size limit full (SQLITE_FULL); nothing was written");
    if (rc != SQLITE_OK) throw QueueError(std::string("queue database: ") + sqlite3_errmsg(db_));
  }
  sqlite3* db_;
  bool committed_ = false;
};

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

JobQueue::JobQueue(const std::string& path, std::int64_t maxBytes) : path_(path) {
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr) !=
      SQLITE_OK) {
    const std::string reason = db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw QueueError("cannot open the queue database " + path + ": " + reason);
  }
  sqlite3_busy_timeout(db_, 5000);
  try {
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=NORMAL");
    if (maxBytes > 0) {
      // A pragma's value cannot be a bound parameter; this is an integer, never text.
      const std::int64_t pages = std::max<std::int64_t>(16, maxBytes / 4096);
      exec(("PRAGMA page_size=4096; PRAGMA max_page_count=" + std::to_string(pages)).c_str());
    }
    exec("CREATE TABLE IF NOT EXISTS jobs ("
         " id INTEGER PRIMARY KEY AUTOINCREMENT, instance TEXT NOT NULL, bundle TEXT NOT NULL,"
         " state TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '', attempts INTEGER NOT NULL DEFAULT 0,"
         " created REAL NOT NULL, updated REAL NOT NULL, result TEXT NOT NULL DEFAULT '',"
         " sr_instance TEXT NOT NULL DEFAULT '', sc_instance TEXT NOT NULL DEFAULT '',"
         " UNIQUE(instance, bundle))");
    exec("CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state, id)");
    // Databases written before per-stage timings were kept gain the column.
    if (!hasColumn("jobs", "timings")) exec("ALTER TABLE jobs ADD COLUMN timings TEXT NOT NULL DEFAULT ''");
    // ... and those from before the PDF report, its Orthanc id.
    if (!hasColumn("jobs", "pdf_instance")) exec("ALTER TABLE jobs ADD COLUMN pdf_instance TEXT NOT NULL DEFAULT ''");
    exec("CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    exec((std::string("CREATE TABLE IF NOT EXISTS forwards") + kForwardsTable).c_str());
    if (!hasColumn("forwards", "revision")) {
      // A database from before reviews: its UNIQUE(job_id, destination) becomes per revision; a
      // table's constraint cannot be altered in SQLite, so the table is rebuilt, in one transaction.
      exec((std::string("BEGIN IMMEDIATE; CREATE TABLE forwards_migrated") + kForwardsTable +
            "; INSERT INTO forwards_migrated (id, job_id, destination, resources, state, attempts, next_attempt, created,"
            " updated, orthanc_job, reason) SELECT id, job_id, destination, resources, state, attempts, next_attempt,"
            " created, updated, orthanc_job, reason FROM forwards; DROP TABLE forwards;"
            " ALTER TABLE forwards_migrated RENAME TO forwards; COMMIT")
               .c_str());
    }
    exec("CREATE INDEX IF NOT EXISTS forwards_state ON forwards(state, next_attempt)");
    exec("CREATE INDEX IF NOT EXISTS forwards_job ON forwards(job_id)");
    exec("CREATE INDEX IF NOT EXISTS jobs_updated ON jobs(updated)");
    exec("CREATE TABLE IF NOT EXISTS pacs_jobs (id TEXT PRIMARY KEY, success INTEGER NOT NULL, at REAL NOT NULL)");
    exec("CREATE TABLE IF NOT EXISTS reviews ("
         " id INTEGER PRIMARY KEY AUTOINCREMENT, job_id INTEGER NOT NULL REFERENCES jobs(id),"
         " revision INTEGER NOT NULL, action TEXT NOT NULL, reviewer TEXT NOT NULL,"
         " authenticated INTEGER NOT NULL, reason TEXT NOT NULL DEFAULT '', landmarks TEXT NOT NULL DEFAULT '',"
         " parameters TEXT NOT NULL DEFAULT '', changes TEXT NOT NULL DEFAULT '[]',"
         " sr_instance TEXT NOT NULL DEFAULT '', sc_instance TEXT NOT NULL DEFAULT '', created REAL NOT NULL,"
         " UNIQUE(job_id, revision))");
    if (!hasColumn("reviews", "pdf_instance")) exec("ALTER TABLE reviews ADD COLUMN pdf_instance TEXT NOT NULL DEFAULT ''");
  } catch (const QueueError& e) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw QueueError("cannot initialise the queue database " + path + ": " + e.what());
  }
}

JobQueue::~JobQueue() { sqlite3_close(db_); }

bool JobQueue::hasColumn(const char* table, const char* column) {
  Statement s(db_, "SELECT COUNT(*) FROM pragma_table_info(?) WHERE name = ?");
  s.bind(1, std::string(table)).bind(2, std::string(column));
  s.step();
  return s.integer(0) > 0;
}

void JobQueue::exec(const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    const std::string reason = error != nullptr ? error : "unknown error";
    sqlite3_free(error);
    throw QueueError(reason);
  }
}

int JobQueue::recoverInterrupted() {
  const std::lock_guard<std::mutex> lock(mutex_);
  Statement s(db_, "UPDATE jobs SET state = 'queued', updated = ? WHERE state = 'running'");
  s.bind(1, now()).step();
  return sqlite3_changes(db_);
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
  Transaction transaction(db_);
  const std::string jobs = std::string("(") + kPrunable + ")";
  for (const char* table : {"forwards WHERE job_id", "jobs WHERE id"}) {
    Statement s(db_, (std::string("DELETE FROM ") + table + " IN " + jobs).c_str());
    s.bind(1, before).bind(2, limit).step();
  }
  const auto deleted = static_cast<std::int64_t>(sqlite3_changes(db_));
  Statement outcomes(db_, "DELETE FROM pacs_jobs WHERE at < ?");
  outcomes.bind(1, outcomesBefore).step();
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
  return deleteFinished(before, -1, std::min(before, now() - kOutcomeSeconds));  // LIMIT -1: no limit
}

std::int64_t JobQueue::prunedForRoom() {
  const std::lock_guard<std::mutex> lock(mutex_);
  return prunedForRoom_;
}

bool JobQueue::enqueue(const std::string& instance, const std::string& bundle, bool force) {
  const std::lock_guard<std::mutex> lock(mutex_);
  return withRoom([&] {
    const double t = now();
    Statement insert(db_, "INSERT OR IGNORE INTO jobs (instance, bundle, state, created, updated) VALUES (?, ?, 'queued', ?, ?)");
    insert.bind(1, instance).bind(2, bundle).bind(3, t).bind(4, t).step();
    if (sqlite3_changes(db_) > 0) return true;
    if (!force) return false;
    Statement again(db_, "UPDATE jobs SET state = 'queued', reason = '', attempts = 0, updated = ? "
                         "WHERE instance = ? AND bundle = ? AND state IN ('done', 'skipped', 'failed')");
    again.bind(1, t).bind(2, instance).bind(3, bundle).step();
    return sqlite3_changes(db_) > 0;
  });
}

int JobQueue::enqueueChanges(const std::vector<std::string>& instances, const std::string& bundle,
                             const std::string& cursorKey, std::int64_t cursor) {
  const std::lock_guard<std::mutex> lock(mutex_);
  return withRoom([&] {
    Transaction transaction(db_);
    int queued = 0;
    const double t = now();
    for (const auto& instance : instances) {
      Statement s(db_, "INSERT INTO jobs (instance, bundle, state, created, updated) SELECT ?, ?, 'queued', ?, ? "
                       "WHERE NOT EXISTS (SELECT 1 FROM jobs WHERE instance = ?)");
      s.bind(1, instance).bind(2, bundle).bind(3, t).bind(4, t).bind(5, instance).step();
      queued += sqlite3_changes(db_);
    }
    Statement c(db_, "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    c.bind(1, cursorKey).bind(2, std::to_string(cursor)).step();
    transaction.commit();
    return queued;
  });
}

void JobQueue::recordPacsJob(const std::string& orthancJob, bool success) {
  const std::lock_guard<std::mutex> lock(mutex_);
  withRoom([&] {
    Statement s(db_, "INSERT INTO pacs_jobs (id, success, at) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
                     "success = excluded.success, at = excluded.at");
    s.bind(1, orthancJob).bind(2, std::int64_t{success ? 1 : 0}).bind(3, now()).step();
  });
}

std::optional<bool> JobQueue::pacsJobSucceeded(const std::string& orthancJob) {
  const std::lock_guard<std::mutex> lock(mutex_);
  Statement s(db_, "SELECT success FROM pacs_jobs WHERE id = ?");
  s.bind(1, orthancJob);
  if (!s.step()) return std::nullopt;
  return s.integer(0) != 0;
}

std::optional<Job> JobQueue::claim() {
  const std::lock_guard<std::mutex> lock(mutex_);
  Statement s(db_, (std::string("UPDATE jobs SET state = 'running', attempts = attempts + 1, updated = ? "
                                "WHERE id = (SELECT id FROM jobs WHERE state = 'queued' ORDER BY id LIMIT 1) RETURNING ") +
                    kColumns).c_str());
  s.bind(1, now());
  if (!s.step()) return std::nullopt;
  auto job = readJob(s);
  while (s.step()) {
  }
  return job;
}

void JobQueue::finish(std::int64_t id, JobState state, const std::string& reason, const JobOutputs& o) {
  const std::lock_guard<std::mutex> lock(mutex_);
  withRoom([&] { finishLocked(id, state, reason, o); });
}

void JobQueue::finishLocked(std::int64_t id, JobState state, const std::string& reason, const JobOutputs& o) {
  const auto& sr = o.srInstance;
  const auto& sc = o.scInstance;
  const double t = now();
  Transaction transaction(db_);
  {
    Statement s(db_, "UPDATE jobs SET state = ?, reason = ?, result = ?, sr_instance = ?, sc_instance = ?, timings = ?, "
                     "updated = ?, pdf_instance = ? WHERE id = ?");
    s.bind(1, jobStateKey(state)).bind(2, reason).bind(3, o.result).bind(4, sr).bind(5, sc).bind(6, o.timings);
    s.bind(7, t).bind(8, o.pdfInstance).bind(9, id).step();
  }
  const std::string resources = joinIds({sr, sc, o.pdfInstance});
  if (state == JobState::Done && !resources.empty()) {
    for (const auto& destination : o.forwardTo) {
      Statement f(db_, "INSERT INTO forwards (job_id, destination, resources, state, next_attempt, created, updated) "
                       "VALUES (?, ?, ?, 'pending', ?, ?, ?) ON CONFLICT(job_id, destination, revision) DO UPDATE SET "
                       "resources = excluded.resources, state = 'pending', attempts = 0, next_attempt = excluded.next_attempt, "
                       "orthanc_job = '', reason = '', updated = excluded.updated");
      f.bind(1, id).bind(2, destination).bind(3, resources).bind(4, t).bind(5, t).bind(6, t).step();
    }
  }
  transaction.commit();
}

void JobQueue::release(std::int64_t id) {
  const std::lock_guard<std::mutex> lock(mutex_);
  Statement s(db_, "UPDATE jobs SET state = 'queued', attempts = MAX(0, attempts - 1), updated = ? "
                   "WHERE id = ? AND state = 'running'");
  s.bind(1, now()).bind(2, id).step();
}

void JobQueue::retryOrFail(std::int64_t id, const std::string& reason, int maxAttempts) {
  const std::lock_guard<std::mutex> lock(mutex_);
  Statement s(db_, "UPDATE jobs SET state = CASE WHEN attempts < ? THEN 'queued' ELSE 'failed' END, reason = ?, "
                   "updated = ? WHERE id = ?");
  s.bind(1, static_cast<std::int64_t>(maxAttempts)).bind(2, reason).bind(3, now()).bind(4, id).step();
}

std::optional<Job> JobQueue::job(std::int64_t id) {
  const std::lock_guard<std::mutex> lock(mutex_);
  Statement s(db_, (std::string("SELECT ") + kColumns + " FROM jobs WHERE id = ?").c_str());
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return readJob(s);
}

std::optional<Job> JobQueue::latestForInstance(const std::string& instance) {
  const std::lock_guard<std::mutex> lock(mutex_);
  Statement s(db_, (std::string("SELECT ") + kColumns + " FROM jobs WHERE instance = ? ORDER BY updated DESC LIMIT 1").c_str());
  s.bind(1, instance);
  if (!s.step()) return std::nullopt;
  return readJob(s);
}

std::vector<Job> JobQueue::list(std::optional<JobState> state, int limit, int offset) {
  const std::lock_guard<std::mutex> lock(mutex_);
  Statement s(db_, (std::string("SELECT ") + kColumns +
                    " FROM jobs WHERE (? = '' OR state = ?) ORDER BY id DESC LIMIT ? OFFSET ?").c_str());
  const auto key = state ? jobStateKey(*state) : std::string();
  s.bind(1, key).bind(2, key).bind(3, static_cast<std::int64_t>(limit)).bind(4, static_cast<std::int64_t>(offset));
  std::vector<Job> jobs;
  while (s.step()) jobs.push_back(readJob(s));
  return jobs;
}

std::int64_t JobQueue::count(std::optional<JobState> state) {
  const std::lock_guard<std::mutex> lock(mutex_);
  Statement s(db_, "SELECT COUNT(*) FROM jobs WHERE (? = '' OR state = ?)");
  const auto key = state ? jobStateKey(*state) : std::string();
  s.bind(1, key).bind(2, key);
  s.step();
  return s.integer(0);
}

std::map<std::string, std::int64_t> JobQueue::countByState() {
  const std::lock_guard<std::mutex> lock(mutex_);
  Statement s(db_, "SELECT state, COUNT(*) FROM jobs GROUP BY state");
  return countStates(s, {"queued", "running", "done", "skipped", "failed"});
}

int JobQueue::addReview(const Review& review, int basedOn, const std::vector<std::string>& forwardTo) {
  const std::lock_guard<std::mutex> lock(mutex_);
  return withRoom([&] {
    Transaction transaction(db_);
    Statement latest(db_, "SELECT COALESCE(MAX(revision), 0) FROM reviews WHERE job_id = ?");
    latest.bind(1, review.job).step();
    if (latest.integer(0) != basedOn) return 0;
    const int revision = basedOn + 1;
    Statement s(db_, "INSERT INTO reviews (job_id, revision, action, reviewer, authenticated, reason, landmarks, "
                     "parameters, changes, sr_instance, sc_instance, created, pdf_instance) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    s.bind(1, review.job).bind(2, static_cast<std::int64_t>(revision)).bind(3, reviewActionKey(review.action));
    s.bind(4, review.reviewer).bind(5, std::int64_t{review.authenticated ? 1 : 0}).bind(6, review.reason);
    s.bind(7, review.landmarks).bind(8, review.parameters).bind(9, review.changes.empty() ? "[]" : review.changes);
    s.bind(10, review.srInstance).bind(11, review.scInstance).bind(12, review.created > 0 ? review.created : now());
    s.bind(13, review.pdfInstance).step();
    const std::string resources = joinIds({review.srInstance, review.scInstance, review.pdfInstance});
    if (!resources.empty()) {
      const double t = now();
      for (const auto& destination : forwardTo) {
        Statement f(db_, "INSERT OR IGNORE INTO forwards (job_id, destination, resources, state, next_attempt, created, "
                         "updated, revision) VALUES (?, ?, ?, 'pending', ?, ?, ?, ?)");
        f.bind(1, review.job).bind(2, destination).bind(3, resources).bind(4, t).bind(5, t).bind(6, t);
        f.bind(7, static_cast<std::int64_t>(revision)).step();
      }
    }
    transaction.commit();
    return revision;
  });
}

std::vector<Review> JobQueue::reviewsOfJob(std::int64_t job) {
  const std::lock_guard<std::mutex> lock(mutex_);
  Statement s(db_, (std::string("SELECT ") + kReviewColumns + " FROM reviews WHERE job_id = ? ORDER BY revision").c_str());
  s.bind(1, job);
  std::vector<Review> out;
  while (s.step()) out.push_back(readReview(s));
  return out;
}

std::optional<Review> JobQueue::latestReview(std::int64_t job) {
  const std::lock_guard<std::mutex> lock(mutex_);
  Statement s(db_, (std::string("SELECT ") + kReviewColumns +
                    " FROM reviews WHERE job_id = ? ORDER BY revision DESC LIMIT 1").c_str());
  s.bind(1, job);
  if (!s.step()) return std::nullopt;
  return readReview(s);
}

bool JobQueue::instanceReviewed(const std::string& instance) {
  const std::lock_guard<std::mutex> lock(mutex_);
  Statement s(db_, "SELECT 1 FROM reviews r JOIN jobs j ON j.id = r.job_id WHERE j.instance = ? LIMIT 1");
  s.bind(1, instance);
  return s.step();
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
         ", EXISTS (SELECT 1 FROM jobs n WHERE n.instance = j.instance AND n.updated > j.updated AND n.result != '') "
         "FROM jobs j LEFT JOIN reviews r ON r.id = " + kLatestReview + " WHERE " + where;
}

std::vector<WorklistEntry> readWorklist(Statement& s) {
  const int reviewFirst = static_cast<int>(words(std::string(kColumns)).size());
  const int supersededColumn = reviewFirst + static_cast<int>(words(std::string(kReviewColumns)).size());
  std::vector<WorklistEntry> out;
  while (s.step()) {
    WorklistEntry e{readJob(s), std::nullopt, s.integer(supersededColumn) != 0};
    if (!s.text(reviewFirst).empty()) e.latest = readReview(s, reviewFirst);
    out.push_back(std::move(e));
  }
  return out;
}

std::string worklistWhere(bool needsReview) {
  return std::string("j.result != '' AND j.state IN ('done', 'skipped')") + (needsReview ? std::string(" AND ") + kNeedsReview : "");
}

}  // namespace

std::vector<WorklistEntry> JobQueue::worklist(bool needsReview, int limit, int offset) {
  const std::lock_guard<std::mutex> lock(mutex_);
  Statement s(db_, worklistSelect(worklistWhere(needsReview) + " ORDER BY j.id DESC LIMIT ? OFFSET ?").c_str());
  s.bind(1, static_cast<std::int64_t>(limit)).bind(2, static_cast<std::int64_t>(offset));
  return readWorklist(s);
}

std::int64_t JobQueue::worklistCount(bool needsReview) {
  const std::lock_guard<std::mutex> lock(mutex_);
  Statement s(db_, ("SELECT COUNT(*) FROM jobs j WHERE " + worklistWhere(needsReview)).c_str());
  s.step();
  return s.integer(0);
}

std::vector<WorklistEntry> JobQueue::reviewedSince(double since) {
  const std::lock_guard<std::mutex> lock(mutex_);
  Statement s(db_, worklistSelect("r.action IN ('approve', 'correct') AND r.created >= ? ORDER BY j.id").c_str());
  s.bind(1, since);
  return readWorklist(s);
}

std::vector<Forward> JobQueue::dueForwards(double at, int limit) {
  const std::lock_guard<std::mutex> lock(mutex_);
  Statement s(db_, selectForwards("WHERE state = 'pending' AND next_attempt <= ? ORDER BY next_attempt, id LIMIT ?").c_str());
  s.bind(1, at).bind(2, static_cast<std::int64_t>(limit));
  return readForwards(s);
}

std::vector<Forward> JobQueue::sendingForwards() {
  const std::lock_guard<std::mutex> lock(mutex_);
  Statement s(db_, selectForwards("WHERE state = 'sending' ORDER BY id").c_str());
  return readForwards(s);
}

std::vector<Forward> JobQueue::forwardsOfJob(std::int64_t job) {
  const std::lock_guard<std::mutex> lock(mutex_);
  Statement s(db_, selectForwards("WHERE job_id = ? ORDER BY id").c_str());
  s.bind(1, job);
  return readForwards(s);
}

void JobQueue::markSending(std::int64_t forward, const std::string& orthancJob) {
  const std::lock_guard<std::mutex> lock(mutex_);
  Statement s(db_, "UPDATE forwards SET state = 'sending', attempts = attempts + 1, orthanc_job = ?, updated = ? WHERE id = ?");
  s.bind(1, orthancJob).bind(2, now()).bind(3, forward).step();
}

void JobQueue::markSent(std::int64_t forward) {
  const std::lock_guard<std::mutex> lock(mutex_);
  Statement s(db_, "UPDATE forwards SET state = 'sent', reason = '', updated = ? WHERE id = ?");
  s.bind(1, now()).bind(2, forward).step();
}

void JobQueue::forwardFailed(std::int64_t forward, const std::string& reason, const Backoff& backoff) {
  const std::lock_guard<std::mutex> lock(mutex_);
  std::int64_t attempts = 0;
  {
    Statement read(db_, "SELECT attempts, state FROM forwards WHERE id = ?");
    read.bind(1, forward);
    if (!read.step()) return;
    // A send that never started (e.g. the destination is unknown) still counts as an attempt.
    attempts = read.integer(0) + (read.text(1) == "sending" ? 0 : 1);
  }
  const double t = now();
  const double wait = std::min(backoff.maxSeconds, backoff.firstSeconds * std::pow(2.0, static_cast<double>(attempts - 1)));
  Statement s(db_, "UPDATE forwards SET state = ?, attempts = ?, reason = ?, next_attempt = ?, orthanc_job = '', "
                   "updated = ? WHERE id = ?");
  s.bind(1, std::string(attempts >= backoff.maxAttempts ? "failed" : "pending"))
      .bind(2, attempts)
      .bind(3, reason)
      .bind(4, t + wait)
      .bind(5, t)
      .bind(6, forward)
      .step();
}

std::map<std::string, std::int64_t> JobQueue::countForwardsByState() {
  const std::lock_guard<std::mutex> lock(mutex_);
  Statement s(db_, "SELECT state, COUNT(*) FROM forwards GROUP BY state");
  return countStates(s, {"pending", "sending", "sent", "failed"});
}

std::optional<std::string> JobQueue::setting(const std::string& key) {
  const std::lock_guard<std::mutex> lock(mutex_);
  Statement s(db_, "SELECT value FROM settings WHERE key = ?");
  s.bind(1, key);
  if (!s.step()) return std::nullopt;
  return s.text(0);
}

void JobQueue::setSetting(const std::string& key, const std::string& value) {
  const std::lock_guard<std::mutex> lock(mutex_);
  Statement s(db_, "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  s.bind(1, key).bind(2, value).step();
}

}  // namespace sagitta::plugin
