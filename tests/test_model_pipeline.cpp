// SPDX-License-Identifier: GPL-3.0-or-later
// Training runs, bundles and the inference engine, on tiny networks (seconds on a CPU).
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

#include "sagitta/core/errors.hpp"
#include "sagitta/models/bundle.hpp"
#include "sagitta/models/bundle_builder.hpp"
#include "sagitta/models/errors.hpp"
#include "sagitta/models/inference_engine.hpp"
#include "sagitta/models/input_geometry.hpp"
#include "sagitta/models/trainer.hpp"
#include "support/scratch.hpp"

namespace sagitta::models {
namespace {

namespace fs = std::filesystem;
using sagitta::testing::scratch;
using core::LandmarkId;

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

NetworkConfig tinyNetwork() {
  NetworkConfig n;
  n.baseChannels = 4;
  n.pyramidChannels = 8;
  n.blocksPerStage = 0;
  n.inputHeight = 128;
  n.inputWidth = 64;
  return n;
}

// A bundle folder with one tiny, untrained member.
fs::path tinyBundle(const std::string& name) {
  const auto dir = scratch(name);
  torch::manual_seed(1);
  LandmarkNetwork network(tinyNetwork());
  torch::save(network, (dir / "tiny.pt").string());
  BundleManifest m;
  m.name = "tiny";
  m.version = "0.1";
  m.inputHeight = 128;
  m.inputWidth = 64;
  m.members.push_back({"tiny", "tiny.pt", "", tinyNetwork(), "gaussian"});
  writeBundle(dir.string(), m);
  return dir;
}

std::string trainConfig(const fs::path& out, int epochs) {
  return R"({"name": "tiny", "output": ")" + out.string() + R"(",
    "network": {"base_channels": 4, "pyramid_channels": 8, "blocks_per_stage": 0,
                "input_height": 128, "input_width": 64},
    "data": {"phantom": {"seed": 5, "count": 6, "validation_seed": 6, "validation_count": 3, "threads": 1}},
    "training": {"epochs": )" + std::to_string(epochs) + R"(, "batch_size": 3, "threads": 1, "patience": 5}})";
}

TEST(Training, RunsCheckpointsAndResumes) {
  const auto out = scratch("model-pipeline-train") / "run";
  std::ostringstream console;
  const auto first = trainConfig(out, 1);
  auto result = train(parseTrainConfig(first, "."), first, false, console, false);
  EXPECT_EQ(result.epochsRun, 1);
  for (const char* file : {"config.json", "train.log", "history.csv", "state.json", "last.pt", "last-optimizer.pt",
                           "best.pt", "best.json"}) {
    EXPECT_TRUE(fs::exists(out / file)) << file;
  }
  // A second start without --resume must not overwrite the run.
  EXPECT_THROW(train(parseTrainConfig(first, "."), first, false, console, false), ConfigError);
  const auto second = trainConfig(out, 2);
  result = train(parseTrainConfig(second, "."), second, true, console, false);
  EXPECT_EQ(result.epochsRun, 2);
  EXPECT_NE(read(out / "train.log").find("resumed after epoch 1"), std::string::npos);
  std::istringstream history(read(out / "history.csv"));
  std::string line;
  int lines = 0;
  while (std::getline(history, line)) ++lines;
  EXPECT_EQ(lines, 3);  // header + two epochs
  EXPECT_NE(console.str().find("validation selection error"), std::string::npos);
}

