// SPDX-License-Identifier: GPL-3.0-or-later
// The plugin's Orthanc-free parts: routing rules, configuration, the durable job queue, the
// measurement endpoint.
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "sagitta/core/construction.hpp"

#include <nlohmann/json.hpp>

#include "sagitta/core/landmarks_json.hpp"
#include "sagitta/core/measurement.hpp"
#include "sagitta/core/measurement_json.hpp"
#include "sagitta/phantom/generator.hpp"
#include "sagitta/plugin/job_queue.hpp"
#include "sagitta/plugin/measure_request.hpp"
#include "sagitta/plugin/plugin_config.hpp"
#include "sagitta/plugin/routing.hpp"
#include "support/scratch.hpp"

namespace sagitta::plugin {
namespace {

namespace fs = std::filesystem;
using sagitta::testing::scratch;

InstanceFacts spineFacts() {
  return {{"Modality", "DX"}, {"SOPClassUID", "1.2.840.10008.5.1.4.1.1.1.1"}, {"BodyPartExamined", "SPINE "},
          {"ViewPosition", "ll"}, {"SeriesDescription", "Whole spine lateral standing"}, {"Rows", "7000"},
          {"RemoteAET", "MODALITY1"}};
}

TEST(Routing, DefaultRulesSelectWholeSpineLateralsOnly) {
  const Router router(defaultRules());
  EXPECT_EQ(router.decide(spineFacts()).action, RouteAction::Analyse);
  auto chest = spineFacts();
  chest["BodyPartExamined"] = "CHEST";
  const auto d = router.decide(chest);
  EXPECT_EQ(d.action, RouteAction::Skip);
  EXPECT_NE(d.reason.find("body part CHEST"), std::string::npos);
  auto ap = spineFacts();
  ap["ViewPosition"] = "AP";
  EXPECT_EQ(router.decide(ap).action, RouteAction::Skip);
  auto ct = spineFacts();
  ct["Modality"] = "CT";
  EXPECT_EQ(router.decide(ct).action, RouteAction::Skip);
  EXPECT_EQ(router.decide({}).action, RouteAction::Skip);
}

TEST(Routing, FirstMatchingRuleDecides) {
  RoutingRule research;
  research.name = "research AE";
  research.action = RouteAction::Skip;
  research.callingAets = {"MODALITY1"};
  RoutingRule byDescription;
  byDescription.name = "description";
  byDescription.seriesDescription = "whole\\s+spine";
  byDescription.minRows = 5000;
  const Router router({research, byDescription});
  auto facts = spineFacts();
  EXPECT_EQ(router.decide(facts).rule, "research AE");
  facts["RemoteAET"] = "OTHER";
  EXPECT_EQ(router.decide(facts).action, RouteAction::Analyse);
  facts["Rows"] = "2000";
  EXPECT_EQ(router.decide(facts).action, RouteAction::Skip);
  facts["Rows"] = "not a number";
  EXPECT_EQ(router.decide(facts).action, RouteAction::Skip);
  RoutingRule broken;
  broken.protocolName = "(";
  EXPECT_THROW(Router({broken}), std::invalid_argument);
}

TEST(PluginConfig, ReadsTheSectionAndRefusesBadValues) {
  const auto bundle = scratch("plugin-core-bundle");
  std::ofstream(bundle / "bundle.json") << "{}";
  const auto config = parsePluginConfig(R"({"StorageDirectory": "/data/orthanc", "Sagitta": {"ModelBundle": ")" +
                                        bundle.string() + R"(", "Workers": 2, "Outputs": {"SecondaryCapture": false},
      "Rules": [{"Name": "dx", "Modality": ["DX"], "Action": "analyse"}]}})");
  EXPECT_TRUE(config.enable);
  EXPECT_EQ(config.workers, 2);
  EXPECT_FALSE(config.writeSecondaryCapture);
  EXPECT_TRUE(config.writeStructuredReport);
  EXPECT_EQ(config.database, "/data/orthanc/sagitta-jobs.db");
  ASSERT_EQ(config.rules.size(), 1U);
  EXPECT_EQ(config.rules[0].modalities[0], "DX");

  EXPECT_FALSE(parsePluginConfig("{}").enable);  // no section: the plugin stays idle
  const auto expectError = [&](const std::string& section, const std::string& fragment) {
    try {
      parsePluginConfig(R"({"Sagitta": )" + section + "}");
      FAIL() << section;
    } catch (const PluginConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  expectError(R"({"ModelBundle": ")" + bundle.string() + R"(", "Workers": 0})", "Workers");
  // A PostgreSQL connection string is the shared queue, never a relative SQLite path.
  for (const char* database : {"postgresql://orthanc@db/sagitta", "postgres://db/sagitta", "host=db dbname=sagitta"}) {
    const auto c = parsePluginConfig(R"({"Sagitta": {"ModelBundle": ")" + bundle.string() + R"(", "Database": ")" +
                                     database + R"(", "Node": "node-a"}})");
    EXPECT_TRUE(c.sharedQueue) << database;
    EXPECT_EQ(c.database, database);
    EXPECT_EQ(c.node, "node-a");
  }
  {
    const auto c = parsePluginConfig(R"({"HttpPort": 8142, "Sagitta": {"ModelBundle": ")" + bundle.string() + R"("}})");
    EXPECT_FALSE(c.sharedQueue);
    EXPECT_NE(c.node.find(":8142"), std::string::npos) << c.node;  // <hostname>:<HttpPort>
    EXPECT_DOUBLE_EQ(c.leaseSeconds, 30.0);
  }
  expectError(R"({"ModelBundle": ")" + bundle.string() + R"(", "LeaseSeconds": 1})", "LeaseSeconds must be 5..3600");
  expectError(R"({"ModelBundle": ")" + bundle.string() + R"(", "Node": "a\nb"})", "Sagitta.Node must be one line");
  expectError(R"({"ModelBundle": ")" + bundle.string() + R"(", "Worker": 1})", "unknown key Sagitta.Worker");
  expectError(R"({"ModelBundle": "/nonexistent"})", "has no bundle.json");
  expectError(R"({})", "ModelBundle is required");
  expectError(R"({"ModelBundle": ")" + bundle.string() + R"(", "Rules": [{"Action": "delete"}]})", "Action");
  expectError(R"({"ModelBundle": ")" + bundle.string() + R"(", "Rules": [{"SeriesDescription": "["}]})", "regular expression");
  expectError(R"({"ModelBundle": ")" + bundle.string() + R"(", "Device": 3})", "wrong type");
  // Numbers: no wrap of a negative into size_t, no truncation of a fraction or a huge value.
  const auto limits = [&](const std::string& body) {
    return R"({"ModelBundle": ")" + bundle.string() + R"(", "Limits": )" + body + "}";
  };
  expectError(limits(R"({"MaxPixels": -1})"), "Sagitta.Limits.MaxPixels must not be negative");
  expectError(limits(R"({"MaxFileMegabytes": -1})"), "Sagitta.Limits.MaxFileMegabytes must not be negative");
  expectError(limits(R"({"MaxFileMegabytes": 4096})"), "MaxFileMegabytes must be 1..2048");
  expectError(limits(R"({"MaxFileMegabytes": 0})"), "MaxFileMegabytes must be 1..2048");
  expectError(limits(R"({"MaxAttempts": 2.5})"), "Sagitta.Limits.MaxAttempts must be a whole number");
  expectError(limits(R"({"MemoryQueue": 4294967298})"), "Sagitta.Limits.MemoryQueue is too large");
  expectError(R"({"ModelBundle": ")" + bundle.string() + R"(", "Workers": -3})", "Workers must be 1..64");
  const auto big = parsePluginConfig(R"({"Sagitta": )" + limits(R"({"MaxFileMegabytes": 2048})") + "}");
  EXPECT_EQ(big.maxFileBytes, std::size_t{2048} << 20U);
}

