// SPDX-License-Identifier: GPL-3.0-or-later
// The local refiner: patch geometry, network, configuration, training run, bundle and engine.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

#include "sagitta/models/bundle.hpp"
#include "sagitta/models/errors.hpp"
#include "sagitta/models/head_pair.hpp"
#include "sagitta/models/head_set_loss.hpp"
#include "sagitta/models/inference_engine.hpp"
#include "sagitta/models/patch.hpp"
#include "sagitta/models/refine_landmarks.hpp"
#include "sagitta/models/refiner_trainer.hpp"
#include "support/scratch.hpp"

namespace sagitta::models::refiner_tests {
namespace {

namespace fs = std::filesystem;
using sagitta::testing::scratch;

// The patch position of the brightest pixel centre, in patch continuous coordinates.
cv::Point2d brightest(const Patch& patch) {
  const auto flat = patch.input[0].argmax().item<int64_t>();
  const auto side = patch.input.size(2);
  return {static_cast<double>(flat % side) + 0.5, static_cast<double>(flat / side) + 0.5};
}

TEST(Patch, MapsSourceToPatchAndBackWithRotationScaleAndMirror) {
  cv::Mat film(3000, 1200, CV_8U, cv::Scalar(40));
  const cv::Point2d dot(700.0, 1800.0);  // continuous coordinates of the dot's centre
  cv::circle(film, {700, 1800}, 6, cv::Scalar(250), cv::FILLED);  // pixel 700 covers 700..701
  for (const bool flip : {false, true}) {
    PatchAugmentation a;
    a.rotationDeg = 17.0;
    a.scale = 1.1;
    a.flip = flip;
    const auto patch = extractPatch(film, dot + cv::Point2d(40.0, -25.0), 300.0, 64, a);
    EXPECT_EQ(patch.input.sizes(), (std::vector<int64_t>{1, 64, 64}));
    const auto back = patch.patchToSource(patch.sourceToPatch({123.4, 2345.6}));
    EXPECT_NEAR(back.x, 123.4, 1e-6);
    EXPECT_NEAR(back.y, 2345.6, 1e-6);
    // 300 source px over 64 patch px (x1.1): the dot's centre is found within one patch pixel.
    const auto found = patch.patchToSource(brightest(patch));
    EXPECT_LT(cv::norm(found - (dot + cv::Point2d(0.5, 0.5))), 300.0 * 1.1 / 64.0 * 1.5) << "flip " << flip;
    // The offset of the centre puts the dot off the patch centre by the offset, scaled.
    const auto q = patch.sourceToPatch(dot);
    EXPECT_NEAR(cv::norm(q - cv::Point2d(32.0, 32.0)), std::hypot(40.0, 25.0) * 64.0 / 330.0, 1e-6);
  }
}

TEST(Patch, SameFieldGivesTheSamePatchAtAnyResolution) {
  // A scene drawn at 3000 and at 1000 rows: the patch of the same field matches.
  auto draw = [](int rows) {
    cv::Mat film(rows, rows / 3, CV_8U, cv::Scalar(30));
    const double s = rows / 3000.0;
    cv::rectangle(film, cv::Point2d(300 * s, 1400 * s), cv::Point2d(500 * s, 1550 * s), cv::Scalar(200), cv::FILLED);
    cv::circle(film, cv::Point2d(650 * s, 1500 * s), static_cast<int>(60 * s), cv::Scalar(140), cv::FILLED);
    return film;
  };
  const auto big = extractPatch(draw(3000), {450.0, 1500.0}, 480.0, 64);
  const auto small = extractPatch(draw(1000), {150.0, 500.0}, 160.0, 64);
  const double correlation = (big.input * small.input).mean().item<double>();  // both unit variance
  EXPECT_GT(correlation, 0.95);
}

TEST(Patch, EdgesAndPointsOffTheFilmAreSafe) {
  const cv::Mat film(400, 200, CV_8U, cv::Scalar(120));
  const auto edge = extractPatch(film, {0.0, 0.0}, 100.0, 32);
  EXPECT_TRUE(torch::isfinite(edge.input).all().item<bool>());
  EXPECT_EQ(edge.input[0][0][0].item<float>(), 0.0F);  // outside the film: padding
  const auto away = extractPatch(film, {-5000.0, 1e6}, 100.0, 32);
  EXPECT_EQ(away.input.abs().sum().item<float>(), 0.0F);
}

TEST(RefinerNetwork, ShapesChannelSelectionAndFlops) {
  RefinerConfig c;
  c.patchSize = 32;
  c.baseChannels = 4;
  c.pyramidChannels = 8;
  torch::manual_seed(3);
  RefinerNetwork net(c);
  const auto logits = net->forward(torch::randn({3, 1, 32, 32}));
  EXPECT_EQ(logits.sizes(), (std::vector<int64_t>{3, 45, 16, 16}));
  const auto picked = selectChannels(logits, torch::tensor({5, 0, 44}));
  EXPECT_EQ(picked.sizes(), (std::vector<int64_t>{3, 1, 16, 16}));
  EXPECT_TRUE(torch::equal(picked[2][0], logits[2][44]));
  EXPECT_TRUE(torch::equal(picked[0][0], logits[0][5]));
  auto twice = c;
  twice.patchSize = 64;
  EXPECT_NEAR(refinerFlops(twice) / refinerFlops(c), 4.0, 1e-9);
  EXPECT_NEAR(fieldSourcePx(6000, 2000, 512, 288, c), 32.0 * 6000.0 / 512.0, 1e-9);  // tall: rows decide
  EXPECT_NEAR(fieldSourcePx(1000, 1000, 512, 288, c), 32.0 * 1000.0 / 288.0, 1e-9);  // square: columns decide
}

TEST(RefinerNetwork, LearnsToMoveOntoADot) {
  // Patches of dots off centre; 80 Adam steps bring the Wing loss of the selected channel down.
  torch::manual_seed(5);
  RefinerConfig c;
  c.patchSize = 32;
  c.baseChannels = 8;
  c.pyramidChannels = 16;
  RefinerNetwork net(c);
  std::mt19937_64 rng(9);
  std::uniform_real_distribution<double> offset(-8.0, 8.0);
  std::vector<torch::Tensor> inputs;
  std::vector<float> targets;
  for (int b = 0; b < 16; ++b) {
    cv::Mat film(200, 200, CV_8U, cv::Scalar(20));
    const cv::Point2d dot(100.0 + offset(rng), 100.0 + offset(rng));
    cv::circle(film, cv::Point(static_cast<int>(dot.x), static_cast<int>(dot.y)), 2, cv::Scalar(240), cv::FILLED);
    const auto patch = extractPatch(film, {100.0, 100.0}, 32.0, 32);
    const auto q = patch.sourceToPatch({std::floor(dot.x) + 0.5, std::floor(dot.y) + 0.5});
    inputs.push_back(patch.input);
    targets.push_back(static_cast<float>(q.x / 16.0 - 1.0));
    targets.push_back(static_cast<float>(q.y / 16.0 - 1.0));
  }
  const auto x = torch::stack(inputs);
  const auto t = torch::tensor(targets).view({16, 1, 2});
  const auto channels = torch::full({16}, 7, torch::kLong);
  torch::optim::Adam optimiser(net->parameters(), torch::optim::AdamOptions(3e-3));
  double first = 0.0, last = 0.0;
  for (int step = 0; step < 80; ++step) {
    optimiser.zero_grad();
    const auto r = dsnt(selectChannels(net->forward(x), channels));
    const auto loss = wing((r.coordinates - t) * 16.0).sum(-1).mean();
    loss.backward();
    optimiser.step();
    (step == 0 ? first : last) = loss.item<double>();
  }
  EXPECT_LT(last, 0.5 * first) << "first " << first << " last " << last;
}

TEST(RefinerLoss, CountsVisibleLandmarksOnlyAndTakesTheHeadsUnordered) {
  // Two channels standing for the femoral heads, one ordinary channel; heatmaps 8 x 8.
  LossConfig c;
  c.inputWidth = c.inputHeight = 16.0;
  c.femoralHeadA = 0;
  c.femoralHeadB = 1;
  c.target = HeatmapTarget::None;
  auto logits = torch::full({1, 3, 8, 8}, -20.0);
  logits[0][0][2][2] = 20.0;  // head A's map peaks where head B is
  logits[0][1][6][6] = 20.0;  // and the other way round
  logits[0][2][4][4] = 20.0;
  const auto at = [](double col, double row) { return std::vector<float>{static_cast<float>((2.0 * col + 1.0) / 8.0 - 1.0),
                                                                          static_cast<float>((2.0 * row + 1.0) / 8.0 - 1.0)}; };
  std::vector<float> t;
  for (const auto& p : {at(6, 6), at(2, 2), at(4, 4)}) t.insert(t.end(), p.begin(), p.end());
  const auto targets = torch::tensor(t).view({1, 3, 2});
  EXPECT_NEAR(singleStageLoss(logits, targets, torch::ones({1, 3}), c).total.item<double>(), 0.0, 1e-3);
  // With head B unannotated the order is as given: head A is 4 heatmap px (8 patch px) off.
  const auto oneHead = singleStageLoss(logits, targets, torch::tensor({1.0F, 0.0F, 1.0F}).view({1, 3}), c);
  EXPECT_NEAR(oneHead.total.item<double>(), 2.0 * wing(torch::tensor(8.0)).item<double>() / 2.0, 1e-3);
  // An invisible landmark, however wrong, adds nothing.
  auto wrong = targets.clone();
  wrong[0][2][0] = 0.9F;
  EXPECT_NEAR(singleStageLoss(logits, wrong, torch::tensor({1.0F, 1.0F, 0.0F}).view({1, 3}), c).total.item<double>(), 0.0, 1e-3);
}

// A normalised map of Gaussians (sigma in heatmap px) at normalised points, [H, W].
torch::Tensor peaks(const std::vector<cv::Point2d>& at, int64_t side, double sigma) {
  auto map = torch::zeros({side, side}, torch::kDouble);
  for (const auto& p : at) {
    const auto axis = normalisedAxis(side, torch::TensorOptions().dtype(torch::kDouble));
    const auto dx = (axis - p.x).view({1, side}), dy = (axis - p.y).view({side, 1});
    const double s = sigma * 2.0 / static_cast<double>(side);
    map = map + torch::exp(-(dx * dx + dy * dy) / (2.0 * s * s));
  }
  return map / map.sum();
}

TEST(HeadPair, TwoMeansFindsBothPeaksAndKeepsTheLabels) {
  const cv::Point2d a(-0.30, 0.10), b(0.05, -0.20);
  const auto map = peaks({a, b}, 32, 1.0);
  // Started near each peak, in either order: each start ends on its own peak.
  auto found = splitTwoPeaks(map, {-0.2, 0.0}, {0.1, -0.1});
  EXPECT_NEAR(found.first.x, a.x, 0.01);
  EXPECT_NEAR(found.first.y, a.y, 0.01);
  EXPECT_NEAR(found.second.x, b.x, 0.01);
  EXPECT_NEAR(found.second.y, b.y, 0.01);
  EXPECT_LT(found.firstSpread, 0.1);
  found = splitTwoPeaks(map, {0.1, -0.1}, {-0.2, 0.0});
  EXPECT_NEAR(found.first.x, b.x, 0.01);
  EXPECT_NEAR(found.second.x, a.x, 0.01);
  // Coincident starts on a single peak: both results stay within a heatmap pixel of it.
  const auto single = splitTwoPeaks(peaks({a}, 32, 1.0), a, a);
  EXPECT_LT(std::hypot(single.first.x - a.x, single.first.y - a.y), 2.0 / 32.0);
  EXPECT_LT(std::hypot(single.second.x - a.x, single.second.y - a.y), 2.0 / 32.0);
}

TEST(HeadPair, TheMajorAxisGivesTheDirectionOfOverlappingPeaks) {
  // Two peaks two heatmap pixels apart along 30 deg, each 1.5 px wide: one blob, elongated.
  const double angle = 30.0 * M_PI / 180.0, half = 1.0 / 32.0;
  const cv::Point2d d(half * std::cos(angle), half * std::sin(angle)), centre(0.1, -0.05);
  const auto map = peaks({centre + d, centre - d}, 32, 1.5);
  const auto axis = majorAxis(map);
  EXPECT_NEAR(std::abs(std::atan2(axis.y, axis.x)) * 180.0 / M_PI, 30.0, 1.0);
  // Starts 60 deg off: the 2-means follows them, the pair read keeps the map's direction, with
  // the first result on the first start's side.
  const cv::Point2d off(0.05 * std::cos(angle + 1.05), 0.05 * std::sin(angle + 1.05));
  const auto direction = [](const TwoPeaks& p) {
    return std::atan2(p.first.y - p.second.y, p.first.x - p.second.x) * 180.0 / M_PI;
  };
  const auto split = splitTwoPeaks(map, centre + off, centre - off);
  const auto read = readHeadPair(map, centre + off, centre - off);
  EXPECT_GT(std::abs(direction(split) - 30.0), 10.0);
  EXPECT_NEAR(direction(read), 30.0, 1.0);
  const auto swapped = readHeadPair(map, centre - off, centre + off);
  EXPECT_NEAR(direction(swapped), -150.0, 1.0);
  // A single round peak has no axis: the pair read is the 2-means's.
  const auto round = peaks({centre}, 32, 1.5);
  EXPECT_EQ(majorAxis(round), cv::Point2d(0.0, 0.0));
  const auto single = readHeadPair(round, centre + off, centre - off);
  const auto same = splitTwoPeaks(round, centre + off, centre - off);
  EXPECT_EQ(single.first, same.first);
  EXPECT_EQ(single.second, same.second);
}

TEST(HeadPair, LossRewardsTwoPeaksOverOneBetweenAndCountsMaskedSamplesOnly) {
  LossConfig c;
  c.inputWidth = c.inputHeight = 64.0;
  c.targetSigma = 1.0;
  const cv::Point2d a(-0.25, 0.0), b(0.25, 0.0);
  const auto heads = torch::tensor({a.x, a.y, b.x, b.y}, torch::kDouble).view({1, 2, 2});
  const auto two = peaks({a, b}, 32, 1.0).unsqueeze(0);
  const auto between = peaks({cv::Point2d(0.0, 0.0)}, 32, 1.0).unsqueeze(0);
  const auto good = headSetLoss(two, heads, torch::ones({1}, torch::kDouble), c);
  const auto collapsed = headSetLoss(between, heads, torch::ones({1}, torch::kDouble), c);
  EXPECT_LT(good.wing.item<double>(), 0.05);
  EXPECT_LT(good.jensenShannon.item<double>(), 1e-6);
  // Each half-map's mean lies about 6.4 patch px from its head (8 px less half a Gaussian).
  EXPECT_GT(collapsed.wing.item<double>(), 2.0 * wing(torch::tensor(5.5)).item<double>());
  EXPECT_LT(collapsed.wing.item<double>(), 2.0 * wing(torch::tensor(7.5)).item<double>());
  EXPECT_GT(collapsed.jensenShannon.item<double>(), 0.3);
  // A masked sample, however wrong, adds nothing.
  const auto both = torch::cat({two, between});
  const auto pairHeads = torch::cat({heads, heads});
  const auto masked = headSetLoss(both, pairHeads, torch::tensor({1.0, 0.0}, torch::kDouble), c);
  EXPECT_NEAR(masked.wing.item<double>(), good.wing.item<double>(), 1e-9);
}

// A tiny refiner: 32 px patches over 16 CPN input px.
RefinerConfig tinyRefiner() {
  RefinerConfig r;
  r.patchSize = 32;
  r.fieldInputPx = 16.0;
  r.baseChannels = 4;
  r.pyramidChannels = 8;
  return r;
}

// A 600 x 240 noise film, and centres for both heads and one vertebra on it.
cv::Mat noiseFilm() {
  cv::Mat film(600, 240, CV_8UC1);
  cv::randu(film, 0, 255);
  return film;
}

core::LandmarkSet hipAndL3() {
  core::LandmarkSet centres;
  centres.set(core::LandmarkId::FH_A, {120.0, 400.0, std::nullopt});
  centres.set(core::LandmarkId::FH_P, {110.0, 410.0, std::nullopt});
  centres.set(core::LandmarkId::L3_C, {100.0, 300.0, std::nullopt});
  return centres;
}

TEST(RefineLandmarks, ReadsBothHeadsFromTheHipAndLeavesALoneHeadWhereItIs) {
  torch::manual_seed(3);
  RefinerNetwork network(tinyRefiner());
  const auto film = noiseFilm();
  const auto centres = hipAndL3();
  std::vector<std::array<double, core::kLandmarkCount>> spreads;
  const auto both = refineLandmarks(*network, {film}, {centres}, 128, 64, torch::kCPU, &spreads)[0];
  // With both heads present the pair is read from the hip patch: both move, with a spread.
  const auto& a = *both.get(core::LandmarkId::FH_A);
  const auto& p = *both.get(core::LandmarkId::FH_P);
  EXPECT_TRUE(std::isfinite(a.x) && std::isfinite(p.y));
  EXPECT_NE(a.x, 120.0);
  EXPECT_NE(p.x, 110.0);
  EXPECT_GT(spreads[0][core::indexOf(core::LandmarkId::FH_A)], 0.0);
  EXPECT_NE(both.get(core::LandmarkId::L3_C)->x, 100.0);
  // Without its partner a head is not refined.
  core::LandmarkSet lone;
  lone.set(core::LandmarkId::FH_A, {120.0, 400.0, std::nullopt});
  lone.set(core::LandmarkId::L3_C, {100.0, 300.0, std::nullopt});
  const auto alone = refineLandmarks(*network, {film}, {lone}, 128, 64, torch::kCPU)[0];
  EXPECT_EQ(alone.get(core::LandmarkId::FH_A)->x, 120.0);
  EXPECT_EQ(alone.get(core::LandmarkId::FH_A)->y, 400.0);
  EXPECT_FALSE(alone.get(core::LandmarkId::FH_P).has_value());
  EXPECT_NEAR(alone.get(core::LandmarkId::L3_C)->x, both.get(core::LandmarkId::L3_C)->x, 1e-4);  // batch size only
}

TEST(RefineLandmarks, CutsTheHipPatchAtItsOwnScale) {
  // The architecture does not depend on the field, so the same weights can read the film at
  // two fields: a hip scale of 2 over 16 CPN input px reads the hip exactly as 32 px does.
  torch::manual_seed(4);
  auto wide = tinyRefiner();
  wide.hipFieldScale = 2.0;
  RefinerNetwork network(wide);
  const auto film = noiseFilm();
  const auto centres = hipAndL3();
  const auto scaled = refineLandmarks(*network, {film}, {centres}, 128, 64, torch::kCPU)[0];
  auto common = tinyRefiner();
  common.fieldInputPx = 32.0;
  RefinerNetwork same(common);
  torch::NoGradGuard noGrad;
  const auto from = network->parameters();
  const auto to = same->parameters();
  for (std::size_t i = 0; i < from.size(); ++i) to[i].copy_(from[i]);
  const auto reference = refineLandmarks(*same, {film}, {centres}, 128, 64, torch::kCPU)[0];
  for (const auto id : {core::LandmarkId::FH_A, core::LandmarkId::FH_P}) {
    EXPECT_NEAR(scaled.get(id)->x, reference.get(id)->x, 1e-6);
    EXPECT_NEAR(scaled.get(id)->y, reference.get(id)->y, 1e-6);
  }
  // The other landmarks keep the common field, 16 px, and so differ from a 32 px read.
  EXPECT_GT(std::abs(scaled.get(core::LandmarkId::L3_C)->x - reference.get(core::LandmarkId::L3_C)->x) +
                std::abs(scaled.get(core::LandmarkId::L3_C)->y - reference.get(core::LandmarkId::L3_C)->y),
            1e-3);
}

std::string refinerConfig(const fs::path& out, int epochs) {
  return R"({"kind": "refiner", "name": "tiny-refiner", "output": ")" + out.string() + R"(",
    "refiner": {"patch_size": 32, "field_input_px": 16, "base_channels": 4, "pyramid_channels": 8,
                "coarse_input_height": 128, "coarse_input_width": 64, "render_rows": 256},
    "data": {"phantom": {"seed": 5, "count": 4, "validation_seed": 6, "validation_count": 2, "threads": 1}},
    "augmentation": {"centre_jitter_input_px": 2, "centre_jitter_max_input_px": 6},
    "training": {"epochs": )" + std::to_string(epochs) + R"(, "steps_per_epoch": 2, "batch_size": 4, "threads": 1}})";
}

