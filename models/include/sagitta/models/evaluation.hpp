// SPDX-License-Identifier: GPL-3.0-or-later
// The paper's evaluation (seeds/000, Table 1 and Fig. 3) on a labelled folder, through the same
// path as production: full-size decode, inference, measurement. Per landmark: the error in mm;
// per parameter: predicted against the value measured on the true landmarks.
#pragma once

#include <array>
#include <functional>
#include <string>
#include <vector>

#include "sagitta/core/measurement.hpp"
#include "sagitta/core/parameter_catalogue.hpp"
#include "sagitta/models/inference_engine.hpp"
#include "sagitta/models/localisation_error.hpp"

namespace sagitta::models {

struct EvaluatedImage {
  std::string name;
  bool accepted = true;               // by the gate and the fail-closed measurement
  std::vector<std::string> reasons;
  std::vector<core::ParameterId> withheld;  // "not measurable" (counted as missing)
  ImageErrors errors;
  core::LandmarkSet predictedLandmarks, trueLandmarks;  // source pixels; heads matched to the truth
  std::array<double, core::kParameterCount> predicted{}, truth{};  // NaN where not measured
  double inferenceSeconds = 0.0;
};

struct ParameterStatistics {
  int n = 0;
  double mae = 0.0, sdAbs = 0.0, medianAbs = 0.0, q1Abs = 0.0, q3Abs = 0.0, pearsonR = 0.0;
  double meanDifference = 0.0, sdDifference = 0.0;  // Bland-Altman bias and spread
};

struct Evaluation {
  std::vector<EvaluatedImage> images;
  ErrorSummary landmarks;  // over the accepted images
  std::array<ParameterStatistics, core::kParameterCount> parameters{};
};

using EvaluationProgress = std::function<void(std::size_t done, std::size_t total)>;

// Every NAME.json with NAME.dcm (or NAME.png / NAME.jpg, calibrated by its JSON) in the folder.
// An image counts as accepted when the gate accepts it and the fail-closed measurement
// (analysis.hpp) does not refuse it; its withheld parameters count as missing.
Evaluation evaluateFolder(InferenceEngine& engine, const std::string& folder, const EvaluationProgress& progress = {});

// The 18 values of a measurement in catalogue order, NaN where not measured.
std::array<double, core::kParameterCount> parameterValues(const core::Measurement& measurement);

ParameterStatistics parameterStatistics(const std::vector<double>& predicted, const std::vector<double>& truth);

}  // namespace sagitta::models
