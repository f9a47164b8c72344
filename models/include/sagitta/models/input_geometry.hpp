// SPDX-License-Identifier: GPL-3.0-or-later
// From a source image to the network input and back (seeds/000: resize keeping the aspect to
// 864 x 382, pad to 864 x 480): the image is scaled to fit the input and centred with padding;
// landmarks map between source pixels (DICOM continuous coordinates) and the normalised DSNT
// units of the input exactly, so predictions return in source-image coordinates.
#pragma once

#include <opencv2/core.hpp>
#include <torch/torch.h>

#include "sagitta/core/landmark_set.hpp"

namespace sagitta::models {

struct InputGeometry {
  int inputHeight = 864, inputWidth = 480;
  double scale = 1.0;               // input pixels per source pixel (same on both axes)
  double offsetX = 0.0, offsetY = 0.0;  // input position of the source's (0, 0) corner

  static InputGeometry fit(const cv::Size& source, int inputHeight, int inputWidth);

  // Source pixel coordinates <-> normalised input coordinates (-1..1 across the input).
  cv::Point2d toNormalised(cv::Point2d source) const;
  cv::Point2d toSource(cv::Point2d normalised) const;
};

// The letterboxed input as a [1, H, W] float tensor, zero mean and unit variance over the
// image area (padding is 0 after normalisation).
torch::Tensor toInputTensor(const cv::Mat& grey8, const InputGeometry& geometry);

// Targets [K, 2] (normalised) and visibility [K] for a landmark set in source pixels.
std::pair<torch::Tensor, torch::Tensor> toTargets(const core::LandmarkSet& landmarks, const InputGeometry& geometry);

// Network coordinates [K, 2] (normalised) back to a landmark set in source pixels.
core::LandmarkSet toLandmarks(const torch::Tensor& coordinates, const InputGeometry& geometry);

}  // namespace sagitta::models
