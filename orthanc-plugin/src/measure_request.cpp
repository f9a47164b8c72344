// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/plugin/measure_request.hpp"

#include <stdexcept>

#include <nlohmann/json.hpp>

#include "sagitta/core/construction.hpp"
#include "sagitta/core/errors.hpp"
#include "sagitta/core/landmarks_json.hpp"
#include "sagitta/core/measurement.hpp"
#include "sagitta/core/measurement_json.hpp"

namespace sagitta::plugin {

std::string measureLandmarksJson(std::string_view body, bool withConstructions) {
  if (body.empty()) throw std::invalid_argument("the body must be a landmarks file (FORMATS.md)");
  if (body.size() > kMaxMeasureBodyBytes) throw std::invalid_argument("the body is larger than a landmarks file can be (4 MB)");
  try {
    const auto file = core::parseLandmarksJson(body);
    const auto measurement = core::measure(file.landmarks, file.image.calibration);
    if (!withConstructions) return core::measurementToJson(measurement);
    auto answer = nlohmann::ordered_json::parse(core::measurementToJson(measurement));
    auto& constructions = answer["constructions"] = nlohmann::ordered_json::object();
    for (const auto& value : measurement.parameters) {
      if (!value.value) continue;
      auto& points = constructions[std::string(core::parameterKey(value.id))] = nlohmann::ordered_json::array();
      for (const auto& p : core::constructionOf(value.id, file.landmarks)) points.push_back({p.x, p.y});
    }
    return answer.dump(2);
  } catch (const core::Error& e) {
    throw std::invalid_argument(e.what());  // the caller's input: a 400 with the reason
  }
}

}  // namespace sagitta::plugin