// Two tiny runs packaged as the `sagitta bundle` command does: both scored on the first run's
// validation films, the better of single and ensemble kept, the gate set from the spreads.
TEST(Bundle, BuiltFromTrainingRunsRecordsTheSelectionAndCalibratesTheGate) {
  const auto dir = scratch("model-pipeline-build");
  std::ostringstream console;
  std::vector<fs::path> runs;
  for (const char* name : {"tiny-a", "tiny-b"}) {
    auto config = nlohmann::json::parse(trainConfig(dir / name, 1));
    config["name"] = name;
    config["network"]["base_channels"] = std::string(name) == "tiny-a" ? 4 : 6;
    train(parseTrainConfig(config.dump(), "."), config.dump(), false, console, false);
    runs.push_back(dir / name);
  }
  BundleBuildOptions options;
  options.members = runs;
  options.out = dir / "bundle";
  options.name = "tiny-pair";
  options.version = "0.0.1";
  options.commit = "abc123";
  std::ostringstream log;
  const auto built = buildBundle(options, log);
  const auto bundle = loadBundle(options.out.string(), torch::kCPU);
  EXPECT_EQ(bundle.sha256, built.sha256);
  EXPECT_EQ(bundle.manifest.name, "tiny-pair");
  EXPECT_EQ(bundle.manifest.sourceCommit, "abc123");
  const auto metrics = nlohmann::json::parse(built.metricsJson);
  EXPECT_EQ(metrics.at("validation_images").get<int>(), 3);
  for (const char* key : {"tiny-a", "tiny-b", "ensemble"}) EXPECT_TRUE(metrics.at("validation").contains(key)) << key;
  // The ensemble is kept exactly when it scores better than the best single member.
  const auto error = [&](const char* key) { return metrics.at("validation").at(key).at("selection_error").get<double>(); };
  const bool ensemble = error("ensemble") < std::min(error("tiny-a"), error("tiny-b"));
  EXPECT_EQ(bundle.manifest.members.size(), ensemble ? 2U : 1U);
  EXPECT_EQ(built.kept, ensemble ? "ensemble of two" : "single member");
  if (!ensemble) {
    EXPECT_EQ(bundle.manifest.members[0].name, error("tiny-a") <= error("tiny-b") ? "tiny-a" : "tiny-b");
  }
  // The gate's threshold: at least twice the 99th percentile of the validation spreads, and
  // above the largest.
  const auto& gate = metrics.at("gate_calibration");
  EXPECT_GE(bundle.manifest.gate.maxMedianSpreadPx, 2.0 * gate.at("median_spread_px_p99").get<double>() - 1e-9);
  EXPECT_GT(bundle.manifest.gate.maxMedianSpreadPx, gate.at("median_spread_px_max").get<double>());
  const auto training = nlohmann::json::parse(bundle.manifest.trainingJson);
  EXPECT_EQ(training.at("members")[0].at("command").get<std::string>().rfind("sagitta train --config", 0), 0U);

  options.members = {runs[0], runs[1], runs[0]};
  EXPECT_THROW(buildBundle(options, log), core::InvalidInput);
  options.members = {dir / "not-a-run"};
  EXPECT_THROW(buildBundle(options, log), core::InvalidInput);
  auto wider = nlohmann::json::parse(trainConfig(dir / "wider", 1));
  wider["network"]["input_width"] = 96;
  train(parseTrainConfig(wider.dump(), "."), wider.dump(), false, console, false);
  options.members = {runs[0], dir / "wider"};
  EXPECT_THROW(buildBundle(options, log), core::InvalidInput);
}

TEST(Bundle, LoadsAndValidates) {
  const auto dir = tinyBundle("ok");
  const auto bundle = loadBundle(dir.string(), torch::kCPU);
  EXPECT_EQ(bundle.networks.size(), 1U);
  EXPECT_EQ(bundle.sha256.size(), 64U);
  EXPECT_EQ(bundle.manifest.members[0].sha256, fileSha256((dir / "tiny.pt").string()));
  const auto again = manifestFromJson(manifestToJson(bundle.manifest));
  EXPECT_EQ(again.members[0].network.baseChannels, 4);
}

