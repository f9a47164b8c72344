// SPDX-License-Identifier: GPL-3.0-or-later
// The shared queue on a real PostgreSQL 15 server (started by each test in a scratch folder):
// migrations under a lock, claims with SKIP LOCKED, leases that return a stopped node's claims,
// a restarted node taking its own back, the shared change log, a server restart.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <set>
#include <thread>
#include <vector>

#include "sagitta/plugin/job_queue.hpp"
#include "support/postgres_server.hpp"

namespace {

using sagitta::plugin::Backoff;
using sagitta::plugin::ForwardState;
using sagitta::plugin::JobQueue;
using sagitta::plugin::JobState;
using sagitta::plugin::QueueOptions;
using sagitta::plugin::QueueUnreachable;
using sagitta::plugin::Review;
using sagitta::plugin::ReviewAction;
using sagitta::testing::PostgresServer;

QueueOptions node(const std::string& name, double lease = 30.0) { return QueueOptions{0, name, lease}; }

std::int64_t sqlCount(const PostgresServer& pg, const std::string& sql) {
  return sagitta::plugin::openPostgres(pg.connectionString())->run(sql).integer(0, 0);
}

TEST(SharedQueue, NodesStartingTogetherMigrateOnce) {
  PostgresServer pg("migrate");
  std::vector<std::thread> nodes;
  std::atomic<int> opened{0};
  for (int i = 0; i < 6; ++i) {
    nodes.emplace_back([&, i] {
      JobQueue q(pg.connectionString(), node("node-" + std::to_string(i)));
      if (q.shared() && q.schemaVersion() == 1) ++opened;
    });
  }
  for (auto& t : nodes) t.join();
  EXPECT_EQ(opened.load(), 6);
  EXPECT_EQ(sqlCount(pg, "SELECT COUNT(*) FROM sagitta_schema"), 1);  // applied once, by one of them
  JobQueue again(pg.connectionString(), node("late"));
  EXPECT_EQ(again.schemaVersion(), 1);
  EXPECT_NE(again.describe().find("127.0.0.1:" + std::to_string(pg.port()) + "/sagitta"), std::string::npos)
      << again.describe();
  EXPECT_EQ(again.describe().find("password"), std::string::npos);
}

TEST(SharedQueue, ClaimersOnThreeNodesNeverShareAJob) {
  PostgresServer pg("claims");
  constexpr int kJobs = 300;
  {
    JobQueue q(pg.connectionString(), node("feeder"));
    for (int i = 0; i < kJobs; ++i) ASSERT_TRUE(q.enqueue("instance-" + std::to_string(i), "b"));
  }
  std::vector<std::unique_ptr<JobQueue>> queues;
  for (const char* name : {"a", "b", "c"}) queues.push_back(std::make_unique<JobQueue>(pg.connectionString(), node(name)));
  std::mutex mutex;
  std::vector<std::int64_t> claimed;
  std::vector<std::thread> workers;
  for (auto& q : queues) {
    for (int w = 0; w < 2; ++w) {
      workers.emplace_back([&, queue = q.get()] {
        while (const auto job = queue->claim()) {
          EXPECT_EQ(job->state, JobState::Running);
          EXPECT_TRUE(queue->finish(job->id, JobState::Done, "", {"{}", "sr", "sc", "", {}}));
          const std::lock_guard<std::mutex> lock(mutex);
          claimed.push_back(job->id);
        }
      });
    }
  }
  for (auto& t : workers) t.join();
  ASSERT_EQ(claimed.size(), static_cast<std::size_t>(kJobs));
  EXPECT_EQ(std::set<std::int64_t>(claimed.begin(), claimed.end()).size(), static_cast<std::size_t>(kJobs));
  EXPECT_EQ(queues[0]->count(JobState::Done), kJobs);
  EXPECT_EQ(sqlCount(pg, "SELECT COUNT(*) FROM jobs WHERE attempts <> 1"), 0);  // nobody claimed one twice
}

TEST(SharedQueue, AStoppedNodesClaimsReturnWhenItsLeaseExpires) {
  PostgresServer pg("lease");
  auto a = std::make_unique<JobQueue>(pg.connectionString(), node("a", 1.0));
  JobQueue b(pg.connectionString(), node("b", 1.0));
  // a: one job with a send under way, one job running.
  ASSERT_TRUE(a->enqueue("sent-film", "bundle"));
  const auto first = a->claim();
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(a->finish(first->id, JobState::Done, "", {"{}", "sr", "sc", "", {"modality:PACS"}}));
  const auto due = b.claimDueForwards(1e12, 10);
  EXPECT_EQ(due.size(), 1U);
  EXPECT_TRUE(a->claimDueForwards(1e12, 10).empty());  // b holds that claim
  ASSERT_TRUE(a->enqueue("film", "bundle"));
  const auto running = a->claim();
  ASSERT_TRUE(running.has_value());
  EXPECT_FALSE(b.claim().has_value());  // nothing else queued
  // b's forward claim ends in a send that b's Orthanc runs.
  b.markSending(due[0].id, "orthanc-job-of-b");
  EXPECT_EQ(b.sendingForwards().size(), 1U);
  EXPECT_TRUE(a->sendingForwards().empty());  // the Orthanc job is b's, not a's to follow
  // b does not beat for longer than its lease: a's heartbeat takes b's send back; a renews its own job.
  std::this_thread::sleep_for(std::chrono::milliseconds(1300));
  const auto byA = a->heartbeat(1, "m 1", 3);
  EXPECT_EQ(byA.forwardsRequeued, 1);
  EXPECT_EQ(byA.jobsRequeued, 0);
  const auto resent = a->forwardsOfJob(first->id)[0];
  EXPECT_EQ(resent.state, ForwardState::Pending);
  EXPECT_TRUE(resent.orthancJob.empty());
  EXPECT_NE(resent.reason.find("node b stopped"), std::string::npos) << resent.reason;
  EXPECT_EQ(b.heartbeat(1, "m 1", 3).jobsRequeued, 0);  // a's job: renewed just now
  EXPECT_EQ(b.nodes().size(), 2U);

  // a stops (kill -9): nobody renews its claim; after the lease, b's heartbeat returns it.
  a.reset();
  std::this_thread::sleep_for(std::chrono::milliseconds(1300));
  const auto sweep = b.heartbeat(1, "m 1", 3);
  EXPECT_EQ(sweep.jobsRequeued, 1);
  EXPECT_EQ(sweep.jobsFailed, 0);
  const auto taken = b.claim();
  ASSERT_TRUE(taken.has_value());
  EXPECT_EQ(taken->id, running->id);
  EXPECT_EQ(taken->attempts, 2);
  // a comes back late with its result: it no longer holds the job, nothing is written.
  JobQueue lateA(pg.connectionString(), node("a", 1.0));
  EXPECT_FALSE(lateA.finish(running->id, JobState::Done, "", {"{\"late\": 1}", "sr", "sc", "", {"modality:PACS"}}));
  EXPECT_TRUE(lateA.forwardsOfJob(running->id).empty());
  EXPECT_TRUE(b.finish(taken->id, JobState::Done, "", {"{}", "sr2", "sc2", "", {"modality:PACS"}}));
  const auto done = b.job(running->id);
  EXPECT_EQ(done->state, JobState::Done);
  EXPECT_EQ(done->srInstance, "sr2");
  EXPECT_EQ(b.forwardsOfJob(running->id).size(), 1U);
}

TEST(SharedQueue, AFilmThatStopsEveryNodeFailsOnceItsAttemptsAreSpent) {
  PostgresServer pg("poison");
  JobQueue survivor(pg.connectionString(), node("survivor", 1.0));
  ASSERT_TRUE(survivor.enqueue("poison", "bundle"));
  for (int attempt = 1; attempt <= 2; ++attempt) {
    {
      JobQueue victim(pg.connectionString(), node("victim-" + std::to_string(attempt), 1.0));
      ASSERT_TRUE(victim.claim().has_value());
    }  // the node dies holding it
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));
    const auto sweep = survivor.heartbeat(1, "m", 2);
    EXPECT_EQ(sweep.jobsRequeued + sweep.jobsFailed, 1);
    EXPECT_EQ(sweep.jobsFailed, attempt == 2 ? 1 : 0);
  }
  const auto job = survivor.latestForInstance("poison");
  EXPECT_EQ(job->state, JobState::Failed);
  EXPECT_NE(job->reason.find("victim-2"), std::string::npos) << job->reason;
}

