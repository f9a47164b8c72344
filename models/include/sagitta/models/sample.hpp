// SPDX-License-Identifier: GPL-3.0-or-later
// One network input built from an image and (optionally) its landmarks: the letterbox of
// InputGeometry, then the augmentations of seeds/000 (scale 0.8-1.0, rotation +-30 deg, blur)
// plus contrast, noise and a horizontal flip, all applied in one warp so that the landmarks
// follow the pixels exactly. With the identity augmentation this is the inference input.
#pragma once

#include "sagitta/models/film_variety.hpp"

#include <cstdint>
#include <random>

#include <opencv2/core.hpp>
#include <torch/torch.h>

#include "sagitta/core/landmark_set.hpp"

namespace sagitta::models {

struct AugmentationRanges {
  double scaleMin = 0.8, scaleMax = 1.0;
  double rotationDeg = 30.0;          // uniform in [-r, r]
  double shiftFraction = 0.05;        // of the input size, uniform in [-f, f]
  double blurSigmaMax = 1.0;          // input pixels, uniform in [0, max]
  double contrastMin = 0.7, contrastMax = 1.4;  // gamma
  double noiseMax = 6.0;              // grey levels (of 255), uniform SD in [0, max]
  double flipProbability = 0.5;       // mirrors the film: the patient faces the other way
  FilmVarietyRanges film;             // domain randomisation (film_variety.hpp); none by default
};

// One draw of the ranges (identity() for inference and validation).
struct Augmentation {
  double scale = 1.0, rotationDeg = 0.0, shiftX = 0.0, shiftY = 0.0;  // shift in input pixels
  double blurSigma = 0.0, gamma = 1.0, noiseSd = 0.0;
  bool flip = false;
  std::uint64_t noiseSeed = 0;
  FilmVariety film;

  static Augmentation identity() { return {}; }
  static Augmentation draw(const AugmentationRanges& ranges, int inputHeight, int inputWidth, std::mt19937_64& rng);
};

struct Sample {
  torch::Tensor input;     // [1, H, W] float, zero mean / unit variance over the image area
  torch::Tensor targets;   // [K, 2] normalised DSNT units
  torch::Tensor visible;   // [K] 1 = annotated and inside the input
};

// 2x3 affine from source continuous pixel coordinates to input continuous coordinates.
cv::Matx23d inputTransform(const cv::Size& source, int inputHeight, int inputWidth, const Augmentation& a);

// A continuous-coordinate affine (x_c = A p_c + t) as OpenCV's pixel-index affine (pixel centres
// at integers, u = x_c - 0.5), for cv::warpAffine.
cv::Matx23d toIndexAffine(const cv::Matx23d& continuous);

// A point through a 2x3 affine.
cv::Point2d applyAffine(const cv::Matx23d& m, cv::Point2d p);

// The last steps of every network input: a gamma curve, blur and noise (training), then zero
// mean and unit variance over the mask (the image area), 0 outside it. Returns [1, H, W].
torch::Tensor degradeAndNormalise(const cv::Mat& warped8, const cv::Mat& mask, double gamma, double blurSigma,
                                  double noiseSd, std::uint64_t noiseSeed);

Sample makeSample(const cv::Mat& grey8, const core::LandmarkSet& landmarks, int inputHeight, int inputWidth,
                  const Augmentation& augmentation);

// The input alone (inference): identity augmentation.
torch::Tensor makeInput(const cv::Mat& grey8, int inputHeight, int inputWidth);

}  // namespace sagitta::models
