// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>

#include "sagitta/core/surgical_indices.hpp"

namespace sagitta::core {
namespace {

ParameterValues withValues(double pi, double ll, double pt, double sva) {
  ParameterValues values;
  for (std::size_t i = 0; i < kParameterCount; ++i) values[i].id = static_cast<ParameterId>(i);
  values[indexOf(ParameterId::PI)].value = pi;
  values[indexOf(ParameterId::LL)].value = ll;
  values[indexOf(ParameterId::PT)].value = pt;
  values[indexOf(ParameterId::SVA)].value = sva;
  return values;
}

const Calibration kCalibrated = Calibration::fromSpacing(CalibrationKind::PixelSpacing, 0.15, 0.15);

TEST(SurgicalIndices, MismatchAndGrades) {
  const auto normal = computeSurgicalIndices(withValues(52, 48, 15, 20), kCalibrated);
  ASSERT_TRUE(normal.piMinusLl.has_value());
  EXPECT_DOUBLE_EQ(*normal.piMinusLl, 4.0);
  for (const auto& m : normal.schwab) EXPECT_EQ(m.grade, SchwabGrade::Zero) << m.key;

  const auto moderate = computeSurgicalIndices(withValues(60, 45, 25, 60), kCalibrated);
  for (const auto& m : moderate.schwab) EXPECT_EQ(m.grade, SchwabGrade::Plus) << m.key;

  const auto marked = computeSurgicalIndices(withValues(70, 20, 35, 120), kCalibrated);
  for (const auto& m : marked.schwab) EXPECT_EQ(m.grade, SchwabGrade::PlusPlus) << m.key;
}

TEST(SurgicalIndices, BandBoundaries) {
  EXPECT_EQ(gradeWithThresholds(9.99, 10, 20), SchwabGrade::Zero);
  EXPECT_EQ(gradeWithThresholds(10.0, 10, 20), SchwabGrade::Plus);
  EXPECT_EQ(gradeWithThresholds(20.0, 10, 20), SchwabGrade::Plus);
  EXPECT_EQ(gradeWithThresholds(20.01, 10, 20), SchwabGrade::PlusPlus);
  EXPECT_EQ(gradeWithThresholds(-35.0, 10, 20), SchwabGrade::Zero);  // negative mismatch
  EXPECT_EQ(schwabGradeKey(SchwabGrade::PlusPlus), "++");
}

TEST(SurgicalIndices, UncalibratedSvaIsNotGraded) {
  const auto indices = computeSurgicalIndices(withValues(52, 48, 15, 500), Calibration::uncalibrated());
  EXPECT_FALSE(indices.schwab[2].grade.has_value());
  EXPECT_NE(indices.schwab[2].reason.find("uncalibrated"), std::string::npos);
  EXPECT_TRUE(indices.schwab[0].grade.has_value());
}

TEST(SurgicalIndices, MissingParameterGivesReason) {
  auto values = withValues(52, 48, 15, 20);
  values[indexOf(ParameterId::LL)].value.reset();
  values[indexOf(ParameterId::LL)].reason = "landmark L1_AS missing";
  const auto indices = computeSurgicalIndices(values, kCalibrated);
  EXPECT_FALSE(indices.piMinusLl.has_value());
  EXPECT_EQ(indices.piMinusLlReason, "LL not measured (landmark L1_AS missing)");
  EXPECT_FALSE(indices.schwab[0].grade.has_value());
}

}  // namespace
}  // namespace sagitta::core
