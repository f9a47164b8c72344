// SPDX-License-Identifier: GPL-3.0-or-later
#include <cmath>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "sagitta/models/dsnt.hpp"
#include "sagitta/models/losses.hpp"
#include "sagitta/models/network.hpp"

namespace sagitta::models {
namespace {

TEST(Dsnt, PeakGivesThePixelCentreInNormalisedUnits) {
  auto logits = torch::full({1, 1, 8, 10}, -1000.0);
  logits.index_put_({0, 0, 3, 5}, 1000.0);
  const auto r = dsnt(logits);
  // x = (2*5 + 1 - 10) / 10, y = (2*3 + 1 - 8) / 8 (eq. 4 with 0-based indices)
  EXPECT_NEAR(r.coordinates[0][0][0].item<double>(), 0.1, 1e-6);
  EXPECT_NEAR(r.coordinates[0][0][1].item<double>(), -0.125, 1e-6);
  EXPECT_NEAR(r.probabilities.sum().item<double>(), 1.0, 1e-6);
}

TEST(Dsnt, UniformHeatmapGivesTheCentre) {
  const auto r = dsnt(torch::zeros({2, 3, 7, 9}));
  EXPECT_NEAR(r.coordinates.abs().max().item<double>(), 0.0, 1e-6);
  EXPECT_EQ(r.coordinates.sizes(), (std::vector<int64_t>{2, 3, 2}));
}

TEST(Wing, MatchesEquationTwoAndIsContinuous) {
  const WingParameters p{10.0, 2.0};
  const auto x = torch::tensor({0.0, 5.0, -5.0, 20.0, 10.0 - 1e-9, 10.0});
  const auto y = wing(x, p);
  EXPECT_NEAR(y[0].item<double>(), 0.0, 1e-12);
  EXPECT_NEAR(y[1].item<double>(), 10.0 * std::log(1.0 + 5.0 / 2.0), 1e-5);
  EXPECT_NEAR(y[2].item<double>(), y[1].item<double>(), 1e-9);
  EXPECT_NEAR(y[3].item<double>(), 20.0 - (10.0 - 10.0 * std::log(1.0 + 10.0 / 2.0)), 1e-4);
  EXPECT_NEAR(y[4].item<double>(), y[5].item<double>(), 1e-4);  // the pieces join at w
}

TEST(JensenShannon, ZeroForEqualLnTwoForDisjoint) {
  auto p = torch::zeros({1, 1, 2, 2});
  auto q = torch::zeros({1, 1, 2, 2});
  p.index_put_({0, 0, 0, 0}, 1.0);
  q.index_put_({0, 0, 1, 1}, 1.0);
  EXPECT_NEAR(jensenShannon(p, p).item<double>(), 0.0, 1e-9);
  EXPECT_NEAR(jensenShannon(p, q).item<double>(), std::log(2.0), 1e-6);
}

TEST(GaussianTargets, NormalisedAndCentredOnTheLandmark) {
  // Normalised (0.1, -0.125) is pixel (5, 3) of a 10 x 8 map.
  const auto t = gaussianTargets(torch::tensor({0.1, -0.125}).view({1, 1, 2}), 8, 10, 1.0);
  EXPECT_NEAR(t.sum().item<double>(), 1.0, 1e-6);
  EXPECT_EQ(t.flatten().argmax().item<int64_t>(), 3 * 10 + 5);
}

TEST(LandmarkLoss, FemoralHeadsAreAnUnorderedPair) {
  torch::manual_seed(3);
  const auto logits1 = torch::randn({2, 45, 12, 8});
  const auto logits2 = torch::randn({2, 45, 12, 8});
  const auto targets = torch::rand({2, 45, 2}) * 1.6 - 0.8;
  auto swapped = targets.clone();
  swapped.select(1, 20).copy_(targets.select(1, 21));
  swapped.select(1, 21).copy_(targets.select(1, 20));
  const auto visible = torch::ones({2, 45});
  LossConfig config;
  const auto a = landmarkLoss(logits1, logits2, targets, visible, config);
  const auto b = landmarkLoss(logits1, logits2, swapped, visible, config);
  EXPECT_NEAR(a.total.item<double>(), b.total.item<double>(), 1e-5);
  EXPECT_GT(a.total.item<double>(), 0.0);
  // An unannotated landmark does not count, however wrong it is.
  auto invisible = visible.clone();
  invisible[0][5] = 0.0;
  auto wrong = targets.clone();
  wrong[0][5] = torch::tensor({0.99, 0.99});
  EXPECT_NEAR(landmarkLoss(logits1, logits2, wrong, invisible, config).wingStage2.item<double>(),
              landmarkLoss(logits1, logits2, targets, invisible, config).wingStage2.item<double>(), 1e-5);
}

NetworkConfig tiny() {
  NetworkConfig c;
  c.landmarks = 3;
  c.baseChannels = 8;
  c.pyramidChannels = 16;
  c.blocksPerStage = 0;
  c.inputHeight = 64;
  c.inputWidth = 32;
  return c;
}

TEST(Network, ShapesAndFiniteGradients) {
  torch::manual_seed(1);
  LandmarkNetwork net(tiny());
  const auto out = net->forward(torch::randn({2, 1, 64, 32}));
  EXPECT_EQ(out.stage1Logits.sizes(), (std::vector<int64_t>{2, 3, 16, 8}));
  EXPECT_EQ(out.stage2Logits.sizes(), (std::vector<int64_t>{2, 3, 16, 8}));
  EXPECT_LE(out.stage2.coordinates.abs().max().item<double>(), 1.0);
  (out.stage1.coordinates.sum() + out.stage2.coordinates.sum()).backward();
  for (const auto& p : net->parameters()) {
    ASSERT_TRUE(p.grad().defined());
    EXPECT_TRUE(torch::isfinite(p.grad()).all().item<bool>());
  }
  EXPECT_GT(parameterCount(*net), 10000);
}

// The objective can be optimised: on a fixed batch whose landmarks are bright dots, 60 Adam
// steps bring the stage-2 Wing loss well down.
TEST(Network, LearnsToFindBrightDots) {
  torch::manual_seed(7);
  const auto config = tiny();
  LandmarkNetwork net(config);
  auto images = torch::zeros({4, 1, 64, 32});
  auto targets = torch::zeros({4, 3, 2});
  for (int b = 0; b < 4; ++b) {
    for (int k = 0; k < 3; ++k) {
      const int row = 8 + 16 * k + 2 * b, col = 6 + 6 * b + k;
      images.index_put_({b, 0, torch::indexing::Slice(row - 1, row + 2), torch::indexing::Slice(col - 1, col + 2)},
                        static_cast<double>(k + 1));
      targets[b][k][0] = (2.0 * (col + 0.5)) / 32.0 - 1.0;
      targets[b][k][1] = (2.0 * (row + 0.5)) / 64.0 - 1.0;
    }
  }
  LossConfig loss;
  loss.inputWidth = 32;
  loss.inputHeight = 64;
  loss.femoralHeadA = 0;  // the tiny problem has no femoral heads: any distinct pair works
  loss.femoralHeadB = 1;
  const auto visible = torch::ones({4, 3});
  torch::optim::Adam optimiser(net->parameters(), torch::optim::AdamOptions(3e-3));
  double first = 0.0, last = 0.0;
  for (int step = 0; step < 60; ++step) {
    optimiser.zero_grad();
    const auto out = net->forward(images);
    const auto terms = landmarkLoss(out.stage1Logits, out.stage2Logits, targets, visible, loss);
    terms.total.backward();
    optimiser.step();
    (step == 0 ? first : last) = terms.wingStage2.item<double>();
  }
  EXPECT_LT(last, 0.6 * first) << "first " << first << " last " << last;
}

}  // namespace
}  // namespace sagitta::models

