// SPDX-License-Identifier: GPL-3.0-or-later
// The plugin's flow control without Orthanc: the bounded in-memory queue (back-pressure), the
// forwards kept in the queue database (backoff, bounded attempts, reruns), the forwarder's
// state machine, the Prometheus text, and a database that fills up.
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "sagitta/plugin/bounded_queue.hpp"
#include "sagitta/plugin/forwarder.hpp"
#include "sagitta/plugin/job_queue.hpp"
#include "sagitta/plugin/metrics.hpp"
#include "sagitta/plugin/plugin_config.hpp"
#include "support/scratch.hpp"

namespace sagitta::plugin {
namespace {

using sagitta::testing::scratch;
using namespace std::chrono_literals;

TEST(BoundedQueue, PushWaitsWhileFullAndCloseReleasesEveryone) {
  BoundedQueue<int> queue(2);
  int a = 1, b = 2, c = 3;
  ASSERT_TRUE(queue.push(a));
  ASSERT_TRUE(queue.push(b));
  std::atomic<bool> pushed{false};
  std::thread producer([&] {
    pushed = queue.push(c);  // full: waits for a consumer
  });
  std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(pushed.load());
  EXPECT_EQ(queue.size(), 2U);
  EXPECT_EQ(queue.pop(1s).value_or(0), 1);  // makes room
  producer.join();
  EXPECT_TRUE(pushed.load());
  EXPECT_EQ(queue.pop(1s).value_or(0), 2);
  EXPECT_EQ(queue.pop(1s).value_or(0), 3);
  EXPECT_FALSE(queue.pop(10ms).has_value());  // empty: times out

  int d = 4, e = 5, f = 6;
  queue.push(d);
  queue.push(e);
  std::thread blocked([&] { EXPECT_FALSE(queue.push(f)); });
  std::this_thread::sleep_for(50ms);
  queue.close();
  blocked.join();
  EXPECT_EQ(f, 6);  // a refused push leaves the item with the caller
  EXPECT_FALSE(queue.pop(1s).has_value());
  const auto left = queue.drain();
  ASSERT_EQ(left.size(), 2U);
  EXPECT_EQ(left[0], 4);
  EXPECT_THROW(BoundedQueue<int>(0), std::invalid_argument);
}

Job doneJob(JobQueue& q, const std::string& instance, const std::vector<std::string>& forwardTo) {
  EXPECT_TRUE(q.enqueue(instance, "b"));
  auto job = q.claim();
  EXPECT_TRUE(job.has_value());
  q.finish(job->id, JobState::Done, "", {"{}", "sr-" + instance, "sc-" + instance, "", forwardTo});
  return *job;
}

TEST(Forwards, BackoffDoublesAttemptsAreBoundedAndRerunsSendAgain) {
  JobQueue q((scratch("forwards") / "q.db").string());
  const auto job = doneJob(q, "i1", {"modality:PACS", "peer:ARCHIVE"});
  auto forwards = q.forwardsOfJob(job.id);
  ASSERT_EQ(forwards.size(), 2U);
  EXPECT_EQ(forwards[0].resources, (std::vector<std::string>{"sr-i1", "sc-i1"}));
  EXPECT_EQ(forwards[0].state, ForwardState::Pending);
  const double t0 = forwards[0].nextAttempt;
  EXPECT_EQ(q.claimDueForwards(t0 - 1.0, 10).size(), 0U);
  ASSERT_EQ(q.claimDueForwards(t0 + 1.0, 10).size(), 2U);
  EXPECT_EQ(q.claimDueForwards(t0 + 1.0, 10).size(), 0U);  // claimed: not handed out twice

  const Backoff backoff{3, 10.0, 15.0};
  const auto id = forwards[0].id;
  q.markSending(id, "orthanc-job-1");
  EXPECT_EQ(q.sendingForwards().size(), 1U);
  q.forwardFailed(id, "association rejected", backoff);  // attempt 1 failed: wait 10 s
  auto f = q.forwardsOfJob(job.id)[0];
  EXPECT_EQ(f.state, ForwardState::Pending);
  EXPECT_EQ(f.attempts, 1);
  EXPECT_NEAR(f.nextAttempt - f.updated, 10.0, 1e-6);
  EXPECT_EQ(f.reason, "association rejected");
  EXPECT_TRUE(f.orthancJob.empty());
  q.forwardFailed(id, "cannot start", backoff);  // never started: still an attempt; 20 s capped to 15
  f = q.forwardsOfJob(job.id)[0];
  EXPECT_EQ(f.attempts, 2);
  EXPECT_NEAR(f.nextAttempt - f.updated, 15.0, 1e-6);
  q.markSending(id, "orthanc-job-2");
  q.forwardFailed(id, "timeout", backoff);  // attempt 3 of 3
  f = q.forwardsOfJob(job.id)[0];
  EXPECT_EQ(f.state, ForwardState::Failed);
  EXPECT_EQ(f.attempts, 3);

  q.markSending(forwards[1].id, "orthanc-job-3");
  q.markSent(forwards[1].id);
  const auto counts = q.countForwardsByState();
  EXPECT_EQ(counts.at("failed"), 1);
  EXPECT_EQ(counts.at("sent"), 1);
  EXPECT_EQ(counts.at("pending"), 0);

  // A forced rerun stores the same outputs again and sends them again, once per destination.
  ASSERT_TRUE(q.enqueue("i1", "b", true));
  const auto again = q.claim();
  q.finish(again->id, JobState::Done, "", {"{}", "sr-i1", "sc-i1", "", {"modality:PACS", "peer:ARCHIVE"}});
  forwards = q.forwardsOfJob(job.id);
  ASSERT_EQ(forwards.size(), 2U);
  for (const auto& g : forwards) {
    EXPECT_EQ(g.state, ForwardState::Pending);
    EXPECT_EQ(g.attempts, 0);
  }
  // Skipped and failed jobs forward nothing.
  ASSERT_TRUE(q.enqueue("i2", "b"));
  const auto skipped = q.claim();
  q.finish(skipped->id, JobState::Skipped, "no rule", {"", "", "", "", {"modality:PACS"}});
  EXPECT_TRUE(q.forwardsOfJob(skipped->id).empty());
}

TEST(JobQueue, ReleaseReturnsAClaimWithoutCountingIt) {
  JobQueue q((scratch("release") / "q.db").string());
  q.enqueue("i1", "b");
  const auto job = q.claim();
  EXPECT_EQ(job->attempts, 1);
  q.release(job->id);
  const auto again = q.claim();
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->id, job->id);
  EXPECT_EQ(again->attempts, 1);
  const auto counts = q.countByState();
  EXPECT_EQ(counts.at("running"), 1);
  EXPECT_EQ(counts.at("queued"), 0);
  EXPECT_EQ(counts.at("done"), 0);
}

// One node on SQLite: a claim nobody renews (left by a process that stopped, or by a worker that
// could not record its end) returns to the queue after its lease, without a restart; the claims
// this process holds are renewed by each heartbeat; the schema carries its version.
TEST(JobQueue, AClaimNobodyRenewsReturnsAfterItsLease) {
  const auto path = (scratch("lease") / "q.db").string();
  const QueueOptions solo{0, "solo", 1.0};
  JobQueue q(path, solo);
  EXPECT_FALSE(q.shared());
  EXPECT_EQ(q.schemaVersion(), 2);
  ASSERT_TRUE(q.enqueue("held", "b"));
  ASSERT_TRUE(q.enqueue("abandoned", "b"));
  const auto held = q.claim();
  ASSERT_TRUE(held.has_value());
  {
    JobQueue gone(path, solo);  // another process's claim, never renewed
    ASSERT_TRUE(gone.claim().has_value());
  }
  std::this_thread::sleep_for(600ms);
  EXPECT_EQ(q.heartbeat(1, "m", 3).jobsRequeued, 0);
  std::this_thread::sleep_for(700ms);
  const auto sweep = q.heartbeat(1, "m", 3);
  EXPECT_EQ(sweep.jobsRequeued, 1);  // the abandoned one; the held one was renewed each beat
  EXPECT_EQ(q.count(JobState::Running), 1);
  const auto again = q.claim();
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->instance, "abandoned");
  EXPECT_EQ(again->attempts, 2);
  EXPECT_TRUE(q.finish(held->id, JobState::Done, "", {}));
  EXPECT_FALSE(q.finish(held->id, JobState::Done, "", {}));  // finished already: nothing written
  ASSERT_EQ(q.nodes().size(), 1U);
  EXPECT_EQ(q.nodes()[0].name, "solo");
  EXPECT_EQ(q.nodes()[0].running, 1);
}

