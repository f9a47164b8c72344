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
