// SPDX-License-Identifier: GPL-3.0-or-later
// The measurement engine's entry point: 45 landmarks (or fewer) in, 18 parameters, the
// surgical indices and the quality warnings out.
#pragma once

#include <vector>

#include "sagitta/core/calibration.hpp"
#include "sagitta/core/landmark_set.hpp"
#include "sagitta/core/parameters.hpp"
#include "sagitta/core/plausibility.hpp"
#include "sagitta/core/spine_frame.hpp"
#include "sagitta/core/surgical_indices.hpp"

namespace sagitta::core {

struct Measurement {
  Calibration calibration;
  Facing facing = Facing::Right;
  ParameterValues parameters;
  SurgicalIndices indices;
  std::vector<QualityWarning> warnings;

  const ParameterValue& operator[](ParameterId id) const { return parameters[indexOf(id)]; }
  std::size_t measuredCount() const;
};

// Throws InvalidGeometry (upside-down, rotated, facing undetermined) and InvalidInput when
// no parameter at all can be measured from the landmarks given.
Measurement measure(const LandmarkSet& landmarks, const Calibration& calibration);

}  // namespace sagitta::core