bool integrityOk(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) return false;
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, nullptr);
  const bool ok = sqlite3_step(s) == SQLITE_ROW &&
                  std::string(reinterpret_cast<const char*>(sqlite3_column_text(s, 0))) == "ok";
  sqlite3_finalize(s);
  sqlite3_close(db);
  return ok;
}

// A full disk, reproduced with SQLite's own page limit. With only unfinished jobs to keep, the
// failing write is a clear error, nothing is half-written and the database stays intact; with
// room again, work goes on.
TEST(JobQueue, AFullDatabaseOfUnfinishedJobsIsAClearErrorAndLeavesTheQueueIntact) {
  const auto path = (scratch("full") / "q.db").string();
  std::int64_t stored = 0;
  std::string message;
  {
    JobQueue q(path, 256 * 1024);
    const std::string big(2000, 'x');
    // One job a worker holds while the queue fills (claimed first: a claim's row update on a
    // database without a free byte would itself fail, and that is not what is tested here).
    q.enqueue(big + "-running", "b");
    const auto job = q.claim();
    ASSERT_TRUE(job.has_value());
    try {
      for (int i = 0; i < 100000; ++i) {
        q.enqueue(big + std::to_string(i), "b");
        ++stored;
      }
      FAIL() << "the size limit was never reached";
    } catch (const QueueFull& e) {
      message = e.what();
    }
    EXPECT_NE(message.find("full"), std::string::npos) << message;
    EXPECT_EQ(q.count(JobState::Queued), stored);
    EXPECT_EQ(q.prunedForRoom(), 0);
    // A finish that finds no room is rolled back whole: the job stays running (requeued at the
    // next start), and gets no forward. (A result of many pages: the last pages may have slack.)
    const std::string result(64 * 1024, 'r');
    EXPECT_THROW(q.finish(job->id, JobState::Done, "", {result, "sr", "sc", "", {"modality:PACS"}}), QueueFull);
    EXPECT_EQ(q.count(JobState::Running), 1);
    EXPECT_TRUE(q.forwardsOfJob(job->id).empty());
  }
  EXPECT_TRUE(integrityOk(path));
  JobQueue roomy(path);  // the cap is lifted
  EXPECT_EQ(roomy.recoverInterrupted(), 1);
  const auto job = roomy.claim();
  ASSERT_TRUE(job.has_value());
  roomy.finish(job->id, JobState::Done, "", {"{}", "sr", "sc", "", {}});
  EXPECT_EQ(roomy.count(JobState::Done), 1);
  EXPECT_TRUE(integrityOk(path));
}

