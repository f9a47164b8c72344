// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/plugin/measure_request.hpp"

#include <stdexcept>

#include "sagitta/core/errors.hpp"
#include "sagitta/core/landmarks_json.hpp"
#include "sagitta/core/measurement.hpp"
#include "sagitta/core/measurement_json.hpp"

namespace sagitta::plugin {

std::string measureLandmarksJson(std::string_view body) {
  if (body.empty()) throw std::invalid_argument("the body must be a landmarks file (FORMATS.md)");
  if (body.size() > kMaxMeasureBodyBytes) throw std::invalid_argument("the body is larger than a landmarks file can be (4 MB)");
  try {
    const auto file = core::parseLandmarksJson(body);
    return core::measurementToJson(core::measure(file.landmarks, file.image.calibration));
  } catch (const core::Error& e) {
    throw std::invalid_argument(e.what());  // the caller's input: a 400 with the reason
  }
}

}  // namespace sagitta::plugin