TEST(RefinerConfig, ParsesAndRefusesMistakes) {
  const auto text = refinerConfig("run", 3);
  EXPECT_TRUE(isRefinerConfig(text));
  EXPECT_FALSE(isRefinerConfig(R"({"output": "r"})"));
  const auto c = parseRefinerConfig(text, "/base");
  EXPECT_EQ(c.output, "/base/run");
  EXPECT_EQ(c.refiner.patchSize, 32);
  EXPECT_EQ(c.refiner.fieldInputPx, 16.0);
  EXPECT_EQ(c.renderRows, 256);
  EXPECT_EQ(c.augmentation.centreJitterMaxInputPx, 6.0);
  EXPECT_EQ(c.epochs, 3);
  auto json = nlohmann::json::parse(text);
  const auto refused = [&](nlohmann::json j) { EXPECT_THROW(parseRefinerConfig(j.dump(), "."), ConfigError) << j.dump(); };
  auto bad = json;
  bad["augmentation"]["centre_jitter_max_input_px"] = 9;  // would leave a 16 px patch
  refused(bad);
  bad = json;
  bad["refiner"]["patch_size"] = 30;  // not a multiple of 8
  refused(bad);
  bad = json;
  bad["refiner"]["render_rows"] = 100;  // below the CPN input
  refused(bad);
  bad = json;
  bad["training"]["stepz"] = 1;
  refused(bad);
  bad = json;
  bad["data"]["phantom"]["validation_seed"] = 5;
  refused(bad);
  bad = json;
  bad.erase("kind");
  refused(bad);
  bad = json;
  bad["augmentation"]["hip_patch_fraction"] = 1.5;
  refused(bad);
  for (const double scale : {0.5, 4.5}) {
    bad = json;
    bad["refiner"]["hip_field_scale"] = scale;
    refused(bad);
  }
  EXPECT_EQ(c.refiner.hipFieldScale, 1.0);
  auto withHip = json;
  withHip["augmentation"]["hip_patch_fraction"] = 0.25;
  withHip["augmentation"]["hip_centre_jitter_input_px"] = 5;
  withHip["training"]["initial_weights"] = "weights/best.pt";
  withHip["refiner"]["hip_field_scale"] = 2.0;
  const auto parsed = parseRefinerConfig(withHip.dump(), "/base");
  EXPECT_EQ(parsed.hipPatchFraction, 0.25);
  EXPECT_EQ(parsed.hipJitterInputPx, 5.0);
  EXPECT_EQ(parsed.refiner.hipFieldScale, 2.0);
  bad = withHip;
  bad["augmentation"]["hip_centre_jitter_input_px"] = 7;  // beyond the clip of 6
  refused(bad);
  EXPECT_EQ(parsed.initialWeights, "/base/weights/best.pt");
}