TEST(JobQueue, OneJobPerInstanceAndBundleWithStates) {
  const auto db = scratch("plugin-core-queue") / "jobs.db";
  JobQueue q(db.string());
  EXPECT_TRUE(q.enqueue("i1", "b"));
  EXPECT_FALSE(q.enqueue("i1", "b"));  // sent twice: one job
  EXPECT_TRUE(q.enqueue("i1", "other-bundle"));
  EXPECT_TRUE(q.enqueue("i2", "b"));
  EXPECT_EQ(q.count(JobState::Queued), 3);
  auto job = q.claim();
  ASSERT_TRUE(job);
  EXPECT_EQ(job->instance, "i1");
  EXPECT_EQ(job->state, JobState::Running);
  EXPECT_EQ(job->attempts, 1);
  q.finish(job->id, JobState::Done, "", {R"({"accepted": true})", "sr", "sc", R"({"inference_s": 0.2})", {}});
  EXPECT_FALSE(q.enqueue("i1", "b"));       // done: not again
  EXPECT_TRUE(q.enqueue("i1", "b", true));  // unless forced
  const auto latest = q.latestForInstance("i1");
  ASSERT_TRUE(latest);
  EXPECT_EQ(q.job(job->id)->timings, R"({"inference_s": 0.2})");
  EXPECT_EQ(q.list(std::nullopt, 2, 0).size(), 2U);
  EXPECT_EQ(q.list(std::nullopt, 2, 2).size(), 1U);
  EXPECT_EQ(q.list(JobState::Done, 10, 0).size(), 0U);
}

