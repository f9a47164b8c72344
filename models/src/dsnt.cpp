// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/models/dsnt.hpp"

namespace sagitta::models {

torch::Tensor normalisedAxis(int64_t n, const torch::TensorOptions& options) {
  return (torch::arange(n, options) * 2.0 + 1.0 - static_cast<double>(n)) / static_cast<double>(n);
}

DsntResult dsnt(const torch::Tensor& logits) {
  TORCH_CHECK(logits.dim() == 4, "dsnt expects [B, K, H, W] logits");
  const auto h = logits.size(2), w = logits.size(3);
  const auto probabilities = torch::softmax(logits.flatten(2), -1).view_as(logits);
  const auto xs = normalisedAxis(w, logits.options()).view({1, 1, 1, w});
  const auto ys = normalisedAxis(h, logits.options()).view({1, 1, h, 1});
  const auto x = (probabilities * xs).sum({2, 3});
  const auto y = (probabilities * ys).sum({2, 3});
  return {probabilities, torch::stack({x, y}, -1)};
}

torch::Tensor dsntVariance(const DsntResult& r) {
  const auto& p = r.probabilities;  // [B, K, H, W]
  const auto xs = normalisedAxis(p.size(3), p.options()), ys = normalisedAxis(p.size(2), p.options());
  const auto px = p.sum(2), py = p.sum(3);  // marginals [B, K, W], [B, K, H]
  const auto ex = (px * xs).sum(-1), ey = (py * ys).sum(-1);
  const auto vx = (px * xs * xs).sum(-1) - ex * ex, vy = (py * ys * ys).sum(-1) - ey * ey;
  return torch::stack({vx.clamp_min(0.0), vy.clamp_min(0.0)}, -1);
}

}  // namespace sagitta::models
