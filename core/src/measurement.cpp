// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/core/measurement.hpp"

#include "sagitta/core/errors.hpp"

namespace sagitta::core {

std::size_t Measurement::measuredCount() const {
  std::size_t n = 0;
  for (const auto& value : parameters) n += value.value.has_value() ? 1U : 0U;
  return n;
}

Measurement measure(const LandmarkSet& landmarks, const Calibration& calibration) {
  Measurement result;
  result.calibration = calibration;
  const SpineFrame frame = SpineFrame::fromLandmarks(landmarks, calibration);
  result.facing = frame.facing();
  result.parameters = computeParameters(landmarks, frame);
  if (result.measuredCount() == 0) {
    throw InvalidInput("no parameter can be measured: " + std::to_string(landmarks.size()) +
                       " landmarks given, each parameter needs more (e.g. SS: " +
                       result.parameters[indexOf(ParameterId::SS)].reason + ")");
  }
  result.indices = computeSurgicalIndices(result.parameters, calibration);
  result.warnings = checkLandmarks(landmarks, frame, calibration);
  auto rangeWarnings = checkParameterRanges(result.parameters, calibration);
  result.warnings.insert(result.warnings.end(), rangeWarnings.begin(), rangeWarnings.end());
  attachWarnings(result.warnings, result.parameters);
  return result;
}

}  // namespace sagitta::core
