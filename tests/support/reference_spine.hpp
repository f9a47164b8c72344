// SPDX-License-Identifier: GPL-3.0-or-later
// A hand-built spine with simple integer geometry, so that every parameter has a value
// computable by hand (see reference_spine.cpp for the derivations), placed into an image
// with either facing and any (anisotropic) pixel spacing.
#pragma once

#include <array>
#include <ostream>
#include <utility>

#include "sagitta/core/calibration.hpp"
#include "sagitta/core/landmark_set.hpp"
#include "sagitta/core/parameter_catalogue.hpp"
#include "sagitta/core/spine_frame.hpp"

namespace sagitta::testing {

// Canonical coordinates in mm: X anterior, U up, S1_P at the origin.
struct Canonical {
  core::LandmarkId id;
  double anterior;
  double up;
};
const std::array<Canonical, core::kLandmarkCount>& referenceSpine();

struct Pose {
  core::Facing facing;
  double rowSpacingMm;
  double columnSpacingMm;
};

// Image placement: x_mm = 300 + sign * X, y_mm = 800 - U, then divided by the spacing.
void PrintTo(const Pose& pose, std::ostream* os);

// The point of one landmark in a spine, to move it.
inline Canonical& pointOf(std::array<Canonical, core::kLandmarkCount>& spine, core::LandmarkId id) {
  return spine[core::indexOf(id)];
}

core::LandmarkSet placeInImage(const std::array<Canonical, core::kLandmarkCount>& spine, const Pose& pose);
core::Calibration calibrationFor(const Pose& pose);

// The hand-computed value of each parameter on referenceSpine().
double expectedReferenceValue(core::ParameterId id);

}  // namespace sagitta::testing