// At MaxDatabaseMegabytes, intake goes on: the oldest finished jobs make room, the newest stay.
TEST(JobQueue, AtItsSizeLimitTheQueueDeletesTheOldestFinishedJobsAndGoesOn) {
  const auto path = (scratch("full-prune") / "q.db").string();
  {
    JobQueue q(path, 256 * 1024);
    const std::string result(2000, 'r');
    for (int i = 0; i < 2000; ++i) {  // about 4 MB of results through a 256 kB database
      const auto instance = "instance-" + std::to_string(i);
      ASSERT_TRUE(q.enqueue(instance, "b"));
      const auto job = q.claim();
      ASSERT_TRUE(job.has_value());
      q.finish(job->id, JobState::Done, "", {result, "sr", "sc", "", {}});
    }
    EXPECT_GT(q.prunedForRoom(), 1000);
    EXPECT_EQ(q.count(std::nullopt), 2000 - q.prunedForRoom());
    EXPECT_TRUE(q.latestForInstance("instance-1999").has_value());
    EXPECT_FALSE(q.latestForInstance("instance-0").has_value());
  }
  EXPECT_TRUE(integrityOk(path));
}

// A queue database written before per-stage timings were kept opens, gains the column, and
// keeps its jobs.
TEST(JobQueue, AnOlderDatabaseGainsTheTimingsColumn) {
  const auto path = (scratch("migration") / "q.db").string();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "CREATE TABLE jobs (id INTEGER PRIMARY KEY AUTOINCREMENT, instance TEXT NOT NULL, bundle TEXT NOT NULL,"
                         " state TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '', attempts INTEGER NOT NULL DEFAULT 0,"
                         " created REAL NOT NULL, updated REAL NOT NULL, result TEXT NOT NULL DEFAULT '',"
                         " sr_instance TEXT NOT NULL DEFAULT '', sc_instance TEXT NOT NULL DEFAULT '',"
                         " UNIQUE(instance, bundle));"
                         "INSERT INTO jobs (instance, bundle, state, created, updated) VALUES ('old', 'b', 'done', 1, 1);",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  JobQueue q(path);
  const auto old = q.latestForInstance("old");
  ASSERT_TRUE(old.has_value());
  EXPECT_EQ(old->state, JobState::Done);
  EXPECT_TRUE(old->timings.empty());
  EXPECT_FALSE(q.enqueue("old", "b"));
}

