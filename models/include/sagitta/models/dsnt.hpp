// SPDX-License-Identifier: GPL-3.0-or-later
// Differentiable spatial to numerical transform (DSNT, seeds/000 eq. 4): a 2-D softmax per
// heatmap and the expected coordinates in normalised units, X_j = (2j + 1 - W) / W for the
// 0-based column j (pixel centres), likewise Y. A normalised x maps to the DICOM continuous
// pixel coordinate of the heatmap as (x + 1) * W / 2.
#pragma once

#include <torch/torch.h>

namespace sagitta::models {

struct DsntResult {
  torch::Tensor probabilities;  // [B, K, H, W], each map sums to 1
  torch::Tensor coordinates;    // [B, K, 2] as (x, y), normalised to (-1, 1)
};

DsntResult dsnt(const torch::Tensor& logits);

// Variance of each distribution along x and y, normalised units squared, [B, K, 2]: the
// heatmap's spread, which the engine reports as a per-landmark uncertainty.
torch::Tensor dsntVariance(const DsntResult& result);

// The normalised pixel-centre grid of one axis: (2j + 1 - n) / n, j = 0..n-1.
torch::Tensor normalisedAxis(int64_t n, const torch::TensorOptions& options);

}  // namespace sagitta::models