TEST(RefinerTraining, RunsCheckpointsAndResumes) {
  const auto out = scratch("refiner-train") / "run";
  std::ostringstream console;
  const auto first = refinerConfig(out, 1);
  auto result = trainRefiner(parseRefinerConfig(first, "."), first, false, console, false);
  EXPECT_EQ(result.epochsRun, 1);
  for (const char* file : {"config.json", "train.log", "history.csv", "state.json", "last.pt", "last-optimizer.pt",
                           "best.pt", "best.json"}) {
    EXPECT_TRUE(fs::exists(out / file)) << file;
  }
  EXPECT_THROW(trainRefiner(parseRefinerConfig(first, "."), first, false, console, false), ConfigError);
  const auto second = refinerConfig(out, 2);
  result = trainRefiner(parseRefinerConfig(second, "."), second, true, console, false);
  EXPECT_EQ(result.epochsRun, 2);
  std::ifstream log(out / "train.log");
  const std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("before refinement"), std::string::npos);
  EXPECT_NE(text.find("resumed after epoch 1"), std::string::npos);
  // A new run can start from a trained refiner; a missing file is refused before training.
  auto fromWeights = nlohmann::json::parse(refinerConfig(out.parent_path() / "fine-tuned", 1));
  fromWeights["training"]["initial_weights"] = (out / "best.pt").string();
  result = trainRefiner(parseRefinerConfig(fromWeights.dump(), "."), fromWeights.dump(), false, console, false);
  EXPECT_EQ(result.epochsRun, 1);
  std::ifstream fineLog(out.parent_path() / "fine-tuned" / "train.log");
  const std::string fineText((std::istreambuf_iterator<char>(fineLog)), std::istreambuf_iterator<char>());
  EXPECT_NE(fineText.find("started from the weights"), std::string::npos);
  fromWeights["output"] = (out.parent_path() / "missing").string();
  fromWeights["training"]["initial_weights"] = (out / "nothing.pt").string();
  EXPECT_THROW(trainRefiner(parseRefinerConfig(fromWeights.dump(), "."), fromWeights.dump(), false, console, false),
               ConfigError);
}

