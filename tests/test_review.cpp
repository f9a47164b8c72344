// SPDX-License-Identifier: GPL-3.0-or-later
// The review's parts that need no model: the decision body, the reviewer from Basic
// credentials, per-landmark changes, and the queue's review history, worklist and retention.
#include <sqlite3.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "sagitta/core/landmark_catalogue.hpp"
#include "sagitta/plugin/job_queue.hpp"
#include "sagitta/plugin/review.hpp"
#include "support/scratch.hpp"

namespace sagitta::plugin {
namespace {

const char* kLandmarks = R"({"image": {"columns": 100, "rows": 200, "pixel_spacing_mm": null, "calibration": "none"},
                             "landmarks": [{"id": "S1_A", "x": 10, "y": 20}]})";

TEST(ReviewRequest, ReadsEachDecisionAndRefusesWhatIsMalformed) {
  const auto approve = parseReviewRequest(R"({"action": "approve", "based_on": 0, "reviewer": "Dr A"})");
  EXPECT_EQ(approve.action, ReviewAction::Approve);
  EXPECT_EQ(approve.basedOn, 0);
  EXPECT_EQ(approve.reviewer, "Dr A");
  EXPECT_FALSE(approve.landmarks);
  const auto correct = parseReviewRequest(std::string(R"({"action": "correct", "based_on": 2, "landmarks": )") + kLandmarks + "}");
  ASSERT_TRUE(correct.landmarks);
  EXPECT_EQ(correct.basedOn, 2);
  EXPECT_DOUBLE_EQ(correct.landmarks->landmarks.at(core::LandmarkId::S1_A).y, 20.0);
  EXPECT_EQ(parseReviewRequest(R"({"action": "reject", "based_on": 1, "reason": "not a lateral"})").reason, "not a lateral");

  const auto reason = [](const std::string& body) {
    try {
      parseReviewRequest(body);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_EQ(reason(""), "the body must be a JSON review decision (docs/PLUGIN.md)");
  EXPECT_EQ(reason("{"), "the body is not JSON");
  EXPECT_EQ(reason(R"({"action": "delete", "based_on": 0})"), "action must be approve, correct or reject");
  EXPECT_EQ(reason(R"({"action": "approve"})"), "based_on must be the revision you reviewed (0 for the automatic result)");
  EXPECT_EQ(reason(R"({"action": "approve", "based_on": -1})"), "based_on must be the revision you reviewed (0 for the automatic result)");
  EXPECT_EQ(reason(R"({"action": "reject", "based_on": 0, "reason": "  "})"), "a rejection needs a reason");
  EXPECT_EQ(reason(R"({"action": "correct", "based_on": 0})"), "correct needs the corrected landmarks file");
  EXPECT_EQ(reason(R"({"action": "approve", "based_on": 0, "extra": 1})"), "unknown key extra");
  EXPECT_EQ(reason(std::string(R"({"action": "approve", "based_on": 0, "landmarks": )") + kLandmarks + "}"),
            "landmarks belong to correct only (approve keeps the points as they are)");
  EXPECT_EQ(reason(R"({"action": "correct", "based_on": 0, "landmarks": {"landmarks": [{"id": "NOPE", "x": 1, "y": 2}]}})")
                .rfind("landmarks: ", 0),
            0U);
  EXPECT_EQ(reason(R"({"action": "approve", "based_on": 0, "reviewer": 7})"), "reviewer must be a string");
}

TEST(ReviewRequest, TheReviewerComesFromBasicCredentials) {
  EXPECT_EQ(basicAuthUser("Basic YWxpY2U6c2VjcmV0"), "alice");  // alice:secret
  EXPECT_EQ(basicAuthUser("Basic Ym9iOg=="), "bob");            // bob: (empty password)
  EXPECT_EQ(basicAuthUser("Bearer abc.def"), "");
  EXPECT_EQ(basicAuthUser("Basic !!!"), "");
  EXPECT_EQ(basicAuthUser("Basic bm9jb2xvbg=="), "");  // "nocolon"
  EXPECT_EQ(basicAuthUser(""), "");
  // A long header (the fuzzer's regression: the decoder's buffer once overflowed an int).
  EXPECT_EQ(basicAuthUser("Basic YWxpY2Utd2l0aC1hLXZlcnktbG9uZy11c2VyLW5hbWU6YW5kLWEtbG9uZy1wYXNzd29yZA=="),
            "alice-with-a-very-long-user-name");
}

TEST(ReviewRequest, ChangesListEachMovedAddedAndRemovedLandmark) {
  core::LandmarkSet before, after;
  before.set(core::LandmarkId::S1_A, {10.0, 20.0, 1.5});
  before.set(core::LandmarkId::S1_P, {30.0, 40.0, std::nullopt});
  before.set(core::LandmarkId::FH_A, {50.0, 60.0, std::nullopt});
  after.set(core::LandmarkId::S1_A, {10.004, 20.0, std::nullopt});  // the same point
  after.set(core::LandmarkId::S1_P, {31.0, 42.5, std::nullopt});     // moved
  after.set(core::LandmarkId::C2_DENS, {5.0, 6.0, std::nullopt});    // added; FH_A removed
  const auto changes = nlohmann::json::parse(landmarkChanges(before, after));
  ASSERT_EQ(changes.size(), 3U) << changes.dump();
  EXPECT_EQ(changes[0]["id"], "C2_DENS");
  EXPECT_TRUE(changes[0]["from"].is_null());
  EXPECT_EQ(changes[0]["to"], nlohmann::json::array({5.0, 6.0}));
  EXPECT_EQ(changes[1]["id"], "S1_P");
  EXPECT_EQ(changes[1]["from"], nlohmann::json::array({30.0, 40.0}));
  EXPECT_EQ(changes[1]["to"], nlohmann::json::array({31.0, 42.5}));
  EXPECT_EQ(changes[2]["id"], "FH_A");
  EXPECT_TRUE(changes[2]["to"].is_null());
  EXPECT_EQ(landmarkChanges(before, before), "[]");
}

// A result as the service leaves it (models::analysisToJson, compact).
std::string result(bool accepted, const char* extra = "") {
  return std::string(R"({"accepted": )") + (accepted ? "true" : "false") + R"(, "reasons": [], "withheld": [])" + extra +
         R"(, "model": {"name": "m", "version": "1", "sha256": "b"}, "landmarks": {"landmarks": []},)" +
         R"( "parameters": {"calibration": "none", "parameters": {"PI": {"value": 50, "unit": "deg"}}}})";
}

TEST(ReviewQueue, RevisionsAreSequentialAStaleDecisionIsRefusedAndReviewsOutliveRetention) {
  const auto dir = testing::scratch("review-queue");
  JobQueue q((dir / "jobs.db").string());
  ASSERT_TRUE(q.enqueue("film", "b"));
  const auto job = q.claim();
  ASSERT_TRUE(job);
  q.finish(job->id, JobState::Done, "", {result(true), "sr", "sc", "{}", {}});

  Review r;
  r.job = job->id;
  r.action = ReviewAction::Correct;
  r.reviewer = "Dr A";
  r.changes = R"([{"id": "S1_A", "from": [1, 2], "to": [3, 4]}])";
  EXPECT_EQ(q.addReview(r, 0), 1);
  EXPECT_EQ(q.addReview(r, 0), 0);  // someone reviewed revision 0 already
  r.action = ReviewAction::Reject;
  r.reason = "wrong film";
  EXPECT_EQ(q.addReview(r, 1), 2);
  const auto history = q.reviewsOfJob(job->id);
  ASSERT_EQ(history.size(), 2U);
  EXPECT_EQ(history[0].action, ReviewAction::Correct);
  EXPECT_EQ(history[0].changes, r.changes);
  EXPECT_EQ(history[1].reason, "wrong film");
  EXPECT_EQ(q.latestReview(job->id)->revision, 2);
  EXPECT_TRUE(q.instanceReviewed("film"));
  EXPECT_FALSE(q.instanceReviewed("other"));

  // Retention deletes finished jobs, never a reviewed one: it is the audit trail.
  ASSERT_TRUE(q.enqueue("unreviewed", "b"));
  const auto other = q.claim();
  q.finish(other->id, JobState::Done, "", {result(true), "", "", "{}", {}});
  EXPECT_EQ(q.prune(1e12), 1);
  EXPECT_TRUE(q.job(job->id));
  EXPECT_FALSE(q.job(other->id));
  EXPECT_EQ(q.reviewsOfJob(job->id).size(), 2U);
}

TEST(ReviewQueue, TheWorklistFlagsWhatNeedsReview) {
  const auto dir = testing::scratch("review-worklist");
  JobQueue q((dir / "jobs.db").string());
  const auto finishAs = [&](const std::string& instance, JobState state, const std::string& json) {
    q.enqueue(instance, "b");
    const auto job = q.claim();
    q.finish(job->id, state, state == JobState::Skipped ? "not measured: x" : "", {json, "", "", "{}", {}});
    return job->id;
  };
  const auto clean = finishAs("clean", JobState::Done, result(true));
  const auto refused = finishAs("refused", JobState::Skipped, result(false));
  const auto warned = finishAs(
      "warned", JobState::Done,
      R"({"accepted": true, "reasons": [], "withheld": [], "model": {}, "landmarks": {"landmarks": []}, "parameters": )"
      R"({"calibration": "none", "parameters": {"SVA": {"value": 3, "unit": "px", "warnings": ["uncalibrated"]}}}})");
  const auto withheld = finishAs(
      "withheld", JobState::Done,
      R"({"accepted": true, "reasons": [], "withheld": ["PT"], "model": {}, "landmarks": {"landmarks": []}, "parameters": )"
      R"({"calibration": "none", "parameters": {}}})");
  finishAs("routing", JobState::Skipped, "");  // skipped by routing: no result, not in the worklist
  finishAs("not-json", JobState::Done, "{truncated");  // never written so, but must not break the list

  EXPECT_EQ(q.worklistCount(false), 5);
  const auto all = q.worklist(false, 10, 0);
  ASSERT_EQ(all.size(), 5U);
  EXPECT_EQ(all[1].job.id, withheld);  // newest first
  EXPECT_EQ(q.worklistCount(true), 3);
  std::vector<std::int64_t> flagged;
  for (const auto& e : q.worklist(true, 10, 0)) flagged.push_back(e.job.id);
  EXPECT_EQ(flagged, (std::vector<std::int64_t>{withheld, warned, refused}));
  EXPECT_EQ(q.worklist(false, 2, 4).size(), 1U);

  // A reviewed film no longer needs review; the worklist shows its latest decision.
  Review r;
  r.job = refused;
  r.action = ReviewAction::Reject;
  r.reviewer = "Dr B";
  r.reason = "AP film";
  ASSERT_EQ(q.addReview(r, 0), 1);
  EXPECT_EQ(q.worklistCount(true), 2);
  for (const auto& e : q.worklist(false, 4, 1)) {
    EXPECT_EQ(e.latest.has_value(), e.job.id == refused);
    if (e.latest) {
      EXPECT_EQ(e.latest->reason, "AP film");
    }
  }
  EXPECT_TRUE(q.reviewedSince(0).empty());  // a rejection is not training data
  r.job = clean;
  r.action = ReviewAction::Approve;
  ASSERT_EQ(q.addReview(r, 0), 1);
  ASSERT_EQ(q.reviewedSince(0).size(), 1U);
  EXPECT_EQ(q.reviewedSince(0)[0].job.id, clean);
}

TEST(ReviewRequest, SinceIsADateInUtc) {
  EXPECT_EQ(parseSinceDate(""), 0.0);
  EXPECT_EQ(parseSinceDate("1970-01-02"), 86400.0);
  EXPECT_EQ(parseSinceDate("2026-12-01"), 1796083200.0);
  EXPECT_EQ(parseSinceDate("2026-12-01T06:30:00Z"), 1796083200.0 + 6.5 * 3600.0);
  for (const char* bad : {"yesterday", "2026-13-01", "2026-12-01 06:30", "2026-12-01T06:30:00", "1969-12-31", "2026-1-01"}) {
    EXPECT_THROW(parseSinceDate(bad), std::invalid_argument) << bad;
  }
}

// A queue database from before reviews (forwards unique per job and destination) opens with its
// forwards intact, and a review then adds its own forward to the same destination.
TEST(ReviewQueue, AnOlderDatabaseGainsPerRevisionForwards) {
  const auto dir = testing::scratch("review-migration");
  const auto path = (dir / "jobs.db").string();
  {
    JobQueue q(path);  // today's schema, then the forwards table put back as it was (and the version, 0)
    ASSERT_TRUE(q.enqueue("film", "b"));
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  const char* old =
      "DROP TABLE forwards; CREATE TABLE forwards (id INTEGER PRIMARY KEY AUTOINCREMENT, job_id INTEGER NOT NULL "
      "REFERENCES jobs(id), destination TEXT NOT NULL, resources TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT "
      "NULL DEFAULT 0, next_attempt REAL NOT NULL, created REAL NOT NULL, updated REAL NOT NULL, orthanc_job TEXT NOT NULL "
      "DEFAULT '', reason TEXT NOT NULL DEFAULT '', UNIQUE(job_id, destination)); INSERT INTO forwards (job_id, destination, "
      "resources, state, attempts, next_attempt, created, updated) VALUES (1, 'modality:PACS', 'sr sc', 'sent', 1, 0, 0, 0); "
      "PRAGMA user_version = 0";
  ASSERT_EQ(sqlite3_exec(db, old, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close(db);

  JobQueue q(path);
  auto forwards = q.forwardsOfJob(1);
  ASSERT_EQ(forwards.size(), 1U);
  EXPECT_EQ(forwards[0].state, ForwardState::Sent);
  EXPECT_EQ(forwards[0].revision, 0);
  Review r;
  r.job = 1;
  r.action = ReviewAction::Correct;
  r.reviewer = "Dr C";
  r.srInstance = "sr2";
  r.scInstance = "sc2";
  ASSERT_EQ(q.addReview(r, 0, {"modality:PACS"}), 1);
  forwards = q.forwardsOfJob(1);
  ASSERT_EQ(forwards.size(), 2U);
  EXPECT_EQ(forwards[1].revision, 1);
  EXPECT_EQ(forwards[1].state, ForwardState::Pending);
  EXPECT_EQ(forwards[1].resources, (std::vector<std::string>{"sr2", "sc2"}));
  EXPECT_EQ(q.countForwardsByState()["pending"], 1);
}

}  // namespace
}  // namespace sagitta::plugin
