// SPDX-License-Identifier: GPL-3.0-or-later
// The local refiner network: a small residual encoder (1/2, 1/4, 1/8 of the patch) with a
// top-down pathway back to 1/2, one heatmap per landmark at 1/2 of the patch, read out by DSNT.
// A patch centred on landmark k is read on channel k only; the other channels are unused for it.
#pragma once

#include <torch/torch.h>

#include "sagitta/models/dsnt.hpp"
#include "sagitta/models/network.hpp"
#include "sagitta/models/refiner_config.hpp"

namespace sagitta::models {

class RefinerNetworkImpl : public torch::nn::Module {
 public:
  explicit RefinerNetworkImpl(const RefinerConfig& config);
  // x: [B, 1, P, P] normalised patches; returns logits [B, K, P/2, P/2].
  torch::Tensor forward(const torch::Tensor& x);
  const RefinerConfig& config() const { return config_; }

 private:
  RefinerConfig config_;
  torch::nn::Sequential stem{nullptr}, head{nullptr};
  ResidualBlock down1{nullptr}, down2{nullptr}, down3{nullptr};
  torch::nn::Conv2d lateral1{nullptr}, lateral2{nullptr}, lateral3{nullptr};
};
TORCH_MODULE(RefinerNetwork);

// Channel k of logits [B, K, H, W] for every row b, as [B, 1, H, W] (k: [B] long).
torch::Tensor selectChannels(const torch::Tensor& logits, const torch::Tensor& channels);

}  // namespace sagitta::models
