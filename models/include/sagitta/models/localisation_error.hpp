// SPDX-License-Identifier: GPL-3.0-or-later
// Localisation errors of seeds/000 (eq. 5-8): Euclidean error in mm per landmark and image,
// the same divided by the distance from the true landmark to its nearest true neighbour, the
// per-landmark median of that, and its maximum over landmarks (the model-selection criterion).
#pragma once

#include <array>
#include <limits>
#include <vector>

#include "sagitta/core/landmark_set.hpp"

namespace sagitta::models {

inline constexpr double kMissing = std::numeric_limits<double>::quiet_NaN();

struct ImageErrors {
  std::array<double, core::kLandmarkCount> mm;        // eq. 5 in mm; NaN where not annotated
  std::array<double, core::kLandmarkCount> weighted;  // eq. 6; NaN where not annotated
};

// The femoral heads are an unordered pair: the prediction's pair is swapped when that fits the
// truth better (the measurement uses both heads symmetrically).
core::LandmarkSet matchFemoralHeads(const core::LandmarkSet& predicted, const core::LandmarkSet& truth);

// Errors of one image, with the pixel spacing of the coordinates.
ImageErrors imageErrors(const core::LandmarkSet& predicted, const core::LandmarkSet& truth, double rowSpacingMm,
                        double columnSpacingMm);

struct ErrorSummary {
  std::array<double, core::kLandmarkCount> medianMm{}, medianWeighted{};
  double selectionError = 0.0;  // eq. 8: max over landmarks of the median weighted error
  double medianMmAll = 0.0;     // median over every landmark of every image
  double worstMedianMm = 0.0;   // max over landmarks of the median error in mm
};

ErrorSummary summarise(const std::vector<ImageErrors>& errors);

double median(std::vector<double> values);   // NaNs dropped; NaN when empty
double quantile(std::vector<double> values, double q);  // linear interpolation, NaNs dropped

}  // namespace sagitta::models