// The forwarder against a PACS that answers as scripted: the state machine, not Orthanc (the
// integration tests send to a real second Orthanc).
class ScriptedPacs : public InstanceStore {
 public:
  bool exists(const std::string&) override { return false; }
  std::optional<std::string> file(const std::string&, std::size_t) override { return std::nullopt; }
  InstanceFacts facts(const std::string&) override { return {}; }
  StoredInstance store(const std::string&) override { return {}; }
  std::vector<std::string> seriesInstances(const std::string&) override { return {}; }
  ChangePage changes(std::int64_t, int) override { return {}; }
  std::int64_t lastChange() override { return 0; }
  std::optional<ForeignFrame> decodeFrame(const std::string&, std::string& why) override {
    why = "not here";
    return std::nullopt;
  }
  std::string startForward(const Destination& d, const std::vector<std::string>& resources) override {
    if (refuse) throw std::runtime_error("unknown modality " + d.name);
    started.push_back(d.key() + " " + std::to_string(resources.size()));
    return "job-" + std::to_string(started.size());
  }
  ForwardProgress forwardProgress(const std::string& job) override { return progress[job]; }
  void cancelForward(const std::string& job) override { cancelled.push_back(job); }
  std::string instanceId(const std::string&, const std::string&, const std::string&, const std::string& sop) override {
    return sop;
  }

  bool refuse = false;
  std::vector<std::string> cancelled;
  std::vector<std::string> started;
  std::map<std::string, ForwardProgress> progress;
};

