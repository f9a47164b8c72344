// SPDX-License-Identifier: GPL-3.0-or-later
// The local refiner applied to found landmarks (inference and the refiner's validation).
#pragma once

#include <array>
#include <vector>

#include <opencv2/core.hpp>
#include <torch/torch.h>

#include "sagitta/core/landmark_set.hpp"
#include "sagitta/models/refiner_network.hpp"

namespace sagitta::models {

// Refines every landmark of `centres` (source pixels of `grey8`) with one patch each, reading
// channel k of the patch of landmark k; the femoral heads come from one patch on the hip axis
// (head_pair.hpp), and a head without its pair is left where it is. spreadPx (optional): the
// heatmap spread per landmark, source pixels. fieldScales (optional, one per image) widen each
// image's patches (anatomicalScale). Batches all patches of all images through the network.
std::vector<core::LandmarkSet> refineLandmarks(RefinerNetworkImpl& network, const std::vector<cv::Mat>& images,
                                               const std::vector<core::LandmarkSet>& centres, int coarseInputHeight,
                                               int coarseInputWidth, const torch::Device& device,
                                               std::vector<std::array<double, core::kLandmarkCount>>* spreadPx = nullptr,
                                               const std::vector<double>* fieldScales = nullptr);

}  // namespace sagitta::models
