// SPDX-License-Identifier: GPL-3.0-or-later
// A refiner patch cut from a source film: a square of `field` source pixels centred on a point,
// resampled to patchSize pixels (area-averaged first when it shrinks, so that a 6000-row film
// and a 1536-row rendering give the same patch), optionally rotated, rescaled, mirrored and
// degraded for training, normalised like the CPN input. The transform maps source continuous
// coordinates to patch continuous coordinates exactly, so a patch position maps back.
#pragma once

#include <cstdint>
#include <random>

#include <opencv2/core.hpp>
#include <torch/torch.h>

namespace sagitta::models {

struct PatchAugmentation {
  double rotationDeg = 0.0;
  double scale = 1.0;       // multiplies the field: > 1 shows more of the film
  bool flip = false;        // mirror left-right about the centre
  double gamma = 1.0, blurSigma = 0.0, noiseSd = 0.0;  // blur in patch pixels, noise in grey levels
  std::uint64_t noiseSeed = 0;
};

struct PatchRanges {
  double centreJitterInputPx = 4.0;   // SD of the offset of the centre from the truth, per axis
  double centreJitterMaxInputPx = 12.0;
  double rotationDeg = 10.0;
  double scaleMin = 0.9, scaleMax = 1.1;
  double contrastMin = 0.7, contrastMax = 1.4;
  double blurSigmaMax = 1.0;
  double noiseMax = 6.0;
  double flipProbability = 0.5;

  PatchAugmentation draw(std::mt19937_64& rng) const;
};

struct Patch {
  torch::Tensor input;  // [1, P, P] float
  cv::Matx23d toPatch;  // source continuous -> patch continuous coordinates

  cv::Point2d sourceToPatch(cv::Point2d p) const;
  cv::Point2d patchToSource(cv::Point2d q) const;
};

// Patch continuous pixel coordinates <-> the normalised (-1, 1) units of DSNT on the patch.
cv::Point2d patchToNormalised(cv::Point2d q, int patchSize);
cv::Point2d normalisedToPatch(cv::Point2d n, int patchSize);

Patch extractPatch(const cv::Mat& grey8, cv::Point2d centre, double fieldPx, int patchSize,
                   const PatchAugmentation& augmentation = {});

}  // namespace sagitta::models