TEST(SharedQueue, ARestartedNodeTakesItsOwnClaimsBackAtOnce) {
  PostgresServer pg("restart");
  JobQueue other(pg.connectionString(), node("other"));
  {
    JobQueue a(pg.connectionString(), node("a"));
    ASSERT_TRUE(a.enqueue("one", "b"));
    ASSERT_TRUE(a.enqueue("two", "b"));
    ASSERT_TRUE(a.claim().has_value());
  }
  ASSERT_TRUE(other.claim().has_value());
  JobQueue restarted(pg.connectionString(), node("a"));
  EXPECT_EQ(restarted.recoverInterrupted(), 1);  // its own, not other's
  EXPECT_EQ(restarted.count(JobState::Running), 1);
  EXPECT_EQ(restarted.count(JobState::Queued), 1);
}

TEST(SharedQueue, EveryNodeReadingTheChangeLogQueuesEachFilmOnce) {
  PostgresServer pg("changes");
  std::vector<std::string> films;
  for (int i = 0; i < 200; ++i) films.push_back("film-" + std::to_string(i));
  std::vector<std::thread> nodes;
  std::atomic<int> queued{0};
  for (int n = 0; n < 3; ++n) {
    nodes.emplace_back([&, n] {
      JobQueue q(pg.connectionString(), node("n" + std::to_string(n)));
      // Pages of 20 films, each node at its own cursor: they overlap all the time.
      for (std::size_t first = 0; first < films.size(); first += 20) {
        const std::vector<std::string> page(films.begin() + static_cast<long>(first),
                                            films.begin() + static_cast<long>(first + 20));
        for (int tries = 0;; ++tries) {
          try {
            queued += q.enqueueChanges(page, "bundle", "changes_cursor:n" + std::to_string(n),
                                       static_cast<std::int64_t>(first + 20));
            break;
          } catch (const sagitta::plugin::QueueError& e) {
            // A racing insert of the same film: the page is read again (as the feed does).
            ASSERT_LT(tries, 5) << e.what();
          }
        }
      }
    });
  }
  for (auto& t : nodes) t.join();
  EXPECT_EQ(queued.load(), 200);
  EXPECT_EQ(sqlCount(pg, "SELECT COUNT(*) FROM jobs"), 200);
  JobQueue q(pg.connectionString(), node("n0"));
  for (int n = 0; n < 3; ++n) EXPECT_EQ(q.setting("changes_cursor:n" + std::to_string(n)).value_or(""), "200");
}

