// SPDX-License-Identifier: GPL-3.0-or-later
#include <cmath>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "sagitta/core/errors.hpp"
#include "sagitta/core/measurement.hpp"
#include "support/reference_spine.hpp"

namespace sagitta::core {
namespace {

using sagitta::testing::calibrationFor;
using sagitta::testing::expectedReferenceValue;
using sagitta::testing::placeInImage;
using sagitta::testing::Pose;
using sagitta::testing::referenceSpine;

constexpr double kTolerance = 1e-9;

std::string poseName(const ::testing::TestParamInfo<Pose>& info) {
  const auto& pose = info.param;
  return std::string(pose.facing == Facing::Left ? "FacingLeft" : "FacingRight") +
         (pose.rowSpacingMm == pose.columnSpacingMm ? "Isotropic" : "Anisotropic");
}

class ReferenceSpine : public ::testing::TestWithParam<Pose> {};

TEST_P(ReferenceSpine, EveryParameterMatchesItsHandComputedValue) {
  const Pose pose = GetParam();
  const auto m = measure(placeInImage(referenceSpine(), pose), calibrationFor(pose));
  EXPECT_EQ(m.facing, pose.facing);
  for (const auto& info : parameterCatalogue()) {
    SCOPED_TRACE(std::string(info.key));
    const auto& value = m[info.id];
    ASSERT_TRUE(value.value.has_value()) << value.reason;
    EXPECT_NEAR(*value.value, expectedReferenceValue(info.id), kTolerance);
    EXPECT_TRUE(value.warnings.empty()) << value.warnings.front();
  }
  EXPECT_TRUE(m.warnings.empty()) << m.warnings.front().message;
}

INSTANTIATE_TEST_SUITE_P(Poses, ReferenceSpine,
                         ::testing::Values(Pose{Facing::Right, 0.15, 0.15}, Pose{Facing::Left, 0.15, 0.15},
                                           Pose{Facing::Right, 0.1, 0.2}, Pose{Facing::Left, 0.18, 0.12}),
                         poseName);

// Anisotropic spacing must be applied before any angle: the same pixel coordinates read
// with the wrong spacing give a different SS.
TEST(Parameters, AngleDependsOnSpacingNotOnPixels) {
  const Pose pose{Facing::Right, 0.1, 0.2};
  const auto pixels = placeInImage(referenceSpine(), pose);
  const auto right = measure(pixels, calibrationFor(pose));
  const auto wrong = measure(pixels, Calibration::fromSpacing(CalibrationKind::PixelSpacing, 0.2, 0.2));
  EXPECT_NEAR(*right[ParameterId::SS].value, 36.869897645844021, kTolerance);
  EXPECT_GT(std::abs(*wrong[ParameterId::SS].value - *right[ParameterId::SS].value), 5.0);
}

TEST(Parameters, UncalibratedReportsPixelsAndKeepsAnglesAndRatio) {
  const Pose pose{Facing::Right, 1.0, 1.0};
  const auto m = measure(placeInImage(referenceSpine(), pose), Calibration::uncalibrated());
  EXPECT_NEAR(*m[ParameterId::SVA].value, 101.0, kTolerance);  // 1 px per mm placement
  EXPECT_NEAR(*m[ParameterId::BARREY].value, 2.02, kTolerance);
  EXPECT_NEAR(*m[ParameterId::PI].value, expectedReferenceValue(ParameterId::PI), kTolerance);
  EXPECT_EQ(unitSymbol(parameterInfo(ParameterId::SVA).unit, m.calibration.calibrated()), "px");
}

TEST(Parameters, MissingLandmarkNullsOnlyTheParametersThatNeedIt) {
  const Pose pose{Facing::Left, 0.15, 0.15};
  auto set = placeInImage(referenceSpine(), pose);
  set.erase(LandmarkId::C2_AI);
  const auto m = measure(set, calibrationFor(pose));
  EXPECT_FALSE(m[ParameterId::CL].value.has_value());
  EXPECT_EQ(m[ParameterId::CL].reason, "landmark C2_AI missing");
  EXPECT_EQ(m.measuredCount(), kParameterCount - 1);
}

TEST(Parameters, ReasonNamesEveryMissingLandmark) {
  const Pose pose{Facing::Right, 0.15, 0.15};
  auto set = placeInImage(referenceSpine(), pose);
  set.erase(LandmarkId::FH_A);
  set.erase(LandmarkId::FH_P);
  const auto m = measure(set, calibrationFor(pose));
  for (auto id : {ParameterId::PI, ParameterId::PT, ParameterId::LPA, ParameterId::GT, ParameterId::TPA,
                  ParameterId::BARREY, ParameterId::ODHA}) {
    EXPECT_FALSE(m[id].value.has_value()) << parameterKey(id);
    EXPECT_EQ(m[id].reason, "landmarks FH_A, FH_P missing");
  }
  EXPECT_TRUE(m[ParameterId::SS].value.has_value());
  EXPECT_TRUE(m[ParameterId::SVA].value.has_value());
  EXPECT_FALSE(m.indices.piMinusLl.has_value());
  EXPECT_FALSE(m.indices.schwab[1].grade.has_value());
}

TEST(Parameters, NoMeasurableParameterIsAnError) {
  LandmarkSet set;
  set.set(LandmarkId::T5_AS, {120, 100, std::nullopt});
  set.set(LandmarkId::T5_PS, {100, 102, std::nullopt});
  EXPECT_THROW(measure(set, Calibration::uncalibrated()), InvalidInput);
}

TEST(Parameters, BarreyIsUndefinedWhenSacroFemoralDistanceIsZero) {
  auto spine = referenceSpine();
  for (auto& p : spine) {
    // Put both femoral heads straight below S1_P (X = 0): SFD = 0.
    if (p.id == LandmarkId::FH_A || p.id == LandmarkId::FH_P) p.anterior = 0.0;
  }
  const Pose pose{Facing::Right, 0.15, 0.15};
  const auto m = measure(placeInImage(spine, pose), calibrationFor(pose));
  EXPECT_FALSE(m[ParameterId::BARREY].value.has_value());
  EXPECT_NE(m[ParameterId::BARREY].reason.find("sacro-femoral distance is ~0"), std::string::npos);
  EXPECT_TRUE(m[ParameterId::SVA].value.has_value());
}

// --- Identities and invariances on perturbed spines --------------------------------------

// An independent tilt in mm (not SpineFrame's): angle from vertical, + anterior.
double tiltOf(double dxMm, double dyMm, Facing facing) {
  const double a = facing == Facing::Right ? dxMm : -dxMm;
  return std::atan2(a, -dyMm) * 180.0 / 3.14159265358979323846;
}

std::array<testing::Canonical, kLandmarkCount> perturbed(std::mt19937& rng) {
  std::uniform_real_distribution<double> noise(-8.0, 8.0);
  auto spine = referenceSpine();
  for (auto& p : spine) {
    p.anterior += noise(rng);
    p.up += noise(rng);
  }
  return spine;
}

TEST(ParameterIdentities, HoldOnPerturbedSpines) {
  std::mt19937 rng(20261121);
  for (int trial = 0; trial < 200; ++trial) {
    const Pose pose{trial % 2 == 0 ? Facing::Right : Facing::Left, 0.1 + 0.001 * trial, 0.2 - 0.0005 * trial};
    const auto set = placeInImage(perturbed(rng), pose);
    const auto m = measure(set, calibrationFor(pose));
    ASSERT_EQ(m.facing, pose.facing);
    auto mm = [&](LandmarkId id) {
      const auto& p = set.at(id);
      return std::pair<double, double>{p.x * pose.columnSpacingMm, p.y * pose.rowSpacingMm};
    };
    const auto [s1ax, s1ay] = mm(LandmarkId::S1_A);
    const auto [s1px, s1py] = mm(LandmarkId::S1_P);
    const auto [fax, fay] = mm(LandmarkId::FH_A);
    const auto [fpx, fpy] = mm(LandmarkId::FH_P);
    const double s1mx = (s1ax + s1px) / 2, s1my = (s1ay + s1py) / 2;
    const double hax = (fax + fpx) / 2, hay = (fay + fpy) / 2;
    const auto [c7x, c7y] = mm(LandmarkId::C7_C);
    const auto [t1x, t1y] = mm(LandmarkId::T1_C);
    const auto [l1x, l1y] = mm(LandmarkId::L1_C);
    const double pt = *m[ParameterId::PT].value;

    EXPECT_NEAR(*m[ParameterId::PI].value, pt + *m[ParameterId::SS].value, 1e-9);
    EXPECT_NEAR(*m[ParameterId::GT].value, pt + tiltOf(c7x - s1mx, c7y - s1my, pose.facing), 1e-9);
    EXPECT_NEAR(*m[ParameterId::TPA].value, pt + tiltOf(t1x - hax, t1y - hay, pose.facing), 1e-9);
    EXPECT_NEAR(*m[ParameterId::LPA].value, pt + tiltOf(l1x - hax, l1y - hay, pose.facing), 1e-9);
  }
}

TEST(ParameterInvariance, TranslationChangesNothing) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 50; ++trial) {
    const Pose pose{Facing::Left, 0.14, 0.16};
    const auto set = placeInImage(perturbed(rng), pose);
    LandmarkSet shifted;
    for (const auto& info : landmarkCatalogue()) {
      const auto& p = set.at(info.id);
      shifted.set(info.id, {p.x + 123.25, p.y + 456.5, std::nullopt});
    }
    const auto a = measure(set, calibrationFor(pose));
    const auto b = measure(shifted, calibrationFor(pose));
    for (const auto& info : parameterCatalogue()) {
      EXPECT_NEAR(*a[info.id].value, *b[info.id].value, 1e-9) << info.key;
    }
  }
}

TEST(ParameterInvariance, MirroringFlipsFacingAndKeepsValues) {
  std::mt19937 rng(11);
  const double width = 4000.0;
  for (int trial = 0; trial < 50; ++trial) {
    const Pose pose{Facing::Right, 0.15, 0.12};
    const auto set = placeInImage(perturbed(rng), pose);
    LandmarkSet mirrored;
    for (const auto& info : landmarkCatalogue()) {
      const auto& p = set.at(info.id);
      mirrored.set(info.id, {width - p.x, p.y, std::nullopt});
    }
    const auto a = measure(set, calibrationFor(pose));
    const auto b = measure(mirrored, calibrationFor(pose));
    EXPECT_EQ(a.facing, Facing::Right);
    EXPECT_EQ(b.facing, Facing::Left);
    for (const auto& info : parameterCatalogue()) {
      EXPECT_NEAR(*a[info.id].value, *b[info.id].value, 1e-9) << info.key;
    }
  }
}

}  // namespace
}  // namespace sagitta::core