TEST(Forwarder, StartsPollsRetriesAfterBackoffAndStops) {
  JobQueue q((scratch("forwarder") / "q.db").string());
  const auto job = doneJob(q, "i1", {"modality:PACS"});
  ScriptedPacs pacs;
  Metrics metrics;
  std::vector<std::string> lines;
  ForwardingConfig config;
  config.maxAttempts = 2;
  config.backoffSeconds = 30.0;
  Forwarder forwarder(q, pacs, config, metrics, [&](bool, const std::string& line) { lines.push_back(line); });
  const double now = q.forwardsOfJob(job.id)[0].nextAttempt + 1.0;

  EXPECT_EQ(forwarder.step(now), 1);  // started
  ASSERT_EQ(pacs.started.size(), 1U);
  EXPECT_EQ(pacs.started[0], "modality:PACS 2");
  pacs.progress["job-1"] = {ForwardProgress::State::Running, "Running"};
  EXPECT_EQ(forwarder.step(now), 0);  // still sending
  pacs.progress["job-1"] = {ForwardProgress::State::Failure, "DicomAssociationFailure"};
  EXPECT_EQ(forwarder.step(now), 1);  // failed: waits 30 s
  EXPECT_EQ(q.forwardsOfJob(job.id)[0].state, ForwardState::Pending);
  EXPECT_EQ(forwarder.step(now + 1.0), 0);  // not due yet
  EXPECT_EQ(pacs.started.size(), 1U);
  EXPECT_GE(forwarder.step(now + 31.0), 1);  // due: second attempt
  ASSERT_EQ(pacs.started.size(), 2U);
  pacs.progress["job-2"] = {ForwardProgress::State::Success, ""};
  EXPECT_EQ(forwarder.step(now + 32.0), 1);
  const auto f = q.forwardsOfJob(job.id)[0];
  EXPECT_EQ(f.state, ForwardState::Sent);
  EXPECT_EQ(f.attempts, 2);
  EXPECT_NE(metrics.render({}).find("sagitta_stage_seconds_count{stage=\"forwarding\"} 1"), std::string::npos);

  // A PACS that refuses to start the send, twice: failed for good, with the reason.
  const auto other = doneJob(q, "i2", {"modality:GONE"});
  pacs.refuse = true;
  const double t = q.forwardsOfJob(other.id)[0].nextAttempt + 1.0;
  forwarder.step(t);
  forwarder.step(t + 31.0);
  const auto g = q.forwardsOfJob(other.id)[0];
  EXPECT_EQ(g.state, ForwardState::Failed);
  EXPECT_NE(g.reason.find("unknown modality GONE"), std::string::npos) << g.reason;
  // A send job the PACS forgot (it restarted) is retried, not left sending forever.
  const auto third = doneJob(q, "i3", {"modality:PACS"});
  pacs.refuse = false;
  forwarder.step(q.forwardsOfJob(third.id)[0].nextAttempt + 1.0);
  const auto first = q.forwardsOfJob(third.id)[0];
  forwarder.step(first.updated + 1.0);  // /jobs does not list it, and no end was reported: it may come
  EXPECT_EQ(q.forwardsOfJob(third.id)[0].state, ForwardState::Sending);
  const auto started = pacs.started.size();
  forwarder.step(first.updated + 2.0 + Forwarder::kLostAfterSeconds);  // lost, and (its backoff past) sent again
  EXPECT_EQ(pacs.started.size(), started + 1);
  EXPECT_NE(q.forwardsOfJob(third.id)[0].orthancJob, first.orthancJob);
  EXPECT_NE(q.forwardsOfJob(third.id)[0].reason.find("lost"), std::string::npos);
}

