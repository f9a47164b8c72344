// SPDX-License-Identifier: GPL-3.0-or-later
// The real-film report: realfilms.md (the summary against the targets, one row per film, one
// row per parameter an annotation allows), films.csv and parameters.csv. docs/MODEL_CARD.md's
// "Real films" section is this Markdown (scripts/realfilms.sh writes it there).
#pragma once

#include <string>

#include "eval_report.hpp"
#include "sagitta/models/real_film_evaluation.hpp"

namespace sagitta::cli {

// Largest angle error tolerated on a measured real film (issue 15's target): beyond it a
// measurement is wrong in a way a clinician would act on.
inline constexpr double kMaxRealFilmAngleErrorDeg = 10.0;

struct RealFilmSummary {
  int laterals = 0, lateralsMeasured = 0, negatives = 0, negativesMeasured = 0, unreadable = 0;
  int compared = 0;              // (film, angle parameter) pairs measured and allowed
  double angleMae = 0.0, worstAngleError = 0.0;  // NaN when nothing was compared
  std::string worst;             // "film PARAM"
  bool passes() const;           // no negative measured, no compared angle error above the limit
};

RealFilmSummary summariseRealFilms(const models::RealFilmEvaluation& evaluation);

// Returns the Markdown (also written to folder/realfilms.md); listPath is shown as given.
std::string writeRealFilmReport(const models::RealFilmEvaluation& evaluation, const EvalContext& context,
                                const std::string& listPath, const std::string& folder);

}  // namespace sagitta::cli
