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
