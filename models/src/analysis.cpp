// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/models/analysis.hpp"

#include <chrono>

#include <nlohmann/json.hpp>

#include "sagitta/core/errors.hpp"
#include "sagitta/core/fail_closed.hpp"
#include "sagitta/core/measurement_json.hpp"

namespace sagitta::models {

FailClosedMeasurement measureFailClosed(const core::LandmarkSet& landmarks, const core::Calibration& calibration) {
  FailClosedMeasurement result;
  try {
    result.measurement = core::measure(landmarks, calibration);
  } catch (const core::Error& e) {
    // Upside down, facing undetermined, nothing measurable: the landmarks are not a spine.
    result.reasons.push_back(std::string("the landmarks found cannot be measured: ") + e.what());
    return result;
  }
  const auto verdict = core::applyFailClosed(result.measurement);
  result.accepted = !verdict.refused;
  result.reasons = verdict.reasons;
  result.withheld = verdict.withheld;
  return result;
}

void markOutsideFieldOfView(core::Measurement& m, const Prediction& p) {
  if (!p.hasPresence) return;
  for (auto& value : m.parameters) {
    if (value.value) continue;
    std::string absent;
    bool onlyAbsent = true, anyMissing = false;
    for (const auto id : core::parameterInfo(value.id).landmarks) {
      if (p.landmarks.has(id)) continue;
      anyMissing = true;
      if (p.presence[core::indexOf(id)] >= kPresentProbability) onlyAbsent = false;
      absent += (absent.empty() ? "" : ", ") + std::string(core::landmarkKey(id));
    }
    if (anyMissing && onlyAbsent) value.reason = std::string(core::kOutsideFieldOfViewPrefix) + absent + " not on the film";
  }
}

Analysis analyse(InferenceEngine& engine, const dicom::Radiograph& radiograph) {
  using Clock = std::chrono::steady_clock;
  Analysis a;
  const auto& info = radiograph.info;
  a.report.source = info;
  a.report.model.name = engine.manifest().name;
  a.report.model.version = engine.manifest().version;
  a.report.model.sha256 = engine.bundleSha256();
  const auto t0 = Clock::now();
  a.prediction = engine.predict(radiograph.display, info.calibration);
  const auto t1 = Clock::now();
  a.inferenceSeconds = std::chrono::duration<double>(t1 - t0).count();
  a.accepted = a.prediction.gate.accepted;
  a.reasons = a.prediction.gate.reasons;
  a.report.landmarks.image = {info.columns, info.rows, info.calibration};
  a.report.landmarks.landmarks = a.prediction.landmarks;
  if (!a.accepted) return a;
  const auto decision = measureFailClosed(a.prediction.landmarks, info.calibration);
  a.measurementSeconds = std::chrono::duration<double>(Clock::now() - t1).count();
  if (!decision.accepted) {
    a.accepted = false;
    a.reasons = decision.reasons;
    return a;
  }
  a.report.measurement = decision.measurement;
  markOutsideFieldOfView(a.report.measurement, a.prediction);
  a.withheld = decision.withheld;
  return a;
}

std::string analysisToJson(const Analysis& a, int indent) {
  nlohmann::ordered_json root;
  root["accepted"] = a.accepted;
  root["reasons"] = a.reasons;
  std::vector<std::string> withheld;
  for (const auto id : a.withheld) withheld.emplace_back(core::parameterInfo(id).key);
  if (a.accepted) root["withheld"] = withheld;
  root["model"] = {{"name", a.report.model.name}, {"version", a.report.model.version}, {"sha256", a.report.model.sha256}};
  root["median_heatmap_spread_px"] = a.prediction.medianSpreadInputPx;
  root["landmarks"] = nlohmann::ordered_json::parse(core::landmarksToJson(a.report.landmarks));
  if (a.accepted) root["parameters"] = nlohmann::ordered_json::parse(core::measurementToJson(a.report.measurement));
  return root.dump(indent);
}

}  // namespace sagitta::models