void expectBundleError(const fs::path& dir, const std::string& fragment) {
  try {
    loadBundle(dir.string(), torch::kCPU);
    FAIL() << "expected a BundleError mentioning " << fragment;
  } catch (const BundleError& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

TEST(Bundle, RefusesWrongTruncatedAndMismatchedFiles) {
  expectBundleError(scratch("model-pipeline-none"), "no bundle.json");

  auto dir = tinyBundle("tampered");
  std::ofstream(dir / "tiny.pt", std::ios::app) << "x";
  expectBundleError(dir, "sha256");

  dir = tinyBundle("truncated");
  const auto text = read(dir / "bundle.json");
  std::ofstream(dir / "bundle.json", std::ios::trunc) << text.substr(0, text.size() / 2);
  expectBundleError(dir, "not valid JSON");

  dir = tinyBundle("version");
  auto json = nlohmann::json::parse(read(dir / "bundle.json"));
  json["format_version"] = 99;
  std::ofstream(dir / "bundle.json", std::ios::trunc) << json.dump();
  expectBundleError(dir, "format version 99");

  dir = tinyBundle("order");
  json = nlohmann::json::parse(read(dir / "bundle.json"));
  std::swap(json["landmarks"][0], json["landmarks"][1]);
  std::ofstream(dir / "bundle.json", std::ios::trunc) << json.dump();
  expectBundleError(dir, "landmark order");

  // Weights of another width under a manifest that claims this one.
  dir = tinyBundle("mismatch");
  auto wide = tinyNetwork();
  wide.baseChannels = 8;
  LandmarkNetwork other(wide);
  torch::save(other, (dir / "tiny.pt").string());
  json = nlohmann::json::parse(read(dir / "bundle.json"));
  json["members"][0]["sha256"] = fileSha256((dir / "tiny.pt").string());
  std::ofstream(dir / "bundle.json", std::ios::trunc) << json.dump();
  expectBundleError(dir, "do not fit");

  dir = tinyBundle("escape");
  json = nlohmann::json::parse(read(dir / "bundle.json"));
  json["members"][0]["file"] = "../tiny.pt";
  std::ofstream(dir / "bundle.json", std::ios::trunc) << json.dump();
  expectBundleError(dir, "plain names");
}

TEST(InferenceEngine, SourceCoordinatesSigmaAndBatches) {
  InferenceEngine engine(tinyBundle("engine").string(), {"cpu", 1, 2});
  const cv::Mat tall(1000, 400, CV_8U, cv::Scalar(90));
  cv::Mat other = tall.clone();
  cv::circle(other, {200, 500}, 50, cv::Scalar(250), cv::FILLED);
  const auto calibrated = core::Calibration::fromSpacing(core::CalibrationKind::PixelSpacing, 0.2, 0.2);
  const auto single = engine.predict(other, calibrated);
  const auto batch = engine.predictBatch({tall, other, tall}, {core::Calibration::uncalibrated(), calibrated, calibrated});
  ASSERT_EQ(batch.size(), 3U);
  EXPECT_EQ(single.landmarks.size(), core::kLandmarkCount);
  for (const auto& info : core::landmarkCatalogue()) {
    const auto& a = *single.landmarks.get(info.id);
    const auto& b = *batch[1].landmarks.get(info.id);
    EXPECT_NEAR(a.x, b.x, 1e-3);  // batching does not change an image's answer
    EXPECT_NEAR(a.y, b.y, 1e-3);
    // Letterboxed 1000 x 400 into 128 x 64: x within the image's columns, y within its rows.
    EXPECT_GE(a.x, -1.0);
    EXPECT_LE(a.x, 401.0);
    ASSERT_TRUE(a.sigmaMm.has_value());
    EXPECT_NEAR(*a.sigmaMm, single.spreadPx[core::indexOf(info.id)] * 0.2, 0.05 * *a.sigmaMm + 1e-9);
    EXPECT_FALSE(batch[0].landmarks.get(info.id)->sigmaMm.has_value());  // uncalibrated: no mm
  }
  EXPECT_GT(single.medianSpreadInputPx, 0.0);
  EXPECT_THROW(InferenceEngine(tinyBundle("engine2").string(), {"cuda:7", 1, 2}), DeviceError);
}

Prediction spinePrediction(const cv::Size& image) {
  // Centres evenly down the middle 70 % of the film, corners near them.
  Prediction p;
  for (const auto& info : core::landmarkCatalogue()) p.landmarks.set(info.id, {image.width / 2.0, image.height / 2.0, std::nullopt});
  int level = 0;
  for (auto id = LandmarkId::C2_C; id <= LandmarkId::L5_C; id = static_cast<LandmarkId>(static_cast<int>(id) + 1)) {
    p.landmarks.set(id, {image.width / 2.0, image.height * (0.1 + 0.03 * level++), std::nullopt});
  }
  p.medianSpreadInputPx = 1.0;
  return p;
}

// The thresholds that production uses: the shipped bundle's, not the struct's defaults.
GateThresholds shippedThresholds() {
  std::ifstream in(std::string(SAGITTA_SHIPPED_BUNDLE) + "/bundle.json");
  std::stringstream text;
  text << in.rdbuf();
  return manifestFromJson(text.str()).gate;
}

TEST(Gate, JudgesShapeContrastConfidenceAndAnatomy) {
  cv::Mat film(3000, 1000, CV_8U);
  cv::randu(film, 0, 255);
  const GateThresholds t = shippedThresholds();
  ASSERT_GT(t.maxMedianSpreadPx, GateThresholds{}.maxMedianSpreadPx);  // really the bundle's (48.1 px)
  EXPECT_TRUE(judge(film, spinePrediction(film.size()), t).accepted);

  cv::Mat square(1000, 1000, CV_8U);
  cv::randu(square, 0, 255);
  auto v = judge(square, spinePrediction(square.size()), t);
  EXPECT_FALSE(v.accepted);
  EXPECT_NE(v.reasons[0].find("not a long-length film"), std::string::npos);

  v = judge(cv::Mat(3000, 1000, CV_8U, cv::Scalar(7)), spinePrediction(film.size()), t);
  EXPECT_FALSE(v.accepted);
  EXPECT_NE(v.reasons[0].find("blank"), std::string::npos);

  auto unsure = spinePrediction(film.size());
  unsure.medianSpreadInputPx = t.maxMedianSpreadPx * 0.99;
  EXPECT_TRUE(judge(film, unsure, t).accepted);
  unsure.medianSpreadInputPx = t.maxMedianSpreadPx * 1.01;
  v = judge(film, unsure, t);
  ASSERT_EQ(v.reasons.size(), 1U);
  EXPECT_NE(v.reasons[0].find("not confident"), std::string::npos);

  auto shuffled = spinePrediction(film.size());
  for (int i = 0; i < 8; ++i) {
    const auto id = static_cast<LandmarkId>(static_cast<int>(LandmarkId::C2_C) + 2 * i);
    auto l = *shuffled.landmarks.get(id);
    l.y = 2900.0 - 100.0 * i;
    shuffled.landmarks.set(id, l);
  }
  v = judge(film, shuffled, t);
  EXPECT_FALSE(v.accepted);
  EXPECT_NE(v.reasons[0].find("out of order"), std::string::npos);
}

}  // namespace
}  // namespace sagitta::models