#include "sagitta/models/input_geometry.hpp"

namespace sagitta::models {
namespace {

TEST(Network, FlopCountMatchesTheConvolutionsParameters) {
  // A network whose every convolution runs at 1 x 1 would do 2 FLOPs per weight; scaling the
  // input by 2 in both axes multiplies the count by 4.
  NetworkConfig c;
  c.inputHeight = 256;
  c.inputWidth = 128;
  auto twice = c;
  twice.inputHeight = 512;
  twice.inputWidth = 256;
  EXPECT_NEAR(forwardFlops(twice) / forwardFlops(c), 4.0, 1e-9);
  LandmarkNetwork network(c);
  // Every weight is used at least once per output pixel of the smallest map (8 x 4 here).
  EXPECT_GT(forwardFlops(c), 2.0 * static_cast<double>(parameterCount(*network)) * 0.9);
}

TEST(InputGeometry, LetterboxKeepsTheAspectAndCentres) {
  // A 3000 x 7200 film fits 864 rows: scale 0.12, 360 columns wide, 60 columns of padding each side.
  const auto g = InputGeometry::fit({3000, 7200}, 864, 480);
  EXPECT_DOUBLE_EQ(g.scale, 0.12);
  EXPECT_DOUBLE_EQ(g.offsetX, 60.0);
  EXPECT_DOUBLE_EQ(g.offsetY, 0.0);
  // The source's top-left corner is the input's (60, 0); its centre is the input's centre.
  const auto corner = g.toNormalised({0.0, 0.0});
  EXPECT_NEAR(corner.x, 2.0 * 60.0 / 480.0 - 1.0, 1e-12);
  EXPECT_NEAR(corner.y, -1.0, 1e-12);
  const auto centre = g.toNormalised({1500.0, 3600.0});
  EXPECT_NEAR(centre.x, 0.0, 1e-12);
  EXPECT_NEAR(centre.y, 0.0, 1e-12);
}

TEST(InputGeometry, SourcePixelsRoundTripExactly) {
  const auto g = InputGeometry::fit({2417, 6881}, 864, 480);
  for (const cv::Point2d p : {cv::Point2d{0.5, 0.5}, cv::Point2d{1200.25, 3333.75}, cv::Point2d{2416.5, 6880.5}}) {
    const auto back = g.toSource(g.toNormalised(p));
    EXPECT_NEAR(back.x, p.x, 1e-9);
    EXPECT_NEAR(back.y, p.y, 1e-9);
  }
  core::LandmarkSet set;
  set.set(core::LandmarkId::S1_A, {1000.0, 5000.0, std::nullopt});
  const auto [targets, visible] = toTargets(set, g);
  EXPECT_EQ(visible.sum().item<double>(), 1.0);
  const auto restored = toLandmarks(targets, g);
  EXPECT_NEAR(restored.at(core::LandmarkId::S1_A).x, 1000.0, 1e-4);  // float32 targets
  EXPECT_NEAR(restored.at(core::LandmarkId::S1_A).y, 5000.0, 1e-3);
}

TEST(InputGeometry, InputTensorIsNormalisedAndPadded) {
  cv::Mat film(720, 300, CV_8U);
  cv::randu(film, 0, 255);
  const auto g = InputGeometry::fit(film.size(), 864, 480);
  const auto x = toInputTensor(film, g);
  EXPECT_EQ(x.sizes(), (std::vector<int64_t>{1, 864, 480}));
  EXPECT_EQ(x[0][400][0].item<float>(), 0.0F);  // padding column
  const auto area = x.index({0, torch::indexing::Slice(), torch::indexing::Slice(static_cast<int64_t>(g.offsetX) + 1,
                                                                                   static_cast<int64_t>(g.offsetX + 300 * g.scale) - 1)});
  EXPECT_NEAR(area.mean().item<double>(), 0.0, 0.05);
  EXPECT_NEAR(area.std().item<double>(), 1.0, 0.05);
}

}  // namespace
}  // namespace sagitta::models
