// SPDX-License-Identifier: GPL-3.0-or-later
// The landmarks file of FORMATS.md: image size, calibration and up to 45 points.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "sagitta/core/calibration.hpp"
#include "sagitta/core/landmark_set.hpp"

namespace sagitta::core {

struct ImageGeometry {
  std::optional<int> columns;
  std::optional<int> rows;
  Calibration calibration = Calibration::uncalibrated();
};

struct LandmarkFile {
  ImageGeometry image;
  LandmarkSet landmarks;
};

// Throws InvalidInput (or InvalidCalibration) with a one-line reason for anything that is not
// a valid landmarks file: invalid JSON, wrong types, unknown or duplicate landmark ids,
// non-finite coordinates, points outside the image, spacing <= 0, inconsistent calibration.
// The "image" object is optional (hand annotations may omit it: uncalibrated, unbounded).
LandmarkFile parseLandmarksJson(std::string_view text);

// Writes the landmarks in catalogue order, full double precision.
std::string landmarksToJson(const LandmarkFile& file, int indent = 2);

}  // namespace sagitta::core
