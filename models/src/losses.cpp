// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/models/losses.hpp"

#include <cmath>

#include "sagitta/models/dsnt.hpp"

namespace sagitta::models {
namespace {

// Per-landmark Wing of a stage, in input pixels, [B, K].
torch::Tensor wingPerLandmark(const torch::Tensor& coordinates, const torch::Tensor& targets, const LossConfig& c) {
  const auto scale = torch::tensor({c.inputWidth / 2.0, c.inputHeight / 2.0}, coordinates.options());
  return wing((coordinates - targets) * scale, c.wing).sum(-1);
}

// The targets with the femoral heads swapped.
torch::Tensor swapHeads(const torch::Tensor& targets, const LossConfig& c) {
  auto swapped = targets.clone();
  swapped.select(1, c.femoralHeadA).copy_(targets.select(1, c.femoralHeadB));
  swapped.select(1, c.femoralHeadB).copy_(targets.select(1, c.femoralHeadA));
  return swapped;
}

}  // namespace

torch::Tensor wing(const torch::Tensor& x, const WingParameters& p) {
  const auto a = x.abs();
  const double c = p.width - p.width * std::log(1.0 + p.width / p.epsilon);  // joins the two pieces at w
  return torch::where(a < p.width, p.width * torch::log1p(a / p.epsilon), a - c);
}

namespace {

// Squared distance of every heatmap pixel centre to the coordinates, [B, K, H, W].
torch::Tensor squaredDistances(const torch::Tensor& coordinates, int64_t height, int64_t width) {
  const auto options = coordinates.options();
  // Normalised -> heatmap pixel-centre units (column j has centre j in these units).
  const auto x = ((coordinates.select(-1, 0) + 1.0) * (static_cast<double>(width) / 2.0) - 0.5).unsqueeze(-1).unsqueeze(-1);
  const auto y = ((coordinates.select(-1, 1) + 1.0) * (static_cast<double>(height) / 2.0) - 0.5).unsqueeze(-1).unsqueeze(-1);
  const auto xs = torch::arange(width, options).view({1, 1, 1, width});
  const auto ys = torch::arange(height, options).view({1, 1, height, 1});
  return (xs - x).pow(2) + (ys - y).pow(2);
}

}  // namespace

torch::Tensor gaussianTargets(const torch::Tensor& coordinates, int64_t height, int64_t width, double sigma) {
  const auto g = torch::exp(-squaredDistances(coordinates, height, width) / (2.0 * sigma * sigma));
  return g / g.sum({2, 3}, true).clamp_min(1e-12);
}

torch::Tensor exponentialTargets(const torch::Tensor& coordinates, int64_t height, int64_t width, double sigma) {
  const auto g = torch::exp(-squaredDistances(coordinates, height, width).sqrt() / sigma);
  return g / g.sum({2, 3}, true).clamp_min(1e-12);
}

torch::Tensor jensenShannon(const torch::Tensor& p, const torch::Tensor& q) {
  const auto m = 0.5 * (p + q);
  const auto kl = [](const torch::Tensor& a, const torch::Tensor& b) {
    return (a * (torch::log(a.clamp_min(1e-12)) - torch::log(b.clamp_min(1e-12)))).sum({-2, -1});
  };
  return 0.5 * kl(p, m) + 0.5 * kl(q, m);
}

LossTerms landmarkLoss(const torch::Tensor& stage1Logits, const torch::Tensor& stage2Logits,
                       const torch::Tensor& targets, const torch::Tensor& visible, const LossConfig& c) {
  const auto first = dsnt(stage1Logits), second = dsnt(stage2Logits);
  const auto weight = visible.to(targets.dtype());
  const auto count = weight.sum().clamp_min(1.0);
  const auto h = stage2Logits.size(2), w = stage2Logits.size(3);
  const auto swapped = swapHeads(targets, c);

  // Per sample, the ordering of the femoral heads that fits stage 2 best is used for every term.
  auto perLandmark = [&](const torch::Tensor& t) {
    const auto w1 = wingPerLandmark(first.coordinates, t, c);
    const auto w2 = wingPerLandmark(second.coordinates, t, c);
    if (c.target == HeatmapTarget::None) return std::tuple{w1, w2, torch::zeros_like(w2)};
    const auto goal = c.target == HeatmapTarget::Gaussian ? gaussianTargets(t, h, w, c.targetSigma)
                                                          : exponentialTargets(t, h, w, c.targetSigma);
    const auto js = jensenShannon(second.probabilities, goal);
    return std::tuple{w1, w2, js};
  };
  const auto [w1, w2, js] = perLandmark(targets);
  const auto [s1, s2, sjs] = perLandmark(swapped);
  const auto heads = torch::tensor({c.femoralHeadA, c.femoralHeadB}, torch::kLong);
  const auto keep = (w2.index_select(1, heads).sum(1) <= s2.index_select(1, heads).sum(1)).unsqueeze(1);
  const auto pick = [&](const torch::Tensor& a, const torch::Tensor& b) { return (torch::where(keep, a, b) * weight).sum() / count; };

  LossTerms terms;
  terms.wingStage1 = pick(w1, s1);
  terms.wingStage2 = pick(w2, s2);
  terms.jensenShannon = pick(js, sjs);
  terms.total = terms.wingStage1 + terms.wingStage2 + c.jsWeight * terms.jensenShannon;
  return terms;
}

torch::Tensor presenceLoss(const torch::Tensor& logits, const torch::Tensor& present) {
  return torch::binary_cross_entropy_with_logits(logits, present.to(logits.dtype()));
}

LossTerms singleStageLoss(const torch::Tensor& logits, const torch::Tensor& targets, const torch::Tensor& visible,
                          const LossConfig& c) {
  const auto result = dsnt(logits);
  const auto weight = visible.to(targets.dtype());
  const auto h = logits.size(2), w = logits.size(3);
  auto perLandmark = [&](const torch::Tensor& t) {
    const auto wingTerm = wingPerLandmark(result.coordinates, t, c);
    if (c.target == HeatmapTarget::None) return std::pair{wingTerm, torch::zeros_like(wingTerm)};
    const auto goal = c.target == HeatmapTarget::Gaussian ? gaussianTargets(t, h, w, c.targetSigma)
                                                          : exponentialTargets(t, h, w, c.targetSigma);
    return std::pair{wingTerm, jensenShannon(result.probabilities, goal)};
  };
  const auto [w1, js1] = perLandmark(targets);
  const auto [w2, js2] = perLandmark(swapHeads(targets, c));
  // The swap only matters where both heads are visible; elsewhere the given order is kept.
  const auto heads = torch::tensor({c.femoralHeadA, c.femoralHeadB}, torch::kLong);
  const auto both = weight.index_select(1, heads).prod(1) > 0.5;
  const auto keep = (~both | (w1.index_select(1, heads).sum(1) <= w2.index_select(1, heads).sum(1))).unsqueeze(1);
  const auto count = weight.sum().clamp_min(1.0);
  LossTerms terms;
  terms.wingStage2 = (torch::where(keep, w1, w2) * weight).sum() / count;
  terms.jensenShannon = (torch::where(keep, js1, js2) * weight).sum() / count;
  terms.total = terms.wingStage2 + c.jsWeight * terms.jensenShannon;
  return terms;
}

}  // namespace sagitta::models
