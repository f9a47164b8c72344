// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>

#include "sagitta/core/errors.hpp"
#include "sagitta/core/spine_frame.hpp"
#include "support/reference_spine.hpp"

namespace sagitta::core {
namespace {

using sagitta::testing::calibrationFor;
using sagitta::testing::placeInImage;
using sagitta::testing::Pose;
using sagitta::testing::referenceSpine;

TEST(SpineFrame, FacingFollowsTheLandmarks) {
  for (auto facing : {Facing::Left, Facing::Right}) {
    const Pose pose{facing, 0.15, 0.15};
    const auto frame = SpineFrame::fromLandmarks(placeInImage(referenceSpine(), pose), calibrationFor(pose));
    EXPECT_EQ(frame.facing(), facing);
  }
  EXPECT_EQ(facingKey(Facing::Left), "left");
  EXPECT_EQ(facingKey(Facing::Right), "right");
}

TEST(SpineFrame, FacingFromASinglePair) {
  LandmarkSet set;
  set.set(LandmarkId::S1_A, {100, 500, std::nullopt});
  set.set(LandmarkId::S1_P, {140, 480, std::nullopt});
  EXPECT_EQ(SpineFrame::fromLandmarks(set, Calibration::uncalibrated()).facing(), Facing::Left);
}

TEST(SpineFrame, NoAnteriorPosteriorPairIsAnError) {
  LandmarkSet set;
  set.set(LandmarkId::C2_C, {100, 100, std::nullopt});
  set.set(LandmarkId::L5_C, {110, 900, std::nullopt});
  EXPECT_THROW(SpineFrame::fromLandmarks(set, Calibration::uncalibrated()), InvalidGeometry);
}

TEST(SpineFrame, CancellingPairsAreAnError) {
  LandmarkSet set;
  set.set(LandmarkId::S1_A, {100, 500, std::nullopt});
  set.set(LandmarkId::S1_P, {140, 480, std::nullopt});
  set.set(LandmarkId::L4_AS, {140, 400, std::nullopt});
  set.set(LandmarkId::L4_PS, {100, 400, std::nullopt});
  EXPECT_THROW(SpineFrame::fromLandmarks(set, Calibration::uncalibrated()), InvalidGeometry);
}

TEST(SpineFrame, UpsideDownSetIsRejected) {
  const Pose pose{Facing::Right, 0.15, 0.15};
  auto set = placeInImage(referenceSpine(), pose);
  LandmarkSet flipped;
  for (const auto& info : landmarkCatalogue()) {
    const auto& p = set.at(info.id);
    flipped.set(info.id, {p.x, 10000.0 - p.y, std::nullopt});
  }
  try {
    SpineFrame::fromLandmarks(flipped, calibrationFor(pose));
    FAIL() << "expected InvalidGeometry";
  } catch (const InvalidGeometry& e) {
    EXPECT_NE(std::string(e.what()).find("upside-down: C2 lies below S1"), std::string::npos) << e.what();
  }
}

TEST(SpineFrame, SpineLyingOnItsSideIsRejected) {
  const Pose pose{Facing::Right, 0.15, 0.15};
  auto set = placeInImage(referenceSpine(), pose);
  LandmarkSet rotated;  // rotate the image 90 degrees: (x, y) -> (y, x)
  for (const auto& info : landmarkCatalogue()) {
    const auto& p = set.at(info.id);
    rotated.set(info.id, {p.y, p.x, std::nullopt});
  }
  EXPECT_THROW(SpineFrame::fromLandmarks(rotated, calibrationFor(pose)), InvalidGeometry);
}

TEST(SpineFrame, TiltAndInclinationSigns) {
  LandmarkSet set;  // facing right
  set.set(LandmarkId::S1_A, {140, 500, std::nullopt});
  set.set(LandmarkId::S1_P, {100, 500, std::nullopt});
  const auto right = SpineFrame::fromLandmarks(set, Calibration::uncalibrated());
  EXPECT_DOUBLE_EQ(right.tilt({1, -1}), 45.0);    // up and anterior
  EXPECT_DOUBLE_EQ(right.tilt({-1, -1}), -45.0);  // up and posterior
  EXPECT_DOUBLE_EQ(right.inclination({10, -10}, {0, 0}), 45.0);  // anterior edge higher
  EXPECT_DOUBLE_EQ(right.signedAngle({0, -1}, {1, -1}), 45.0);

  set.set(LandmarkId::S1_A, {60, 500, std::nullopt});  // facing left
  const auto left = SpineFrame::fromLandmarks(set, Calibration::uncalibrated());
  EXPECT_DOUBLE_EQ(left.tilt({-1, -1}), 45.0);
  EXPECT_DOUBLE_EQ(left.inclination({-10, -10}, {0, 0}), 45.0);
}

TEST(SpineFrame, AnisotropicSpacingScalesAxesSeparately) {
  LandmarkSet set;
  set.set(LandmarkId::S1_A, {140, 500, std::nullopt});
  set.set(LandmarkId::S1_P, {100, 500, std::nullopt});
  const auto frame = SpineFrame::fromLandmarks(
      set, Calibration::fromSpacing(CalibrationKind::PixelSpacing, 0.1, 0.2));
  const Vec2 mm = frame.toMm({10.0, 10.0, std::nullopt});
  EXPECT_DOUBLE_EQ(mm.x, 2.0);
  EXPECT_DOUBLE_EQ(mm.y, 1.0);
}

TEST(SpineFrame, WrapDegrees) {
  EXPECT_DOUBLE_EQ(wrapDegrees(190.0), -170.0);
  EXPECT_DOUBLE_EQ(wrapDegrees(-190.0), 170.0);
  EXPECT_DOUBLE_EQ(wrapDegrees(180.0), 180.0);
  EXPECT_DOUBLE_EQ(wrapDegrees(-180.0), 180.0);
  EXPECT_DOUBLE_EQ(wrapDegrees(45.0), 45.0);
}

}  // namespace
}  // namespace sagitta::core