// Orthanc keeps JobsHistorySize finished jobs: a send it no longer lists ends as the change log
// reported it, and is resent only when nothing was reported for kLostAfterSeconds. A send held
// Paused past StalledSeconds is cancelled and retried.
TEST(Forwarder, ASendOrthancForgotEndsAsReportedAndAHeldOneIsCancelled) {
  JobQueue q((scratch("forwarder-history") / "q.db").string());
  ScriptedPacs pacs;
  Metrics metrics;
  ForwardingConfig config;
  config.backoffSeconds = 600.0;  // a failed send is not due again within this test
  config.stalledSeconds = 60.0;
  Forwarder forwarder(q, pacs, config, metrics, [](bool, const std::string&) {});
  const auto sent = doneJob(q, "i1", {"modality:PACS"});
  const auto failed = doneJob(q, "i2", {"modality:PACS"});
  const auto lost = doneJob(q, "i3", {"modality:PACS"});
  double now = q.forwardsOfJob(lost.id)[0].nextAttempt + 1.0;
  forwarder.step(now);
  ASSERT_EQ(pacs.started.size(), 3U);  // job-1, job-2, job-3, none listed by /jobs any more
  q.recordPacsJob("job-1", true);
  q.recordPacsJob("job-2", false);
  forwarder.step(now + 1.0);
  EXPECT_EQ(q.forwardsOfJob(sent.id)[0].state, ForwardState::Sent);
  auto f = q.forwardsOfJob(failed.id)[0];
  EXPECT_EQ(f.state, ForwardState::Pending);
  EXPECT_NE(f.reason.find("Orthanc reported the send job job-2 failed"), std::string::npos) << f.reason;
  // No outcome reported: still sending until kLostAfterSeconds, then lost and resent.
  EXPECT_EQ(q.forwardsOfJob(lost.id)[0].state, ForwardState::Sending);
  forwarder.step(now + Forwarder::kLostAfterSeconds - 1.0);
  EXPECT_EQ(q.forwardsOfJob(lost.id)[0].state, ForwardState::Sending);
  forwarder.step(now + 1.0 + Forwarder::kLostAfterSeconds);
  f = q.forwardsOfJob(lost.id)[0];
  EXPECT_EQ(f.state, ForwardState::Pending);
  EXPECT_NE(f.reason.find("lost"), std::string::npos) << f.reason;
  EXPECT_EQ(pacs.started.size(), 3U);
  EXPECT_TRUE(pacs.cancelled.empty());

  // Held: waits StalledSeconds (counted from the start of the send), then cancelled and retried.
  const auto held = doneJob(q, "i4", {"modality:PACS"});
  now = q.forwardsOfJob(held.id)[0].nextAttempt + 1.0;
  forwarder.step(now);
  const auto heldJob = q.forwardsOfJob(held.id)[0].orthancJob;
  ASSERT_FALSE(heldJob.empty());
  pacs.progress[heldJob] = {ForwardProgress::State::Held, "Paused"};
  const double started = q.forwardsOfJob(held.id)[0].updated;
  forwarder.step(started + 30.0);
  EXPECT_EQ(q.forwardsOfJob(held.id)[0].state, ForwardState::Sending);
  EXPECT_TRUE(pacs.cancelled.empty());
  forwarder.step(started + 61.0);
  f = q.forwardsOfJob(held.id)[0];
  EXPECT_EQ(f.state, ForwardState::Pending);
  EXPECT_EQ(pacs.cancelled, std::vector<std::string>{heldJob});
  EXPECT_NE(f.reason.find("stayed Paused"), std::string::npos) << f.reason;
}

// Intake from the change log: a film is queued automatically once, whatever the bundle; the
// cursor moves with the jobs.
TEST(JobQueue, TheChangeLogQueuesEachFilmOnceAndMovesTheCursorWithIt) {
  JobQueue q((scratch("changes") / "q.db").string());
  EXPECT_EQ(q.enqueueChanges({"a", "b"}, "sha-1", "cursor", 7), 2);
  EXPECT_EQ(q.setting("cursor").value_or(""), "7");
  EXPECT_EQ(q.enqueueChanges({"a", "c"}, "sha-2", "cursor", 9), 1);  // "a" has a job (under sha-1)
  EXPECT_EQ(q.latestForInstance("a")->bundle, "sha-1");
  EXPECT_EQ(q.latestForInstance("c")->bundle, "sha-2");
  EXPECT_EQ(q.setting("cursor").value_or(""), "9");
  EXPECT_TRUE(q.enqueue("a", "sha-2"));  // a request under the new bundle is another job
  EXPECT_EQ(q.count(std::nullopt), 4);
}

// Retention deletes finished jobs older than the limit, never one with a send still to do.
TEST(JobQueue, RetentionDeletesOldFinishedJobsButNotUnsentOnes) {
  JobQueue q((scratch("retention") / "q.db").string());
  const auto old = doneJob(q, "old", {});
  const auto unsent = doneJob(q, "unsent", {"modality:PACS"});
  ASSERT_TRUE(q.enqueue("queued", "b"));
  q.recordPacsJob("orthanc-job", true);
  const double later = old.updated + 3600.0;
  EXPECT_EQ(q.prune(later), 1);
  EXPECT_FALSE(q.latestForInstance("old").has_value());
  EXPECT_TRUE(q.latestForInstance("unsent").has_value());
  EXPECT_EQ(q.forwardsOfJob(unsent.id).size(), 1U);
  EXPECT_TRUE(q.latestForInstance("queued").has_value());
  EXPECT_TRUE(q.pacsJobSucceeded("orthanc-job").value_or(false));  // outcomes are kept a week
  const auto f = q.forwardsOfJob(unsent.id)[0];
  q.markSending(f.id, "j");
  q.markSent(f.id);
  EXPECT_EQ(q.prune(later), 1);  // now it may go, with its forward
  EXPECT_TRUE(q.forwardsOfJob(unsent.id).empty());
  EXPECT_EQ(q.prune(later), 0);
}

