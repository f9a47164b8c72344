// SPDX-License-Identifier: GPL-3.0-or-later
// Evaluation on real films listed in a films.tsv (../shared/realfilms): each image goes through
// the production path (read, gate, inference, fail-closed measurement) and is compared with its
// annotation, which may hold any subset of the 45 landmarks. Negatives (no annotation) must be
// refused. A parameter is compared where the annotation allows it (all its landmarks annotated)
// and the film was measured. The annotations' own uncertainty is estimated per parameter by
// redrawing each annotated point with the spread its confidence implies.
#pragma once

#include <array>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sagitta/core/landmark_set.hpp"
#include "sagitta/core/parameter_catalogue.hpp"
#include "sagitta/models/inference_engine.hpp"

namespace sagitta::models {

struct FilmEntry {
  std::string set, category, kind;
  std::string image;       // resolved against the list's folder
  std::string annotation;  // empty for a negative
  std::optional<double> pixelSpacingMm;
  bool negative() const { return category == "negative" || annotation.empty(); }
};

// Throws ConfigError for a missing file, a malformed line or a missing column.
std::vector<FilmEntry> readFilmList(const std::string& tsvPath);

// Point spread (px, 1 SD per axis) assumed for an annotated point of each confidence, in the
// source image's pixels; "a few pixels for clear corners, more for ..." (realfilms README).
inline constexpr double kAnnotationSdHighPx = 2.0;
inline constexpr double kAnnotationSdMediumPx = 4.0;
inline constexpr double kAnnotationSdLowPx = 8.0;

struct FilmResult {
  FilmEntry entry;
  std::string name;                   // image file stem
  std::string readError;              // non-empty when the image could not be read
  bool measured = false;
  std::vector<std::string> reasons;   // why it was not measured
  std::vector<std::string> withheld;  // parameter keys made "not measurable"
  int columns = 0, rows = 0;
  bool calibrated = false;
  double medianSpreadInputPx = 0.0;
  int annotated = 0;                    // landmarks in the annotation
  double medianLandmarkError = 0.0;     // mm when calibrated, else px; NaN without annotation
  std::array<double, core::kLandmarkCount> landmarkError{};  // NaN where not annotated
  std::array<double, core::kParameterCount> truth{}, predicted{}, annotationSd{};  // NaN where absent
  std::string annotationNote;           // why the annotation allows no parameter, if so
  double inferenceSeconds = 0.0;
};

struct RealFilmEvaluation {
  std::vector<FilmResult> films;
};

using FilmProgress = std::function<void(std::size_t done, std::size_t total)>;

RealFilmEvaluation evaluateFilms(InferenceEngine& engine, const std::vector<FilmEntry>& films,
                                 const FilmProgress& progress = {});

}  // namespace sagitta::models
