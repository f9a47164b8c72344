// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/models/network.hpp"

#include <string>

namespace sagitta::models {
namespace {

namespace F = torch::nn::functional;

torch::nn::Conv2d conv(int64_t in, int64_t out, int64_t kernel, int64_t stride = 1) {
  return torch::nn::Conv2d(
      torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(kernel / 2).bias(false));
}

torch::Tensor upsampleTo(const torch::Tensor& x, const torch::Tensor& like) {
  return F::interpolate(x, F::InterpolateFuncOptions()
                               .size(std::vector<int64_t>{like.size(2), like.size(3)})
                               .mode(torch::kBilinear)
                               .align_corners(false));
}

}  // namespace

ResidualBlockImpl::ResidualBlockImpl(int64_t in, int64_t out, int64_t stride)
    : conv1(register_module("conv1", conv(in, out, 3, stride))),
      conv2(register_module("conv2", conv(out, out, 3))),
      bn1(register_module("bn1", torch::nn::BatchNorm2d(out))),
      bn2(register_module("bn2", torch::nn::BatchNorm2d(out))) {
  if (in != out || stride != 1) {
    projection = register_module("projection", conv(in, out, 1, stride));
    projectionBn = register_module("projection_bn", torch::nn::BatchNorm2d(out));
  }
}

torch::Tensor ResidualBlockImpl::forward(const torch::Tensor& x) {
  auto y = torch::relu(bn1(conv1(x)));
  y = bn2(conv2(y));
  const auto shortcut = projection ? projectionBn(projection(x)) : x;
  return torch::relu(y + shortcut);
}

LandmarkNetworkImpl::LandmarkNetworkImpl(const NetworkConfig& config) : config_(config) {
  const int64_t b = config.baseChannels, p = config.pyramidChannels, k = config.landmarks;
  stem = register_module("stem", torch::nn::Sequential(conv(1, b, 3, 2), torch::nn::BatchNorm2d(b),
                                                       torch::nn::ReLU()));  // 1/2
  int64_t channels = b;
  for (int level = 0; level < 4; ++level) {  // 1/4, 1/8, 1/16, 1/32
    const int64_t out = b * (2LL << level);
    torch::nn::Sequential stage;
    stage->push_back(ResidualBlock(channels, out, 2));
    for (int64_t i = 0; i < config.blocksPerStage; ++i) stage->push_back(ResidualBlock(out, out, 1));
    stages.push_back(register_module("stage" + std::to_string(level + 2), stage));
    laterals.push_back(register_module("lateral" + std::to_string(level + 2), torch::nn::Conv2d(
                                                                                 torch::nn::Conv2dOptions(out, p, 1))));
    torch::nn::Sequential refine;
    for (int i = 0; i < level; ++i) refine->push_back(ResidualBlock(p, p, 1));  // deeper levels refine more
    refine->push_back(torch::nn::Identity());
    refineLevels.push_back(register_module("refine" + std::to_string(level + 2), refine));
    channels = out;
  }
  globalHead = register_module("global_head", torch::nn::Sequential(conv(p, p, 3), torch::nn::BatchNorm2d(p),
                                                                    torch::nn::ReLU(),
                                                                    torch::nn::Conv2d(torch::nn::Conv2dOptions(p, k, 1))));
  refineHead = register_module("refine_head", torch::nn::Sequential(ResidualBlock(4 * p, p, 1),
                                                                    torch::nn::Conv2d(torch::nn::Conv2dOptions(p, k, 1))));
  if (config.presence) presenceHead = register_module("presence_head", torch::nn::Linear(2 * channels, k));
}

NetworkOutput LandmarkNetworkImpl::forward(const torch::Tensor& x) {
  TORCH_CHECK(x.dim() == 4 && x.size(1) == 1, "the network expects [B, 1, H, W]");
  std::vector<torch::Tensor> features;
  auto y = stem->forward(x);
  for (auto& stage : stages) {
    y = stage->forward(y);
    features.push_back(y);
  }
  // GlobalNet: top-down feature pyramid.
  std::vector<torch::Tensor> pyramid(features.size());
  pyramid[3] = laterals[3]->forward(features[3]);
  for (int level = 2; level >= 0; --level) {
    const auto l = static_cast<std::size_t>(level);
    pyramid[l] = laterals[l]->forward(features[l]) + upsampleTo(pyramid[l + 1], features[l]);
  }
  NetworkOutput out;
  out.stage1Logits = globalHead->forward(pyramid[0]);
  // RefineNet: every level refined, brought to 1/4 and concatenated.
  std::vector<torch::Tensor> refined;
  for (std::size_t level = 0; level < pyramid.size(); ++level) {
    refined.push_back(upsampleTo(refineLevels[level]->forward(pyramid[level]), pyramid[0]));
  }
  out.stage2Logits = refineHead->forward(torch::cat(refined, 1));
  if (presenceHead) {
    // Which vertebrae are on the film is a question about the whole image: the deepest features,
    // pooled both ways (mean: how much of it; max: whether any of it).
    const auto& deepest = features.back();
    out.presenceLogits = presenceHead->forward(torch::cat({deepest.mean({2, 3}), deepest.amax({2, 3})}, 1));
  }
  out.stage1 = dsnt(out.stage1Logits);
  out.stage2 = dsnt(out.stage2Logits);
  return out;
}

double forwardFlops(const NetworkConfig& c) {
  const auto conv = [](double in, double out, double k, double h, double w) { return 2.0 * in * out * k * k * h * w; };
  const double b = static_cast<double>(c.baseChannels), p = static_cast<double>(c.pyramidChannels);
  const double k = static_cast<double>(c.landmarks);
  const double H = static_cast<double>(c.inputHeight), W = static_cast<double>(c.inputWidth);
  double flops = conv(1, b, 3, H / 2, W / 2);  // stem
  double channels = b;
  for (int level = 0; level < 4; ++level) {
    const double out = b * static_cast<double>(2 << level);
    const double h = H / static_cast<double>(4 << level), w = W / static_cast<double>(4 << level);
    flops += conv(channels, out, 3, h, w) + conv(out, out, 3, h, w) + conv(channels, out, 1, h, w);  // strided block
    flops += static_cast<double>(c.blocksPerStage) * 2.0 * conv(out, out, 3, h, w);
    flops += conv(out, p, 1, h, w);                             // lateral
    flops += static_cast<double>(level) * 2.0 * conv(p, p, 3, h, w);  // RefineNet blocks
    channels = out;
  }
  const double h0 = H / 4, w0 = W / 4;
  flops += conv(p, p, 3, h0, w0) + conv(p, k, 1, h0, w0);  // GlobalNet head
  flops += conv(4 * p, p, 3, h0, w0) + conv(p, p, 3, h0, w0) + conv(4 * p, p, 1, h0, w0) + conv(p, k, 1, h0, w0);
  return flops;
}

int64_t parameterCount(torch::nn::Module& module) {
  int64_t n = 0;
  for (const auto& p : module.parameters()) n += p.numel();
  return n;
}

}  // namespace sagitta::models