// Every line is a comment or "name{labels} value"; histogram buckets are cumulative and end in
// +Inf = count; label values are escaped.
TEST(Metrics, PrometheusTextIsWellFormed) {
  Metrics m;
  m.observe(Stage::Inference, 0.2);
  m.observe(Stage::Inference, 0.3);
  m.observe(Stage::Inference, 1000.0);
  m.count(Outcome::Done);
  m.count(Outcome::Done);
  m.count(Outcome::RejectedByGate);
  MetricsSnapshot s;
  s.jobsByState = {{"queued", 3}, {"done", 2}};
  s.forwardsByState = {{"pending", 1}};
  s.memoryQueued = 1;
  s.memoryCapacity = 2;
  s.model = "sagitta \"compact\"\\v1";
  s.device = "cpu";
  const auto text = m.render(s);
  std::istringstream in(text);
  std::map<std::string, std::string> samples;
  for (std::string line; std::getline(in, line);) {
    ASSERT_FALSE(line.empty());
    if (line[0] == '#') {
      EXPECT_TRUE(line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) << line;
      continue;
    }
    const auto space = line.rfind(' ');
    ASSERT_NE(space, std::string::npos) << line;
    samples[line.substr(0, space)] = line.substr(space + 1);
  }
  EXPECT_EQ(samples["sagitta_jobs{state=\"queued\"}"], "3");
  EXPECT_EQ(samples["sagitta_queue_depth{queue=\"memory\"}"], "1");
  EXPECT_EQ(samples["sagitta_analyses_total{outcome=\"done\"}"], "2");
  EXPECT_EQ(samples["sagitta_analyses_total{outcome=\"rejected_by_gate\"}"], "1");
  EXPECT_EQ(samples["sagitta_stage_seconds_bucket{stage=\"inference\",le=\"0.1\"}"], "0");
  EXPECT_EQ(samples["sagitta_stage_seconds_bucket{stage=\"inference\",le=\"0.25\"}"], "1");
  EXPECT_EQ(samples["sagitta_stage_seconds_bucket{stage=\"inference\",le=\"0.5\"}"], "2");
  EXPECT_EQ(samples["sagitta_stage_seconds_bucket{stage=\"inference\",le=\"300\"}"], "2");
  EXPECT_EQ(samples["sagitta_stage_seconds_bucket{stage=\"inference\",le=\"+Inf\"}"], "3");
  EXPECT_EQ(samples["sagitta_stage_seconds_count{stage=\"inference\"}"], "3");
  EXPECT_EQ(samples["sagitta_stage_seconds_sum{stage=\"inference\"}"], "1000.5");
  EXPECT_EQ(samples["sagitta_stage_seconds_count{stage=\"decode\"}"], "0");
  EXPECT_NE(text.find("model=\"sagitta \\\"compact\\\"\\\\v1\""), std::string::npos) << text;
}

