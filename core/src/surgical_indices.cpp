// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/core/surgical_indices.hpp"

namespace sagitta::core {
namespace {

const ParameterValue& valueOf(const ParameterValues& parameters, ParameterId id) {
  return parameters[indexOf(id)];
}

std::string unavailable(const ParameterValues& parameters, ParameterId id) {
  return std::string(parameterKey(id)) + " not measured (" + valueOf(parameters, id).reason + ")";
}

SchwabModifier gradeOf(std::string_view key, std::string_view unit, std::string_view thresholds,
                       const std::optional<double>& value, std::string reason, double plusFrom,
                       double plusPlusAbove) {
  SchwabModifier modifier{key, unit, thresholds, value, std::nullopt, std::move(reason)};
  if (value) modifier.grade = gradeWithThresholds(*value, plusFrom, plusPlusAbove);
  return modifier;
}

}  // namespace

std::string_view schwabGradeKey(SchwabGrade grade) {
  switch (grade) {
    case SchwabGrade::Zero: return "0";
    case SchwabGrade::Plus: return "+";
    case SchwabGrade::PlusPlus: return "++";
  }
  return "?";
}

SchwabGrade gradeWithThresholds(double value, double plusFrom, double plusPlusAbove) {
  if (value > plusPlusAbove) return SchwabGrade::PlusPlus;
  if (value >= plusFrom) return SchwabGrade::Plus;
  return SchwabGrade::Zero;
}

SurgicalIndices computeSurgicalIndices(const ParameterValues& parameters, const Calibration& calibration) {
  SurgicalIndices indices;
  const auto& pi = valueOf(parameters, ParameterId::PI);
  const auto& ll = valueOf(parameters, ParameterId::LL);
  if (pi.value && ll.value) {
    indices.piMinusLl = *pi.value - *ll.value;
  } else {
    indices.piMinusLlReason = unavailable(parameters, pi.value ? ParameterId::LL : ParameterId::PI);
  }

  indices.schwab[0] = gradeOf("PI-LL", "deg", "0: <10 deg, +: 10-20 deg, ++: >20 deg", indices.piMinusLl,
                              indices.piMinusLlReason, 10.0, 20.0);

  const auto& pt = valueOf(parameters, ParameterId::PT);
  indices.schwab[1] = gradeOf("PT", "deg", "0: <20 deg, +: 20-30 deg, ++: >30 deg", pt.value,
                              pt.value ? std::string() : unavailable(parameters, ParameterId::PT), 20.0, 30.0);

  const auto& sva = valueOf(parameters, ParameterId::SVA);
  std::optional<double> svaMm = sva.value;
  std::string svaReason = sva.value ? std::string() : unavailable(parameters, ParameterId::SVA);
  if (sva.value && !calibration.calibrated()) {
    svaMm.reset();  // the thresholds are in mm; a pixel distance cannot be graded
    svaReason = "SVA is uncalibrated (px): the 40 / 95 mm thresholds do not apply";
  }
  indices.schwab[2] =
      gradeOf("SVA", "mm", "0: <40 mm, +: 40-95 mm, ++: >95 mm", svaMm, std::move(svaReason), 40.0, 95.0);
  return indices;
}

}  // namespace sagitta::core
