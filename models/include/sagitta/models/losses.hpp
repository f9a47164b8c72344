// SPDX-License-Identifier: GPL-3.0-or-later
// The training objective of seeds/000: Wing loss on the DSNT coordinates of both stages (eq. 1-2)
// plus a Jensen-Shannon regularisation of the stage-2 heatmaps towards Gaussian targets (eq. 3),
// with the two femoral heads treated as an unordered pair.
//
// Note: eq. 1 of the paper has a leading minus sign (L = -1/45 sum Wing); minimising that would
// maximise the error, so the sign is taken as a typo and L = +1/K sum Wing here.
#pragma once

#include <torch/torch.h>

namespace sagitta::models {

struct WingParameters {
  double width = 10.0;   // w: the non-linear range, in input pixels
  double epsilon = 2.0;  // curvature of the non-linear part
};

// Element-wise Wing(x) of eq. 2.
torch::Tensor wing(const torch::Tensor& x, const WingParameters& p = {});

// Normalised 2-D Gaussians G of eq. 3 centred on normalised coordinates [B, K, 2], sigma in
// heatmap pixels; each [H, W] map sums to 1.
torch::Tensor gaussianTargets(const torch::Tensor& coordinates, int64_t height, int64_t width, double sigma);

// The exponential alternative of eq. 3: exp(-d / sigma), normalised the same way.
torch::Tensor exponentialTargets(const torch::Tensor& coordinates, int64_t height, int64_t width, double sigma);

// seeds/000 selects between Gaussian, exponential or no heatmap regularisation.
enum class HeatmapTarget { Gaussian, Exponential, None };

// Jensen-Shannon divergence of two distributions over the last two axes, [B, K] (nats).
torch::Tensor jensenShannon(const torch::Tensor& p, const torch::Tensor& q);

struct LossConfig {
  WingParameters wing;
  double inputWidth = 480.0, inputHeight = 864.0;  // converts normalised units to input pixels
  double jsWeight = 1.0;
  HeatmapTarget target = HeatmapTarget::Gaussian;
  double targetSigma = 1.5;   // heatmap pixels
  int64_t femoralHeadA = 20;  // channel indices of the unordered pair (LANDMARKS.md order)
  int64_t femoralHeadB = 21;
  double presenceWeight = 1.0;  // of the presence term, when the network has a presence head
};

struct LossTerms {
  torch::Tensor total, wingStage1, wingStage2, jensenShannon;
};

// predictions: per stage logits [B, K, H, W]; targets [B, K, 2] normalised; visible [B, K]
// (1 = annotated). Unannotated landmarks contribute nothing.
LossTerms landmarkLoss(const torch::Tensor& stage1Logits, const torch::Tensor& stage2Logits,
                       const torch::Tensor& targets, const torch::Tensor& visible, const LossConfig& config);

// The presence output's objective: binary cross-entropy of the logits [B, K] against present
// [B, K] (1 = the landmark is on the input), mean over every landmark of every sample.
torch::Tensor presenceLoss(const torch::Tensor& logits, const torch::Tensor& present);

// One stage (the local refiner): Wing on the DSNT coordinates of every visible landmark plus the
// Jensen-Shannon term, the femoral heads unordered as above. wingStage1 is left undefined.
LossTerms singleStageLoss(const torch::Tensor& logits, const torch::Tensor& targets, const torch::Tensor& visible,
                          const LossConfig& config);

}  // namespace sagitta::models