TEST(JobQueue, InterruptedJobsReturnAndRetriesAreBounded) {
  const auto db = scratch("plugin-core-recover") / "jobs.db";
  std::int64_t id = 0;
  {
    JobQueue q(db.string());
    q.enqueue("i1", "b");
    id = q.claim()->id;  // the process dies with the job running
  }
  JobQueue q(db.string());
  EXPECT_EQ(q.recoverInterrupted(), 1);
  auto job = q.claim();
  ASSERT_TRUE(job);
  EXPECT_EQ(job->id, id);
  EXPECT_EQ(job->attempts, 2);
  q.retryOrFail(id, "storage unavailable", 3);
  EXPECT_EQ(q.job(id)->state, JobState::Queued);
  q.claim();
  q.retryOrFail(id, "storage unavailable", 3);
  EXPECT_EQ(q.job(id)->state, JobState::Failed);
  EXPECT_EQ(q.job(id)->reason, "storage unavailable");
  q.setSetting("changes_cursor", "42");
  q.setSetting("changes_cursor", "43");
  EXPECT_EQ(*q.setting("changes_cursor"), "43");
  EXPECT_FALSE(q.setting("absent"));
}

TEST(JobQueue, HostileTextIsDataAndConcurrentClaimsNeverShareAJob) {
  const auto db = scratch("plugin-core-hostile") / "jobs.db";
  JobQueue q(db.string());
  const std::string evil = "x'); DROP TABLE jobs; --";
  EXPECT_TRUE(q.enqueue(evil, "b"));
  EXPECT_EQ(q.latestForInstance(evil)->instance, evil);
  for (int i = 0; i < 200; ++i) q.enqueue("i" + std::to_string(i), "b");
  std::vector<std::int64_t> a, b;
  auto worker = [&q](std::vector<std::int64_t>& mine) {
    while (auto job = q.claim()) mine.push_back(job->id);
  };
  std::thread t1(worker, std::ref(a)), t2(worker, std::ref(b));
  t1.join();
  t2.join();
  EXPECT_EQ(a.size() + b.size(), 201U);
  for (const auto id : a) EXPECT_EQ(std::count(b.begin(), b.end(), id), 0);
}

TEST(JobQueue, UnwritableDatabaseIsAClearError) {
  try {
    JobQueue q("/proc/sagitta/jobs.db");
    FAIL() << "opening under /proc must fail";
  } catch (const QueueError& e) {
    EXPECT_NE(std::string(e.what()).find("/proc/sagitta/jobs.db"), std::string::npos);
  }
}


// POST /sagitta/measure answers what the core engine measures on the same points, and a body
// that is not a usable landmarks file with the reason (the REST handler makes it a 400).
TEST(MeasureRequest, AnswersTheCoreMeasurementOrTheReasonItCannot) {
  phantom::GeneratorOptions options;
  options.rows = 900;
  const auto truth = phantom::generateCase(515, 0, options).truth;
  const auto body = core::landmarksToJson(truth);
  const auto answer = nlohmann::json::parse(measureLandmarksJson(body));
  const auto expected = nlohmann::json::parse(core::measurementToJson(core::measure(truth.landmarks, truth.image.calibration)));
  EXPECT_EQ(answer, expected);
  EXPECT_EQ(answer.at("parameters").size(), 18U);

  // A point moved (a reviewer drags S1's anterior corner): the answer moves with it.
  auto moved = nlohmann::json::parse(body);
  for (auto& point : moved.at("landmarks")) {
    if (point.at("id") == "S1_A") point.at("y") = point.at("y").get<double>() - 40.0;
  }
  const auto after = nlohmann::json::parse(measureLandmarksJson(moved.dump()));
  EXPECT_NE(after.at("parameters").at("SS").at("value"), answer.at("parameters").at("SS").at("value"));

  // With ?constructions=true: each measured parameter's lines as the SR draws them (the review
  // page draws these and computes nothing itself).
  const auto drawn = nlohmann::json::parse(measureLandmarksJson(body, true));
  EXPECT_EQ(drawn.at("parameters"), answer.at("parameters"));
  ASSERT_EQ(drawn.at("constructions").size(), 18U) << drawn.at("constructions").dump();
  const auto ss = core::constructionOf(core::ParameterId::SS, truth.landmarks);
  ASSERT_EQ(drawn.at("constructions").at("SS").size(), ss.size());
  EXPECT_DOUBLE_EQ(drawn.at("constructions").at("SS")[0][0].get<double>(), ss[0].x);
  EXPECT_DOUBLE_EQ(drawn.at("constructions").at("SS")[0][1].get<double>(), ss[0].y);

  const auto refused = [](const std::string& text, const std::string& fragment) {
    try {
      measureLandmarksJson(text);
      ADD_FAILURE() << "accepted: " << text.substr(0, 60);
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  refused("", "landmarks file");
  refused("{not json", "JSON");
  refused(std::string(kMaxMeasureBodyBytes + 1, ' '), "larger than");
  auto unknown = nlohmann::json::parse(body);
  unknown.at("landmarks")[0].at("id") = "L9_A";
  refused(unknown.dump(), "L9_A");
}

}  // namespace
}  // namespace sagitta::plugin
