// SPDX-License-Identifier: GPL-3.0-or-later
#include <algorithm>
#include <string>

#include <gtest/gtest.h>

#include "sagitta/core/measurement.hpp"
#include "support/reference_spine.hpp"

namespace sagitta::core {
namespace {

using sagitta::testing::calibrationFor;
using sagitta::testing::Canonical;
using sagitta::testing::placeInImage;
using sagitta::testing::Pose;
using sagitta::testing::referenceSpine;
using sagitta::testing::pointOf;

const Pose kPose{Facing::Left, 0.15, 0.15};

const QualityWarning* findWarning(const Measurement& m, const std::string& code) {
  const auto it = std::find_if(m.warnings.begin(), m.warnings.end(),
                               [&](const QualityWarning& w) { return w.code == code; });
  return it == m.warnings.end() ? nullptr : &*it;
}

bool concerns(const QualityWarning& w, ParameterId id) {
  return std::find(w.parameters.begin(), w.parameters.end(), id) != w.parameters.end();
}

TEST(Plausibility, ReferenceSpineIsClean) {
  const auto m = measure(placeInImage(referenceSpine(), kPose), calibrationFor(kPose));
  EXPECT_TRUE(m.warnings.empty());
}

TEST(Plausibility, SwappedCornersWarnTheParametersThatUseThem) {
  auto spine = referenceSpine();
  std::swap(pointOf(spine, LandmarkId::T5_AS).anterior, pointOf(spine, LandmarkId::T5_PS).anterior);
  const auto m = measure(placeInImage(spine, kPose), calibrationFor(kPose));
  const auto* w = findWarning(m, "corner_side");
  ASSERT_NE(w, nullptr);
  EXPECT_NE(w->message.find("T5_AS is not anterior to T5_PS"), std::string::npos) << w->message;
  EXPECT_TRUE(concerns(*w, ParameterId::MTK));
  EXPECT_FALSE(concerns(*w, ParameterId::PTK));  // PTK uses T5's inferior corners
  EXPECT_FALSE(m[ParameterId::MTK].warnings.empty());
  EXPECT_TRUE(m[ParameterId::PI].warnings.empty());
  EXPECT_TRUE(m[ParameterId::MTK].value.has_value());  // a warning never removes a value
}

TEST(Plausibility, CentresOutOfOrderAreReported) {
  auto spine = referenceSpine();
  std::swap(pointOf(spine, LandmarkId::T7_C).up, pointOf(spine, LandmarkId::T8_C).up);
  const auto m = measure(placeInImage(spine, kPose), calibrationFor(kPose));
  const auto* w = findWarning(m, "centre_order");
  ASSERT_NE(w, nullptr);
  EXPECT_NE(w->message.find("T8_C is not below T7_C"), std::string::npos) << w->message;
  EXPECT_TRUE(w->parameters.empty());  // no parameter reads T7_C / T8_C
}

TEST(Plausibility, InterCentreDistanceOutsideAnatomicalBounds) {
  auto spine = referenceSpine();
  pointOf(spine, LandmarkId::L3_C).up = 150;  // L2_C at 154: 4 mm apart
  const auto m = measure(placeInImage(spine, kPose), calibrationFor(kPose));
  const auto* w = findWarning(m, "centre_spacing");
  ASSERT_NE(w, nullptr);
  EXPECT_NE(w->message.find("L2_C-L3_C"), std::string::npos) << w->message;
}

TEST(Plausibility, ProportionChecksNeedNoCalibration) {
  const auto m = measure(placeInImage(referenceSpine(), kPose), Calibration::uncalibrated());
  ASSERT_EQ(m.warnings.size(), 1U);
  EXPECT_EQ(m.warnings[0].code, "uncalibrated");

  auto spine = referenceSpine();
  pointOf(spine, LandmarkId::L3_C).up = pointOf(spine, LandmarkId::L2_C).up - 4.0;  // a level doubled
  const auto doubled = measure(placeInImage(spine, kPose), Calibration::uncalibrated());
  const auto* w = findWarning(doubled, "centre_rhythm");
  ASSERT_NE(w, nullptr);
  EXPECT_NE(w->message.find("spacing L2_C-L3_C is 0.2 times L1_C-L2_C"), std::string::npos) << w->message;
  EXPECT_EQ(findWarning(doubled, "centre_spacing"), nullptr);  // the mm bounds need a calibration
}

TEST(Plausibility, SpacingsMayChangeGraduallyButNotJump) {
  // A vertebra plana beside a collapsed disc: the two spacings around L2_C shrink by a quarter
  // against their neighbours (ratio 1.33), which real spines show; the check stays silent.
  auto spine = referenceSpine();
  const double l1 = pointOf(spine, LandmarkId::L1_C).up, l3 = pointOf(spine, LandmarkId::L3_C).up;
  for (const auto id : {LandmarkId::T12_C, LandmarkId::T11_C, LandmarkId::T10_C, LandmarkId::L1_C}) {
    pointOf(spine, id).up -= 0.25 * (l1 - l3) / 2.0;
  }
  EXPECT_EQ(findWarning(measure(placeInImage(spine, kPose), Calibration::uncalibrated()), "centre_rhythm"), nullptr);
  // Skipping a level (L3_C placed at L4's height) doubles one spacing and empties the next.
  spine = referenceSpine();
  pointOf(spine, LandmarkId::L3_C).anterior = pointOf(spine, LandmarkId::L4_C).anterior;
  pointOf(spine, LandmarkId::L3_C).up = pointOf(spine, LandmarkId::L4_C).up + 3.0;
  EXPECT_NE(findWarning(measure(placeInImage(spine, kPose), Calibration::uncalibrated()), "centre_rhythm"), nullptr);
}

TEST(Plausibility, EndplateDeeperThanTwoSpacingsIsACornerMisplaced) {
  auto spine = referenceSpine();
  pointOf(spine, LandmarkId::L4_PS).anterior -= 60.0;  // pulled 60 mm behind the body
  const auto m = measure(placeInImage(spine, kPose), Calibration::uncalibrated());
  const auto* w = findWarning(m, "endplate_proportion");
  ASSERT_NE(w, nullptr);
  EXPECT_NE(w->message.find("endplate L4_AS-L4_PS is"), std::string::npos) << w->message;
  EXPECT_TRUE(concerns(*w, ParameterId::L4SL));
  EXPECT_FALSE(concerns(*w, ParameterId::SS));
  EXPECT_EQ(findWarning(m, "centre_rhythm"), nullptr);
}

TEST(Plausibility, FemoralHeadsFarApartConcernHipParameters) {
  auto spine = referenceSpine();
  pointOf(spine, LandmarkId::FH_A).anterior = 150;
  const auto m = measure(placeInImage(spine, kPose), calibrationFor(kPose));
  const auto* w = findWarning(m, "femoral_heads");
  ASSERT_NE(w, nullptr);
  EXPECT_TRUE(concerns(*w, ParameterId::PI));
  EXPECT_TRUE(concerns(*w, ParameterId::ODHA));
  EXPECT_FALSE(concerns(*w, ParameterId::SS));
}

TEST(Plausibility, ParameterOutsidePlausibleRange) {
  auto spine = referenceSpine();
  pointOf(spine, LandmarkId::C7_C).anterior = 600;  // SVA = 600 mm
  pointOf(spine, LandmarkId::C7_C).up = 525;
  const auto m = measure(placeInImage(spine, kPose), calibrationFor(kPose));
  bool found = false;
  for (const auto& w : m.warnings) {
    if (w.code == "out_of_range" && concerns(w, ParameterId::SVA)) found = true;
  }
  EXPECT_TRUE(found);
  EXPECT_FALSE(m[ParameterId::SVA].warnings.empty());
}

TEST(Plausibility, UncalibratedSkipsDistanceChecksAndSaysSo) {
  auto spine = referenceSpine();
  pointOf(spine, LandmarkId::L3_C).up = 150;
  const Pose pose{Facing::Right, 1.0, 1.0};
  const auto m = measure(placeInImage(spine, pose), Calibration::uncalibrated());
  EXPECT_EQ(findWarning(m, "centre_spacing"), nullptr);
  const auto* w = findWarning(m, "uncalibrated");
  ASSERT_NE(w, nullptr);
  EXPECT_TRUE(concerns(*w, ParameterId::SVA));
  EXPECT_TRUE(concerns(*w, ParameterId::cSVA));
}

}  // namespace
}  // namespace sagitta::core