TEST(PluginConfig, ForwardDestinationsAndLimitsAreChecked) {
  const auto bundle = scratch("forward-config");
  std::ofstream(bundle / "bundle.json") << "{}";
  const auto withRules = [&](const std::string& sagitta, const std::string& rest = "") {
    return R"({"DicomModalities": {"PACS": ["PACS", "127.0.0.1", 104]}, "OrthancPeers": {"backup": ["http://x"]})" +
           rest + R"(, "Sagitta": {"ModelBundle": ")" + bundle.string() + "\", " + sagitta + "}}";
  };
  const auto config = parsePluginConfig(withRules(
      R"("Limits": {"MemoryQueue": 4, "MaxDatabaseMegabytes": 64, "RetentionDays": 90},
         "Forwarding": {"MaxAttempts": 5, "BackoffSeconds": 2, "StalledSeconds": 120},
         "Rules": [{"Name": "spine", "Modality": ["DX"], "Forward": ["PACS", "peer:backup"]}])"));
  EXPECT_EQ(config.memoryQueue, 4);
  EXPECT_EQ(config.maxDatabaseBytes, 64LL << 20);
  EXPECT_EQ(config.forwarding.maxAttempts, 5);
  EXPECT_EQ(config.forwarding.backoffSeconds, 2.0);
  EXPECT_EQ(config.forwarding.stalledSeconds, 120.0);
  EXPECT_EQ(config.retentionDays, 90);
  ASSERT_EQ(config.rules[0].forward.size(), 2U);
  EXPECT_EQ(config.rules[0].forward[0], "modality:PACS");
  EXPECT_EQ(config.rules[0].forward[1], "peer:backup");
  const Router router(config.rules);
  EXPECT_EQ(router.decide({{"Modality", "DX"}}).forward, config.rules[0].forward);

  const auto refused = [&](const std::string& sagitta, const std::string& fragment, const std::string& rest = "") {
    try {
      parsePluginConfig(withRules(sagitta, rest));
      ADD_FAILURE() << sagitta;
    } catch (const PluginConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  refused(R"("Rules": [{"Forward": ["NOPE"]}])", "not in DicomModalities");
  refused(R"("Rules": [{"Forward": ["peer:nope"]}])", "not in OrthancPeers");
  refused(R"("Rules": [{"Forward": ["../jobs"]}])", "names use");
  refused(R"("Rules": [{"Action": "skip", "Forward": ["PACS"]}])", "skip rule forwards nothing");
  refused(R"("Limits": {"MemoryQueue": 0})", "MemoryQueue");
  refused(R"("Forwarding": {"BackoffSeconds": 900})", "BackoffSeconds");
  refused(R"("Forwarding": {"Retries": 1})", "unknown key Sagitta.Forwarding.Retries");
  refused(R"("Forwarding": {"StalledSeconds": 0})", "StalledSeconds must be 1..86400");
  refused(R"("Limits": {"RetentionDays": -1})", "RetentionDays");
  refused(R"("Limits": {"RetentionDays": 1.5})", "RetentionDays");
  // Modalities kept in Orthanc's database cannot be checked here; Orthanc checks each send.
  EXPECT_NO_THROW(parsePluginConfig(withRules(R"("Rules": [{"Forward": ["ELSEWHERE"]}])", R"(, "DicomModalitiesInDatabase": true)")));
}

// Orthanc accepts // comments in its configuration; JSON does not.
std::string withoutComments(const std::string& text) {
  std::string out;
  bool inString = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (inString) {
      out += c;
      if (c == '\\' && i + 1 < text.size()) out += text[++i];
      else if (c == '"') inString = false;
    } else if (c == '/' && i + 1 < text.size() && text[i + 1] == '/') {
      while (i < text.size() && text[i] != '\n') ++i;
      out += '\n';
    } else {
      out += c;
      inString = c == '"';
    }
  }
  return out;
}

TEST(PluginConfig, TheAnnotatedExampleIsValid) {
  std::ifstream in(SAGITTA_CONFIG_EXAMPLE);
  ASSERT_TRUE(in) << SAGITTA_CONFIG_EXAMPLE;
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string shipped = "/usr/local/share/sagitta/models/sagitta-compact";
  const auto at = text.find(shipped);
  ASSERT_NE(at, std::string::npos);
  const auto bundle = scratch("example-bundle");
  std::ofstream(bundle / "bundle.json") << "{}";
  text.replace(at, shipped.size(), bundle.string());
  const auto config = parsePluginConfig(withoutComments(text));
  EXPECT_TRUE(config.enable);
  EXPECT_EQ(config.memoryQueue, 2);
  EXPECT_EQ(config.forwarding.maxAttempts, 10);
  ASSERT_EQ(config.rules.size(), 3U);
  EXPECT_EQ(config.rules[1].forward, std::vector<std::string>{"modality:PACS"});
  const PluginConfig defaults;
  EXPECT_EQ(config.maxPixels, defaults.maxPixels);
  EXPECT_EQ(config.maxAttempts, defaults.maxAttempts);
  EXPECT_EQ(config.forwarding.backoffSeconds, defaults.forwarding.backoffSeconds);
}

}  // namespace
}  // namespace sagitta::plugin
