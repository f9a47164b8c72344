// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/models/analysis.hpp"

#include <chrono>

#include <nlohmann/json.hpp>

#include "sagitta/core/measurement_json.hpp"

namespace sagitta::models {

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
  a.report.measurement = core::measure(a.prediction.landmarks, info.calibration);
  a.measurementSeconds = std::chrono::duration<double>(Clock::now() - t1).count();
  return a;
}

std::string analysisToJson(const Analysis& a) {
  nlohmann::ordered_json root;
  root["accepted"] = a.accepted;
  root["reasons"] = a.reasons;
  root["model"] = {{"name", a.report.model.name}, {"version", a.report.model.version}, {"sha256", a.report.model.sha256}};
  root["median_heatmap_spread_px"] = a.prediction.medianSpreadInputPx;
  root["landmarks"] = nlohmann::ordered_json::parse(core::landmarksToJson(a.report.landmarks));
  if (a.accepted) root["parameters"] = nlohmann::ordered_json::parse(core::measurementToJson(a.report.measurement));
  return root.dump(2);
}

}  // namespace sagitta::models
