// SPDX-License-Identifier: GPL-3.0-or-later
// The training term of the refiner's head-set channel (head_pair.hpp says how the channel is
// read at inference). Training library only.
#pragma once

#include <torch/torch.h>

#include "sagitta/models/losses.hpp"

namespace sagitta::models {

// probabilities: [B, H, W] (softmax of that channel); heads: [B, 2, 2] normalised (x, y); mask:
// [B] (1 = both heads inside the patch). Returns the Wing on the two half-map means (input pixels
// of `c`) and the Jensen-Shannon divergence to the two-Gaussian target, each averaged over the
// masked samples.
struct HeadSetTerms {
  torch::Tensor wing, jensenShannon;
};
HeadSetTerms headSetLoss(const torch::Tensor& probabilities, const torch::Tensor& heads, const torch::Tensor& mask,
                         const LossConfig& c);

}  // namespace sagitta::models
