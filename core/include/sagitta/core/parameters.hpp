// SPDX-License-Identifier: GPL-3.0-or-later
// Computes the 18 parameters of PARAMETERS.md from a landmark set in a SpineFrame.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "sagitta/core/landmark_set.hpp"
#include "sagitta/core/parameter_catalogue.hpp"
#include "sagitta/core/spine_frame.hpp"

namespace sagitta::core {

struct ParameterValue {
  ParameterId id = ParameterId::PI;
  std::optional<double> value;        // degrees, mm (px when uncalibrated) or a ratio
  std::string reason;                 // why value is empty
  std::vector<std::string> warnings;  // quality-check messages that concern this value
};

using ParameterValues = std::array<ParameterValue, kParameterCount>;

// Below this sacro-femoral distance (mm, or px when uncalibrated) the Barrey index is
// undefined: the ratio would explode on measurement noise.
inline constexpr double kMinSacroFemoralDistance = 1.0;

// A parameter whose landmarks are missing gets no value and a reason naming them.
ParameterValues computeParameters(const LandmarkSet& landmarks, const SpineFrame& frame);

}  // namespace sagitta::core
