// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/models/evaluation.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>

#include "sagitta/core/errors.hpp"
#include "sagitta/core/landmarks_json.hpp"
#include "sagitta/core/measurement.hpp"
#include "sagitta/dicom/input_image.hpp"
#include "sagitta/dicom/radiograph.hpp"
#include "sagitta/models/analysis.hpp"
#include "sagitta/models/errors.hpp"
#include "sagitta/models/read_file.hpp"

namespace sagitta::models {
namespace fs = std::filesystem;
namespace {

// NAME.dcm, NAME.png, NAME.jpg or NAME.jpeg beside NAME.json; empty when none.
fs::path imageBeside(const fs::path& json) {
  for (const char* extension : {".dcm", ".png", ".jpg", ".jpeg"}) {
    const auto candidate = fs::path(json).replace_extension(extension);
    if (fs::exists(candidate)) return candidate;
  }
  return {};
}

}  // namespace

std::array<double, core::kParameterCount> parameterValues(const core::Measurement& m) {
  std::array<double, core::kParameterCount> v{};
  for (std::size_t i = 0; i < core::kParameterCount; ++i) v[i] = m.parameters[i].value.value_or(kMissing);
  return v;
}

ParameterStatistics parameterStatistics(const std::vector<double>& predicted, const std::vector<double>& truth) {
  ParameterStatistics s;
  std::vector<double> p, t, absolute, difference;
  for (std::size_t i = 0; i < predicted.size(); ++i) {
    if (std::isnan(predicted[i]) || std::isnan(truth[i])) continue;
    p.push_back(predicted[i]);
    t.push_back(truth[i]);
    difference.push_back(predicted[i] - truth[i]);
    absolute.push_back(std::abs(predicted[i] - truth[i]));
  }
  s.n = static_cast<int>(p.size());
  if (s.n == 0) {
    s.mae = s.sdAbs = s.medianAbs = s.q1Abs = s.q3Abs = s.pearsonR = s.meanDifference = s.sdDifference = kMissing;
    return s;
  }
  const auto mean = [](const std::vector<double>& v) {
    double sum = 0.0;
    for (const double x : v) sum += x;
    return sum / static_cast<double>(v.size());
  };
  const auto sd = [&](const std::vector<double>& v) {
    if (v.size() < 2) return 0.0;
    const double m = mean(v);
    double sum = 0.0;
    for (const double x : v) sum += (x - m) * (x - m);
    return std::sqrt(sum / static_cast<double>(v.size() - 1));
  };
  s.mae = mean(absolute);
  s.sdAbs = sd(absolute);
  s.medianAbs = median(absolute);
  s.q1Abs = quantile(absolute, 0.25);
  s.q3Abs = quantile(absolute, 0.75);
  s.meanDifference = mean(difference);
  s.sdDifference = sd(difference);
  const double mp = mean(p), mt = mean(t);
  double sxy = 0.0, sxx = 0.0, syy = 0.0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    sxy += (p[i] - mp) * (t[i] - mt);
    sxx += (p[i] - mp) * (p[i] - mp);
    syy += (t[i] - mt) * (t[i] - mt);
  }
  s.pearsonR = (sxx > 0.0 && syy > 0.0) ? sxy / std::sqrt(sxx * syy) : kMissing;
  return s;
}

Evaluation evaluateFolder(InferenceEngine& engine, const std::string& folder, const EvaluationProgress& progress) {
  if (!fs::is_directory(folder)) throw ConfigError("evaluation folder " + folder + " does not exist");
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(folder)) {
    const auto& p = entry.path();
    if (p.extension() == ".json" && !imageBeside(p).empty()) files.push_back(p);
  }
  if (files.empty()) {
    throw ConfigError("evaluation folder " + folder + " has no NAME.json beside a NAME.dcm, NAME.png or NAME.jpg");
  }
  std::sort(files.begin(), files.end());
  Evaluation evaluation;
  std::vector<ImageErrors> accepted;
  for (const auto& json : files) {
    const auto text = readWholeFile(json.string());
    if (!text) throw ConfigError("cannot read " + json.string());
    const auto truth = core::parseLandmarksJson(*text);
    const auto imagePath = imageBeside(json);
    cv::Mat grey8;
    core::Calibration calibration = truth.image.calibration;
    if (dicom::sniffInputKind(imagePath.string()) == dicom::InputKind::Dicom) {
      const auto radiograph = dicom::readRadiograph(imagePath.string());
      grey8 = radiograph.display;
      calibration = radiograph.info.calibration;
    } else {
      // A training PNG or an export: calibrated by its truth JSON, as the phantom writes it.
      grey8 = dicom::readRasterImage(imagePath.string(), std::nullopt).display;
    }
    EvaluatedImage image;
    image.name = json.stem().string();
    const auto t0 = std::chrono::steady_clock::now();
    const auto prediction = engine.predict(grey8, calibration);
    image.inferenceSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    image.accepted = prediction.gate.accepted;
    image.reasons = prediction.gate.reasons;
    const auto matched = matchFemoralHeads(prediction.landmarks, truth.landmarks);
    image.errors = imageErrors(matched, truth.landmarks, calibration.rowSpacingMm, calibration.columnSpacingMm);
    image.predictedLandmarks = matched;
    image.trueLandmarks = truth.landmarks;
    image.truth = parameterValues(core::measure(truth.landmarks, calibration));
    image.predicted.fill(kMissing);
    if (image.accepted) {
      // The production decision: the failed quality checks refuse the film or withhold values.
      const auto decision = measureFailClosed(matched, calibration);
      image.accepted = decision.accepted;
      image.reasons = decision.reasons;
      image.withheld = decision.withheld;
      if (image.accepted) image.predicted = parameterValues(decision.measurement);
    }
    if (image.accepted) accepted.push_back(image.errors);
    evaluation.images.push_back(std::move(image));
    if (progress) progress(evaluation.images.size(), files.size());
  }
  evaluation.landmarks = summarise(accepted);
  for (std::size_t k = 0; k < core::kParameterCount; ++k) {
    std::vector<double> p, t;
    for (const auto& image : evaluation.images) {
      if (!image.accepted) continue;
      p.push_back(image.predicted[k]);
      t.push_back(image.truth[k]);
    }
    evaluation.parameters[k] = parameterStatistics(p, t);
  }
  return evaluation;
}

}  // namespace sagitta::models
