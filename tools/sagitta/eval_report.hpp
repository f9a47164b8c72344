// SPDX-License-Identifier: GPL-3.0-or-later
// Writes an evaluation as the paper reports it: evaluation.md (Table 1 layout, with the paper's
// MAE beside ours), landmarks.csv, parameters.csv, images.csv, landmark_errors.png (per-landmark
// error distribution) and bland_altman.png (one panel per parameter).
#pragma once

#include <array>
#include <string>

#include "sagitta/models/evaluation.hpp"

namespace sagitta::cli {

// seeds/000 Table 1: mean absolute error of the ensemble, in catalogue order.
inline constexpr std::array<double, 18> kPaperMae{3.8, 3.5, 1.1, 5.1, 1.9, 6.6, 5.3, 1.1, 6.6,
                                                  6.7, 5.4, 4.3, 1.0, 3.4, 1.2, 1.0, 0.3, 0.1};

struct EvalContext {
  std::string bundleName, bundleVersion, bundleSha256, composition, device, data;
};

// Returns the Markdown text (also written to folder/evaluation.md).
std::string writeEvaluationReport(const models::Evaluation& evaluation, const EvalContext& context,
                                  const std::string& folder);

}  // namespace sagitta::cli
