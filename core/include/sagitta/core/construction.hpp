// SPDX-License-Identifier: GPL-3.0-or-later
// How each parameter is drawn on the image (SR SCOORD, overlay): one polyline in image pixels
// through the landmarks (and reference points) its definition uses, e.g. both endplates of a
// Cobb angle, or the C7 plumb line and S1_P for SVA.
#pragma once

#include <optional>
#include <vector>

#include "sagitta/core/landmark_set.hpp"
#include "sagitta/core/parameter_catalogue.hpp"
#include "sagitta/core/spine_frame.hpp"

namespace sagitta::core {

// Empty when a landmark the parameter needs is missing.
std::vector<Vec2> constructionOf(ParameterId id, const LandmarkSet& landmarks);

}  // namespace sagitta::core
