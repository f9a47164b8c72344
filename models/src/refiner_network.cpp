// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/models/refiner_network.hpp"

#include <algorithm>
#include <cmath>

namespace sagitta::models {
namespace F = torch::nn::functional;
namespace {

torch::Tensor resizeLike(const torch::Tensor& x, const torch::Tensor& like) {
  return F::interpolate(x, F::InterpolateFuncOptions()
                               .size(std::vector<int64_t>{like.size(2), like.size(3)})
                               .mode(torch::kBilinear)
                               .align_corners(false));
}

torch::nn::Conv2d conv1x1(int64_t in, int64_t out) { return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 1)); }

}  // namespace

double fieldSourcePx(int sourceRows, int sourceColumns, int inputHeight, int inputWidth, const RefinerConfig& c) {
  const double scale = std::min(static_cast<double>(inputHeight) / std::max(1, sourceRows),
                                static_cast<double>(inputWidth) / std::max(1, sourceColumns));
  return c.fieldInputPx / scale;
}

double anatomicalScale(const core::LandmarkSet& landmarks, int sourceRows, int sourceColumns, int inputHeight,
                       int inputWidth, const std::vector<double>& reference) {
  const auto& centres = core::bodyCentres();
  if (reference.size() + 1 != centres.size()) return 1.0;
  const double toInput = std::min(static_cast<double>(inputHeight) / std::max(1, sourceRows),
                                  static_cast<double>(inputWidth) / std::max(1, sourceColumns));
  std::vector<double> ratios;
  for (std::size_t i = 0; i + 1 < centres.size(); ++i) {
    const auto& a = landmarks.get(centres[i]);
    const auto& b = landmarks.get(centres[i + 1]);
    if (!a || !b || !(reference[i] > 0.0)) continue;
    ratios.push_back(std::hypot(a->x - b->x, a->y - b->y) * toInput / reference[i]);
  }
  if (ratios.size() < 2) return 1.0;
  std::nth_element(ratios.begin(), ratios.begin() + static_cast<std::ptrdiff_t>(ratios.size() / 2), ratios.end());
  return ratios[ratios.size() / 2];
}

double refinerFlops(const RefinerConfig& c) {
  const auto conv = [](double in, double out, double k, double side) { return 2.0 * in * out * k * k * side * side; };
  const double b = static_cast<double>(c.baseChannels), p = static_cast<double>(c.pyramidChannels);
  const double s = static_cast<double>(c.patchSize), k = static_cast<double>(c.landmarks);
  double flops = conv(1, b, 3, s);
  const auto block = [&](double in, double out, double side) { return conv(in, out, 3, side) + conv(out, out, 3, side) + conv(in, out, 1, side); };
  flops += block(b, 2 * b, s / 2) + block(2 * b, 4 * b, s / 4) + block(4 * b, 4 * b, s / 8);
  flops += conv(2 * b, p, 1, s / 2) + conv(4 * b, p, 1, s / 4) + conv(4 * b, p, 1, s / 8);
  flops += conv(p, p, 3, s / 2) + conv(p, k, 1, s / 2);
  return flops;
}

RefinerNetworkImpl::RefinerNetworkImpl(const RefinerConfig& config) : config_(config) {
  const int64_t b = config.baseChannels, p = config.pyramidChannels;
  stem = register_module("stem", torch::nn::Sequential(
                                     torch::nn::Conv2d(torch::nn::Conv2dOptions(1, b, 3).padding(1).bias(false)),
                                     torch::nn::BatchNorm2d(b), torch::nn::ReLU()));
  down1 = register_module("down1", ResidualBlock(b, 2 * b, 2));
  down2 = register_module("down2", ResidualBlock(2 * b, 4 * b, 2));
  down3 = register_module("down3", ResidualBlock(4 * b, 4 * b, 2));
  lateral1 = register_module("lateral1", conv1x1(2 * b, p));
  lateral2 = register_module("lateral2", conv1x1(4 * b, p));
  lateral3 = register_module("lateral3", conv1x1(4 * b, p));
  head = register_module("head", torch::nn::Sequential(
                                     torch::nn::Conv2d(torch::nn::Conv2dOptions(p, p, 3).padding(1).bias(false)),
                                     torch::nn::BatchNorm2d(p), torch::nn::ReLU(), conv1x1(p, config.landmarks)));
}

torch::Tensor RefinerNetworkImpl::forward(const torch::Tensor& x) {
  TORCH_CHECK(x.dim() == 4 && x.size(1) == 1, "the refiner expects [B, 1, P, P]");
  const auto c1 = down1->forward(stem->forward(x));
  const auto c2 = down2->forward(c1);
  const auto c3 = down3->forward(c2);
  auto top = lateral3->forward(c3);
  top = lateral2->forward(c2) + resizeLike(top, c2);
  top = lateral1->forward(c1) + resizeLike(top, c1);
  return head->forward(top);
}

torch::Tensor selectChannels(const torch::Tensor& logits, const torch::Tensor& channels) {
  const auto index = channels.to(torch::kLong).to(logits.device()).view({-1, 1, 1, 1})
                         .expand({logits.size(0), 1, logits.size(2), logits.size(3)});
  return logits.gather(1, index);
}

}  // namespace sagitta::models
