// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/models/real_film_evaluation.hpp"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>

#include "sagitta/core/errors.hpp"
#include "sagitta/core/landmarks_json.hpp"
#include "sagitta/core/measurement.hpp"
#include "sagitta/dicom/input_image.hpp"
#include "sagitta/models/analysis.hpp"
#include "sagitta/models/errors.hpp"
#include "sagitta/models/evaluation.hpp"
#include "sagitta/models/localisation_error.hpp"
#include "sagitta/models/read_file.hpp"

namespace sagitta::models {
namespace fs = std::filesystem;
namespace {

constexpr int kAnnotationDraws = 300;
constexpr std::uint32_t kAnnotationSeed = 20261201;

std::vector<std::string> splitTabs(const std::string& line) {
  std::vector<std::string> fields;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, '\t')) fields.push_back(field);
  return fields;
}

double confidenceSd(const std::string& confidence) {
  if (confidence == "high") return kAnnotationSdHighPx;
  if (confidence == "low") return kAnnotationSdLowPx;
  return kAnnotationSdMediumPx;  // "medium" or unstated
}

// SD of each parameter over redraws of the annotated points (NaN where the truth is absent).
std::array<double, core::kParameterCount> annotationSpread(const core::LandmarkSet& truth,
                                                           const nlohmann::json& confidence,
                                                           const core::Calibration& calibration) {
  std::array<double, core::kParameterCount> sum{}, sumSq{};
  std::array<int, core::kParameterCount> n{};
  std::mt19937 random(kAnnotationSeed);
  std::normal_distribution<double> normal(0.0, 1.0);
  for (int draw = 0; draw < kAnnotationDraws; ++draw) {
    core::LandmarkSet moved;
    for (const auto& info : core::landmarkCatalogue()) {
      const auto& point = truth.get(info.id);
      if (!point) continue;
      const std::string key(info.key);
      const double sd = confidenceSd(confidence.is_object() ? confidence.value(key, std::string()) : std::string());
      core::Landmark l = *point;
      l.x += sd * normal(random);
      l.y += sd * normal(random);
      moved.set(info.id, l);
    }
    try {
      const auto values = parameterValues(core::measure(moved, calibration));
      for (std::size_t k = 0; k < core::kParameterCount; ++k) {
        if (std::isnan(values[k])) continue;
        sum[k] += values[k];
        sumSq[k] += values[k] * values[k];
        ++n[k];
      }
    } catch (const core::Error&) {
      // A redraw that flips the geometry counts for nothing.
    }
  }
  std::array<double, core::kParameterCount> sd{};
  for (std::size_t k = 0; k < core::kParameterCount; ++k) {
    if (n[k] < 2) {
      sd[k] = kMissing;
      continue;
    }
    const double mean = sum[k] / n[k];
    sd[k] = std::sqrt(std::max(0.0, sumSq[k] / n[k] - mean * mean));
  }
  return sd;
}

}  // namespace

std::vector<FilmEntry> readFilmList(const std::string& tsvPath) {
  const auto text = readWholeFile(tsvPath);
  if (!text) throw ConfigError("cannot read the film list " + tsvPath);
  const fs::path folder = fs::path(tsvPath).parent_path();
  std::vector<FilmEntry> films;
  std::istringstream lines(*text);
  std::string line;
  int number = 0;
  while (std::getline(lines, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    const auto f = splitTabs(line);
    if (f.size() < 6) {
      throw ConfigError(tsvPath + ":" + std::to_string(number) +
                        ": expected 6 tab-separated columns (set, category, kind, image, annotation, pixel_spacing_mm)");
    }
    FilmEntry entry{f[0], f[1], f[2], (folder / f[3]).string(), f[4] == "-" ? std::string() : (folder / f[4]).string(), {}};
    if (f[5] != "-") {
      try {
        entry.pixelSpacingMm = std::stod(f[5]);
      } catch (const std::exception&) {
        throw ConfigError(tsvPath + ":" + std::to_string(number) + ": pixel_spacing_mm is not a number");
      }
    }
    if (!fs::exists(entry.image)) throw ConfigError(tsvPath + ":" + std::to_string(number) + ": no file " + entry.image);
    if (!entry.annotation.empty() && !fs::exists(entry.annotation)) {
      throw ConfigError(tsvPath + ":" + std::to_string(number) + ": no file " + entry.annotation);
    }
    films.push_back(std::move(entry));
  }
  if (films.empty()) throw ConfigError(tsvPath + " lists no film");
  return films;
}

RealFilmEvaluation evaluateFilms(InferenceEngine& engine, const std::vector<FilmEntry>& films, const FilmProgress& progress) {
  RealFilmEvaluation evaluation;
  for (const auto& entry : films) {
    FilmResult r;
    r.entry = entry;
    r.name = fs::path(entry.image).stem().string();
    r.landmarkError.fill(kMissing);
    r.truth.fill(kMissing);
    r.predicted.fill(kMissing);
    r.annotationSd.fill(kMissing);
    r.medianLandmarkError = kMissing;
    try {
      const auto radiograph = dicom::readInputImage(entry.image, entry.pixelSpacingMm);
      r.columns = radiograph.info.columns;
      r.rows = radiograph.info.rows;
      const auto& calibration = radiograph.info.calibration;
      r.calibrated = calibration.calibrated();
      const auto analysis = analyse(engine, radiograph);
      r.inferenceSeconds = analysis.inferenceSeconds;
      r.medianSpreadInputPx = analysis.prediction.medianSpreadInputPx;
      r.measured = analysis.accepted;
      r.reasons = analysis.reasons;
      for (const auto id : analysis.withheld) r.withheld.emplace_back(core::parameterInfo(id).key);
      if (r.measured) r.predicted = parameterValues(analysis.report.measurement);

      if (!entry.annotation.empty()) {
        const auto text = readWholeFile(entry.annotation);
        if (!text) throw ConfigError("cannot read " + entry.annotation);
        const auto annotation = core::parseLandmarksJson(*text);
        if ((annotation.image.columns && *annotation.image.columns != r.columns) ||
            (annotation.image.rows && *annotation.image.rows != r.rows)) {
          throw ConfigError(entry.annotation + ": its image size does not match " + entry.image);
        }
        const auto extra = nlohmann::json::parse(*text);
        const auto confidence = extra.contains("annotation") ? extra["annotation"].value("confidence", nlohmann::json::object())
                                                             : nlohmann::json::object();
        r.annotated = static_cast<int>(annotation.landmarks.size());
        const auto matched = matchFemoralHeads(analysis.prediction.landmarks, annotation.landmarks);
        const auto errors = imageErrors(matched, annotation.landmarks, calibration.rowSpacingMm, calibration.columnSpacingMm);
        r.landmarkError = errors.mm;
        r.medianLandmarkError = median(std::vector<double>(errors.mm.begin(), errors.mm.end()));
        try {
          r.truth = parameterValues(core::measure(annotation.landmarks, calibration));
          r.annotationSd = annotationSpread(annotation.landmarks, confidence, calibration);
        } catch (const core::Error& e) {
          r.annotationNote = e.what();
        }
      }
    } catch (const ConfigError&) {
      throw;  // a broken list or annotation is the evaluation's error, not the film's
    } catch (const core::Error& e) {
      r.readError = e.what();
      r.reasons = {std::string("not read: ") + e.what()};
    }
    evaluation.films.push_back(std::move(r));
    if (progress) progress(evaluation.films.size(), films.size());
  }
  return evaluation;
}

}  // namespace sagitta::models
