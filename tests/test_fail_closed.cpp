// SPDX-License-Identifier: GPL-3.0-or-later
// The fail-closed policy (core/fail_closed.hpp): a failed quality check withholds the values it
// concerns, or refuses the film when the landmarks as a whole cannot be trusted.
#include <algorithm>
#include <string>

#include <gtest/gtest.h>

#include "sagitta/core/fail_closed.hpp"
#include "support/reference_spine.hpp"

namespace sagitta::core {
namespace {

using sagitta::testing::calibrationFor;
using sagitta::testing::Canonical;
using sagitta::testing::placeInImage;
using sagitta::testing::Pose;
using sagitta::testing::referenceSpine;
using sagitta::testing::pointOf;

const Pose kPose{Facing::Right, 0.15, 0.15};

bool withheld(const FailClosedVerdict& v, ParameterId id) {
  return std::find(v.withheld.begin(), v.withheld.end(), id) != v.withheld.end();
}

TEST(FailClosed, CleanSpineKeepsEveryValue) {
  auto m = measure(placeInImage(referenceSpine(), kPose), calibrationFor(kPose));
  const auto before = m.measuredCount();
  const auto v = applyFailClosed(m);
  EXPECT_FALSE(v.refused);
  EXPECT_TRUE(v.withheld.empty());
  EXPECT_EQ(m.measuredCount(), before);
  EXPECT_EQ(before, kParameterCount);
}

TEST(FailClosed, UncalibratedAloneIsNotAFailure) {
  auto m = measure(placeInImage(referenceSpine(), kPose), Calibration::uncalibrated());
  ASSERT_TRUE(std::any_of(m.warnings.begin(), m.warnings.end(), [](const QualityWarning& w) { return w.code == "uncalibrated"; }));
  const auto v = applyFailClosed(m);
  EXPECT_FALSE(v.refused);
  EXPECT_TRUE(v.withheld.empty());
  EXPECT_TRUE(m[ParameterId::SVA].value.has_value());  // in px, said by the calibration note
}

TEST(FailClosed, ABrokenRhythmOfLevelsRefusesTheFilm) {
  // A doubled or missed level mislabels every vertebra below or above it: no level-specific
  // value can be trusted, as with centres out of order.
  auto spine = referenceSpine();
  pointOf(spine, LandmarkId::L3_C).up = pointOf(spine, LandmarkId::L2_C).up - 4.0;
  auto m = measure(placeInImage(spine, kPose), Calibration::uncalibrated());
  const auto v = applyFailClosed(m);
  EXPECT_TRUE(v.refused);
  ASSERT_FALSE(v.reasons.empty());
  EXPECT_NE(v.reasons[0].find("spacing L2_C-L3_C"), std::string::npos) << v.reasons[0];
}

TEST(FailClosed, MisplacedFemoralHeadsWithholdTheHipParametersOnly) {
  auto spine = referenceSpine();
  pointOf(spine, LandmarkId::FH_A).anterior = 150;  // heads 150+ mm apart
  auto m = measure(placeInImage(spine, kPose), calibrationFor(kPose));
  ASSERT_TRUE(m[ParameterId::PI].value.has_value());  // measured, with a warning, before the policy
  const auto v = applyFailClosed(m);
  EXPECT_FALSE(v.refused);
  for (const auto id : {ParameterId::PI, ParameterId::PT, ParameterId::LPA, ParameterId::GT, ParameterId::TPA,
                        ParameterId::ODHA}) {
    EXPECT_TRUE(withheld(v, id)) << parameterInfo(id).key;
    EXPECT_FALSE(m[id].value.has_value()) << parameterInfo(id).key;
    EXPECT_EQ(m[id].reason.rfind("not measurable: femoral head separation is", 0), 0U) << m[id].reason;
  }
  for (const auto id : {ParameterId::SS, ParameterId::LL, ParameterId::GTK, ParameterId::CL}) {
    EXPECT_FALSE(withheld(v, id)) << parameterInfo(id).key;
    EXPECT_TRUE(m[id].value.has_value()) << parameterInfo(id).key;
  }
  // The indices are recomputed without the withheld values: PI-LL needs PI.
  EXPECT_FALSE(m.indices.piMinusLl.has_value());
}

TEST(FailClosed, CentresOutOfOrderRefuseTheFilm) {
  auto spine = referenceSpine();
  std::swap(pointOf(spine, LandmarkId::T7_C).up, pointOf(spine, LandmarkId::T8_C).up);
  auto m = measure(placeInImage(spine, kPose), calibrationFor(kPose));
  const auto v = applyFailClosed(m);
  EXPECT_TRUE(v.refused);
  EXPECT_TRUE(std::any_of(v.reasons.begin(), v.reasons.end(),
                          [](const std::string& r) { return r.find("T8_C is not below T7_C") != std::string::npos; }));
  EXPECT_TRUE(v.withheld.empty());
}

TEST(FailClosed, ManyFailedChecksRefuseTheFilm) {
  auto spine = referenceSpine();
  std::swap(pointOf(spine, LandmarkId::T5_AS).anterior, pointOf(spine, LandmarkId::T5_PS).anterior);
  std::swap(pointOf(spine, LandmarkId::L4_AS).anterior, pointOf(spine, LandmarkId::L4_PS).anterior);
  pointOf(spine, LandmarkId::FH_A).anterior = 150;
  auto m = measure(placeInImage(spine, kPose), calibrationFor(kPose));
  const auto failed = std::count_if(m.warnings.begin(), m.warnings.end(), [](const QualityWarning& w) { return failsClosed(w); });
  ASSERT_GT(static_cast<std::size_t>(failed), kMaxFailedChecksForPartial);
  const auto v = applyFailClosed(m);
  EXPECT_TRUE(v.refused);
  EXPECT_EQ(v.reasons.size(), static_cast<std::size_t>(failed));
  for (const auto& reason : v.reasons) EXPECT_EQ(reason.rfind("failed quality check: ", 0), 0U) << reason;
}

}  // namespace
}  // namespace sagitta::core
