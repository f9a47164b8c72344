// SPDX-License-Identifier: GPL-3.0-or-later
// Indices surgeons plan with, derived from the parameters: the PI-LL mismatch and the
// sagittal modifiers of the SRS-Schwab adult spinal deformity classification
// (Schwab F. et al., Spine 2012;37(12):1077-1082, doi:10.1097/BRS.0b013e31823e15e2):
//   PI-LL: 0 < 10 deg, + 10-20 deg, ++ > 20 deg
//   PT:    0 < 20 deg, + 20-30 deg, ++ > 30 deg
//   SVA:   0 < 40 mm,  + 40-95 mm,  ++ > 95 mm
// Grades use the signed values as published: a negative mismatch (LL > PI) or a negative SVA
// grades 0 (the classification describes deficits of lordosis and forward imbalance).
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "sagitta/core/calibration.hpp"
#include "sagitta/core/parameters.hpp"

namespace sagitta::core {

enum class SchwabGrade { Zero, Plus, PlusPlus };
std::string_view schwabGradeKey(SchwabGrade grade);  // "0", "+", "++"

struct SchwabModifier {
  std::string_view key;         // "PI-LL", "PT", "SVA"
  std::string_view unit;        // "deg" or "mm"
  std::string_view thresholds;  // human-readable, e.g. "0: <10 deg, +: 10-20 deg, ++: >20 deg"
  std::optional<double> value;
  std::optional<SchwabGrade> grade;
  std::string reason;  // why grade is empty
};

struct SurgicalIndices {
  std::optional<double> piMinusLl;  // degrees
  std::string piMinusLlReason;
  std::array<SchwabModifier, 3> schwab;  // PI-LL, PT, SVA
};

// Grades for a value; the upper bound of each band is inclusive (10 -> "+", 20 -> "+").
SchwabGrade gradeWithThresholds(double value, double plusFrom, double plusPlusAbove);

SurgicalIndices computeSurgicalIndices(const ParameterValues& parameters, const Calibration& calibration);

}  // namespace sagitta::core
