// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/core/measurement_json.hpp"

#include <cmath>

#include <nlohmann/json.hpp>

namespace sagitta::core {
namespace {

using Json = nlohmann::ordered_json;

Json optionalNumber(const std::optional<double>& value, ParameterUnit unit) {
  return value ? Json(roundForDisplay(*value, unit)) : Json(nullptr);
}

Json parametersJson(const Measurement& m) {
  Json parameters = Json::object();
  const bool calibrated = m.calibration.calibrated();
  for (const auto& value : m.parameters) {
    const auto& info = parameterInfo(value.id);
    Json item{{"value", optionalNumber(value.value, info.unit)}, {"unit", unitSymbol(info.unit, calibrated)}};
    if (!value.value) item["reason"] = value.reason;
    if (!value.warnings.empty()) item["warnings"] = value.warnings;
    parameters[std::string(info.key)] = std::move(item);
  }
  return parameters;
}

Json indicesJson(const SurgicalIndices& indices) {
  Json piLl{{"value", optionalNumber(indices.piMinusLl, ParameterUnit::Degree)}, {"unit", "deg"}};
  if (!indices.piMinusLl) piLl["reason"] = indices.piMinusLlReason;
  Json schwab = Json::object();
  for (const auto& modifier : indices.schwab) {
    Json item{{"grade", modifier.grade ? Json(schwabGradeKey(*modifier.grade)) : Json(nullptr)},
              {"value", optionalNumber(modifier.value, ParameterUnit::Degree)},
              {"unit", modifier.unit},
              {"thresholds", modifier.thresholds}};
    if (!modifier.grade) item["reason"] = modifier.reason;
    schwab[std::string(modifier.key)] = std::move(item);
  }
  schwab["source"] = "SRS-Schwab classification, Schwab et al., Spine 2012;37(12):1077-1082";
  return Json{{"PI_LL", std::move(piLl)}, {"schwab", std::move(schwab)}};
}

Json warningsJson(const std::vector<QualityWarning>& warnings) {
  Json list = Json::array();
  for (const auto& warning : warnings) {
    Json landmarks = Json::array();
    for (const auto id : warning.landmarks) landmarks.push_back(landmarkKey(id));
    Json parameters = Json::array();
    for (const auto id : warning.parameters) parameters.push_back(parameterKey(id));
    list.push_back(Json{{"code", warning.code},
                        {"message", warning.message},
                        {"landmarks", std::move(landmarks)},
                        {"parameters", std::move(parameters)}});
  }
  return list;
}

}  // namespace

double roundForDisplay(double value, ParameterUnit unit) {
  const double scale = unit == ParameterUnit::Ratio ? 1000.0 : 100.0;
  const double rounded = std::round(value * scale) / scale;
  return rounded == 0.0 ? 0.0 : rounded;  // no "-0.0" in reports
}

std::string measurementToJson(const Measurement& m, int indent) {
  Json root;
  root["calibration"] = calibrationKey(m.calibration.kind);
  root["calibration_note"] = m.calibration.note;
  if (m.calibration.calibrated()) {
    root["pixel_spacing_mm"] = {m.calibration.rowSpacingMm, m.calibration.columnSpacingMm};
  } else {
    root["pixel_spacing_mm"] = nullptr;
  }
  root["facing"] = facingKey(m.facing);
  root["parameters"] = parametersJson(m);
  root["indices"] = indicesJson(m.indices);
  root["warnings"] = warningsJson(m.warnings);
  return root.dump(indent);
}

}  // namespace sagitta::core
