// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/models/head_set_loss.hpp"

#include "sagitta/models/dsnt.hpp"

namespace sagitta::models {

HeadSetTerms headSetLoss(const torch::Tensor& probabilities, const torch::Tensor& heads, const torch::Tensor& mask,
                         const LossConfig& c) {
  const auto h = probabilities.size(1), w = probabilities.size(2);
  const auto xs = normalisedAxis(w, probabilities.options()).view({1, 1, w}).expand({1, h, w});
  const auto ys = normalisedAxis(h, probabilities.options()).view({1, h, 1}).expand({1, h, w});
  const auto hx = heads.select(2, 0), hy = heads.select(2, 1);  // [B, 2]
  const auto d2 = [&](int i) {
    const auto dx = xs - hx.select(1, i).view({-1, 1, 1}), dy = ys - hy.select(1, i).view({-1, 1, 1});
    return dx * dx + dy * dy;  // [B, H, W]
  };
  const auto d0 = d2(0), d1 = d2(1);
  const auto nearFirst = (d0 <= d1).to(probabilities.dtype());
  const auto scale = torch::tensor({c.inputWidth / 2.0, c.inputHeight / 2.0}, probabilities.options());
  auto wingTotal = torch::zeros({probabilities.size(0)}, probabilities.options());
  for (int i = 0; i < 2; ++i) {
    const auto part = probabilities * (i == 0 ? nearFirst : 1.0 - nearFirst);
    const auto mass = part.sum({1, 2}).clamp_min(1e-6);
    const auto mean = torch::stack({(part * xs).sum({1, 2}) / mass, (part * ys).sum({1, 2}) / mass}, -1);  // [B, 2]
    wingTotal = wingTotal + wing((mean - heads.select(1, i)) * scale, c.wing).sum(-1);
  }
  // The two-Gaussian target: the mean of the two heads' normalised Gaussians (losses.hpp).
  const auto goal = gaussianTargets(heads, h, w, c.targetSigma).mean(1, true);  // [B, 1, H, W]
  const auto js = jensenShannon(probabilities.unsqueeze(1), goal).squeeze(1);  // [B]
  const auto weight = mask.to(probabilities.dtype());
  const auto count = weight.sum().clamp_min(1.0);
  return {(wingTotal * weight).sum() / count, (js * weight).sum() / count};
}

}  // namespace sagitta::models