TEST(SharedQueue, ALostServerIsReportedAndTheNextUseReconnects) {
  PostgresServer pg("outage");
  JobQueue q(pg.connectionString(), node("a"));
  ASSERT_TRUE(q.enqueue("film", "b"));
  pg.stop();
  EXPECT_THROW(q.count(JobState::Queued), QueueUnreachable);
  EXPECT_THROW(q.heartbeat(1, "m", 3), QueueUnreachable);
  EXPECT_THROW(JobQueue(pg.connectionString(), node("b")), QueueUnreachable);
  pg.start();
  EXPECT_EQ(q.count(JobState::Queued), 1);  // nothing lost, the connection is made again
  EXPECT_TRUE(q.enqueue("second", "b"));
  EXPECT_EQ(q.heartbeat(1, "m", 3).jobsRequeued, 0);
}

TEST(SharedQueue, HostileTextReviewsAndTheWorklistWorkOnPostgres) {
  PostgresServer pg("review");
  JobQueue q(pg.connectionString(), node("a"));
  // NUL and broken UTF-8 (a reason quoting a damaged file) are stored, never a failed write.
  ASSERT_TRUE(q.enqueue("x'); DROP TABLE jobs; --", "b"));
  auto job = q.claim();
  const std::string hostile = std::string("bad \xff\xfe byte and a NUL") + '\0' + " here";
  ASSERT_TRUE(q.finish(job->id, JobState::Failed, hostile, {}));
  EXPECT_NE(q.job(job->id)->reason.find("bad "), std::string::npos);
  EXPECT_EQ(q.latestForInstance("x'); DROP TABLE jobs; --")->id, job->id);
  // The worklist's flags read the result JSON on PostgreSQL too.
  const auto add = [&](const std::string& instance, const std::string& result, JobState state) {
    EXPECT_TRUE(q.enqueue(instance, "b"));
    const auto j = q.claim();
    EXPECT_TRUE(q.finish(j->id, state, "", {result, "", "", "{}", {}}));
    return j->id;
  };
  const auto clean = add("clean", R"({"withheld": [], "parameters": {"parameters": {"PI": {"value": 50}}}})", JobState::Done);
  const auto warned = add("warned", R"({"withheld": [], "parameters": {"parameters": {"PI": {"warnings": ["w"]}}}})",
                          JobState::Done);
  add("withheld", R"({"withheld": ["SVA"], "parameters": {"parameters": {}}})", JobState::Done);
  add("not-json", "not json at all", JobState::Done);
  EXPECT_EQ(q.worklistCount(false), 4);
  EXPECT_EQ(q.worklistCount(true), 2);
  Review r;
  r.job = warned;
  r.action = ReviewAction::Approve;
  r.reviewer = "qa";
  EXPECT_EQ(q.addReview(r, 0), 1);
  EXPECT_EQ(q.addReview(r, 0), 0);  // based on a stale revision: a conflict
  EXPECT_EQ(q.worklistCount(true), 1);
  EXPECT_EQ(q.latestReview(warned)->reviewer, "qa");
  EXPECT_FALSE(q.latestReview(clean).has_value());
  // Forwards keep their backoff on PostgreSQL.
  ASSERT_TRUE(q.enqueue("sent", "b"));
  const auto s = q.claim();
  ASSERT_TRUE(q.finish(s->id, JobState::Done, "", {"{}", "sr", "sc", "", {"peer:ARCHIVE"}}));
  const auto f = q.claimDueForwards(1e12, 10);
  ASSERT_EQ(f.size(), 1U);
  q.forwardFailed(f[0].id, "refused", Backoff{3, 10.0, 60.0});
  const auto after = q.forwardsOfJob(s->id)[0];
  EXPECT_EQ(after.state, ForwardState::Pending);
  EXPECT_EQ(after.attempts, 1);
  EXPECT_NEAR(after.nextAttempt - after.updated, 10.0, 1e-6);
}

}  // namespace
