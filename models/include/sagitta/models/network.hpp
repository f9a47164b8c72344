// SPDX-License-Identifier: GPL-3.0-or-later
// The two-stage Cascaded Pyramid Network of seeds/000 (Fig. 2): a residual backbone, GlobalNet
// (feature pyramid, stage-1 heatmaps) and RefineNet (per-level residual blocks, concatenated,
// stage-2 heatmaps), both at 1/4 of the input, read out by DSNT. Width and input size are
// configurable: a compact variant trains on two CPU cores, the paper's size needs a GPU.
#pragma once

#include <torch/torch.h>

#include "sagitta/models/dsnt.hpp"
#include "sagitta/models/network_config.hpp"

namespace sagitta::models {

// Two 3x3 convolutions with batch norm, and a 1x1 projection when the shape changes.
class ResidualBlockImpl : public torch::nn::Module {
 public:
  ResidualBlockImpl(int64_t in, int64_t out, int64_t stride);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, projection{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, projectionBn{nullptr};
};
TORCH_MODULE(ResidualBlock);

struct NetworkOutput {
  torch::Tensor stage1Logits, stage2Logits;  // [B, K, H/4, W/4]
  DsntResult stage1, stage2;                  // DSNT read-outs
  torch::Tensor presenceLogits;               // [B, K]; undefined without a presence head
};

class LandmarkNetworkImpl : public torch::nn::Module {
 public:
  explicit LandmarkNetworkImpl(const NetworkConfig& config);
  // x: [B, 1, H, W] grey, normalised (zero mean, unit variance).
  NetworkOutput forward(const torch::Tensor& x);
  const NetworkConfig& config() const { return config_; }

 private:
  NetworkConfig config_;
  torch::nn::Sequential stem{nullptr};
  std::vector<torch::nn::Sequential> stages;      // C2..C5 at 1/4 .. 1/32
  std::vector<torch::nn::Conv2d> laterals;        // GlobalNet 1x1 lateral connections
  torch::nn::Sequential globalHead{nullptr};      // stage-1 heatmaps from P2
  std::vector<torch::nn::Sequential> refineLevels;  // RefineNet: 0..3 blocks per level
  torch::nn::Sequential refineHead{nullptr};      // stage-2 heatmaps from the concatenation
  torch::nn::Linear presenceHead{nullptr};        // mean- and max-pooled C5 -> K presence logits
};
TORCH_MODULE(LandmarkNetwork);

int64_t parameterCount(torch::nn::Module& module);

}  // namespace sagitta::models