// A bundle with one tiny CPN member and, optionally, a tiny refiner.
fs::path bundleWithRefiner(const std::string& name, bool withRefiner) {
  const auto dir = scratch(name);
  NetworkConfig n;
  n.baseChannels = 4;
  n.pyramidChannels = 8;
  n.blocksPerStage = 0;
  n.inputHeight = 128;
  n.inputWidth = 64;
  torch::manual_seed(1);
  LandmarkNetwork member(n);
  torch::save(member, (dir / "cpn.pt").string());
  BundleManifest m;
  m.inputHeight = 128;
  m.inputWidth = 64;
  m.members.push_back({"cpn", "cpn.pt", "", n, "gaussian"});
  if (withRefiner) {
    const auto r = tinyRefiner();
    RefinerNetwork refiner(r);
    torch::save(refiner, (dir / "refiner.pt").string());
    m.refiner = BundleRefiner{"refiner", "refiner.pt", "", r, "gaussian"};
  }
  writeBundle(dir.string(), m);
  return dir;
}

TEST(RefinerBundle, TheEngineRefinesWhatTheMembersFound) {
  const auto plain = bundleWithRefiner("refiner-bundle-plain", false);
  const auto refined = bundleWithRefiner("refiner-bundle", true);
  auto loaded = loadBundle(refined.string(), torch::kCPU);
  ASSERT_TRUE(loaded.refiner);
  ASSERT_TRUE(loaded.manifest.refiner.has_value());
  EXPECT_EQ(loaded.manifest.refiner->sha256, fileSha256((refined / "refiner.pt").string()));
  EXPECT_EQ(manifestFromJson(manifestToJson(loaded.manifest)).refiner->network.patchSize, 32);
  {
    // The hip scale travels with the bundle; a format 3 refiner, which has none, reads the hip
    // at the common field; a scale outside 1 to 4 is refused.
    auto manifest = loaded.manifest;
    manifest.refiner->network.hipFieldScale = 2.5;
    auto json = nlohmann::json::parse(manifestToJson(manifest));
    EXPECT_EQ(manifestFromJson(json.dump()).refiner->network.hipFieldScale, 2.5);
    json["refiner"]["network"].erase("hip_field_scale");
    json["format_version"] = 3;
    EXPECT_EQ(manifestFromJson(json.dump()).refiner->network.hipFieldScale, 1.0);
    json["refiner"]["network"]["hip_field_scale"] = 0.5;
    EXPECT_THROW(manifestFromJson(json.dump()), BundleError);
  }

  cv::Mat film(1000, 400, CV_8U, cv::Scalar(60));
  cv::rectangle(film, {150, 200}, {260, 800}, cv::Scalar(200), cv::FILLED);
  const auto calibration = core::Calibration::fromSpacing(core::CalibrationKind::PixelSpacing, 0.2, 0.2);
  InferenceEngine coarse(plain.string(), {"cpu", 1, 2});
  InferenceEngine engine(refined.string(), {"cpu", 1, 2});
  const auto before = coarse.predict(film, calibration);
  const auto after = engine.predict(film, calibration);
  const auto expected = refineLandmarks(*loaded.refiner, {film}, {before.landmarks}, 128, 64, torch::kCPU);
  double moved = 0.0;
  for (const auto& info : core::landmarkCatalogue()) {
    const auto& a = *after.landmarks.get(info.id);
    const auto& e = *expected[0].get(info.id);
    EXPECT_NEAR(a.x, e.x, 1e-3);
    EXPECT_NEAR(a.y, e.y, 1e-3);
    moved += std::hypot(a.x - before.landmarks.get(info.id)->x, a.y - before.landmarks.get(info.id)->y);
    // The field is 16 CPN input px = 125 source px; the refined point stays inside its patch.
    EXPECT_LT(std::abs(a.x - before.landmarks.get(info.id)->x), 63.0);
    ASSERT_TRUE(a.sigmaMm.has_value());
    EXPECT_NEAR(*a.sigmaMm, after.spreadPx[core::indexOf(info.id)] * 0.2, 1e-9);
  }
  EXPECT_GT(moved, 0.0);
  EXPECT_DOUBLE_EQ(after.medianSpreadInputPx, before.medianSpreadInputPx);  // the gate reads the CPN

  // Two passes: the second re-centres every patch on the first pass's points.
  const auto twice = bundleWithRefiner("refiner-bundle-two-passes", true);
  {
    std::ifstream in(twice / "bundle.json");
    auto json = nlohmann::json::parse(in);
    json["refiner"]["passes"] = 2;
    std::ofstream(twice / "bundle.json", std::ios::trunc) << json.dump();
  }
  InferenceEngine twoPasses(twice.string(), {"cpu", 1, 2});
  const auto second = twoPasses.predict(film, calibration);
  const auto expectedSecond = refineLandmarks(*loaded.refiner, {film}, expected, 128, 64, torch::kCPU);
  for (const auto& info : core::landmarkCatalogue()) {
    EXPECT_NEAR(second.landmarks.get(info.id)->x, expectedSecond[0].get(info.id)->x, 1e-3);
    EXPECT_NEAR(second.landmarks.get(info.id)->y, expectedSecond[0].get(info.id)->y, 1e-3);
  }

  // A replaced refiner file, and a refiner under format version 1 or 2, are refused.
  std::ofstream(refined / "refiner.pt", std::ios::app) << "x";
  EXPECT_THROW(loadBundle(refined.string(), torch::kCPU), BundleError);
  const auto v1 = bundleWithRefiner("refiner-bundle-v1", true);
  std::ifstream in(v1 / "bundle.json");
  auto json = nlohmann::json::parse(in);
  for (const int version : {1, 2}) {
    json["format_version"] = version;
    std::ofstream(v1 / "bundle.json", std::ios::trunc) << json.dump();
    EXPECT_THROW(loadBundle(v1.string(), torch::kCPU), BundleError) << version;
  }
  json.erase("refiner");
  std::ofstream(v1 / "bundle.json", std::ios::trunc) << json.dump();
  EXPECT_NO_THROW(loadBundle(v1.string(), torch::kCPU));  // version 2 bundles without a refiner still load
  json["format_version"] = 1;
  std::ofstream(v1 / "bundle.json", std::ios::trunc) << json.dump();
  EXPECT_NO_THROW(loadBundle(v1.string(), torch::kCPU));  // and version 1 bundles
}

}  // namespace
}  // namespace sagitta::models::refiner_tests
