// SPDX-License-Identifier: GPL-3.0-or-later
#include "support/reference_spine.hpp"

namespace sagitta::testing {
namespace {

using L = core::LandmarkId;
using P = core::ParameterId;

// Centres lie on lines between given ones (computed by hand below).
constexpr std::array<Canonical, core::kLandmarkCount> kSpine{{
    {L::C2_DENS, 120, 595}, {L::C2_AI, 125, 575},  {L::C2_PI, 110, 570},  {L::C7_AI, 102, 514},
    {L::C7_PS, 85, 533},    {L::C7_PI, 86, 518},   {L::T1_AS, 110, 497},  {L::T1_PS, 90, 507},
    {L::T5_AS, 104, 413},   {L::T5_PS, 80, 420},   {L::T5_AI, 105, 398},  {L::T5_PI, 80, 398},
    {L::T12_AI, 70, 240},   {L::T12_PI, 40, 230},  {L::L1_AS, 66, 227},   {L::L1_PS, 30, 215},
    {L::L4_AS, 40, 90},     {L::L4_PS, 0, 90},     {L::S1_A, 40, -30},    {L::S1_P, 0, 0},
    {L::FH_A, 55, -103},    {L::FH_P, 45, -107},
    // C2_C (125,580) to C7_C (101,525), spacings growing 8.3 -> 16.8 mm; T1_C (100,495) to L1_C
    // (40,195) on one line, spacings growing 19.6 -> 32.4 mm: no adjacent spacings more than 1.8
    // times apart, as in real spines (the centre_rhythm check). Only C2_C, C7_C, T1_C and L1_C
    // enter a parameter.
    {L::C2_C, 125, 580},    {L::C3_C, 121.7, 572.4}, {L::C4_C, 117.8, 563.4}, {L::C5_C, 113.2, 552.9},
    {L::C6_C, 107.7, 540.4}, {L::C7_C, 101, 525},
    {L::T1_C, 100, 495},    {L::T2_C, 96.2, 475.8},  {L::T3_C, 92.1, 455.7},  {L::T4_C, 87.9, 434.6},
    {L::T5_C, 83.5, 412.6}, {L::T6_C, 78.9, 389.5},  {L::T7_C, 74.1, 365.4},  {L::T8_C, 69.0, 340.1},
    {L::T9_C, 63.7, 313.7}, {L::T10_C, 58.2, 286.0}, {L::T11_C, 52.4, 257.0}, {L::T12_C, 46.3, 226.7},
    // L1_C (40,195) to L5_C (20,31) in 4 steps of (-5, -41)
    {L::L1_C, 40, 195},     {L::L2_C, 35, 154},    {L::L3_C, 30, 113},    {L::L4_C, 25, 72},
    {L::L5_C, 20, 31},
}};

}  // namespace

const std::array<Canonical, core::kLandmarkCount>& referenceSpine() { return kSpine; }

core::LandmarkSet placeInImage(const std::array<Canonical, core::kLandmarkCount>& spine, const Pose& pose) {
  const double sign = pose.facing == core::Facing::Right ? 1.0 : -1.0;
  core::LandmarkSet set;
  for (const auto& point : spine) {
    set.set(point.id, {(300.0 + sign * point.anterior) / pose.columnSpacingMm,
                       (800.0 - point.up) / pose.rowSpacingMm, std::nullopt});
  }
  return set;
}

void PrintTo(const Pose& pose, std::ostream* os) {
  *os << (pose.facing == core::Facing::Left ? "facing left, " : "facing right, ") << pose.rowSpacingMm << " x "
      << pose.columnSpacingMm << " mm";
}

core::Calibration calibrationFor(const Pose& pose) {
  return core::Calibration::fromSpacing(core::CalibrationKind::PixelSpacing, pose.rowSpacingMm,
                                        pose.columnSpacingMm);
}

// Derivations (degrees; e = endplate inclination atan2(dU, dX) of anterior minus posterior):
//   HA = (50, -105), S1m = (20, -15), S1_A - S1_P = (40, -30)
//   SS  = -atan2(-30, 40) = atan(3/4)                 = 36.869897645844021
//   PT  = -tilt(S1m - HA) = -atan2(-30, 90) = atan(1/3) = 18.434948822922010
//   PI  = PT + SS                                      = 55.304846468766031
//   LL  = atan2(12, 36) + atan(3/4)                    = 55.304846468766031
//   SVA = 101 - 0                                      = 101 mm
//   CL  = atan2(5, 15) - atan2(-4, 16) = 18.4349 + 14.0362 = 32.471192290848489
//   T1S = -atan2(-10, 20)                              = 26.565051177077990
//   cSVA= 125 - 85                                     = 40 mm
//   GTK = atan2(10, 30) - atan2(-10, 20) = 18.4349 + 26.5651 = 45
//   PTK = atan2(0, 25) - atan2(-10, 20)                = 26.565051177077990
//   MTK = atan2(10, 30) - atan2(-7, 24) = 18.4349 + 16.2602 = 34.695153531233970
//   L4SL= atan2(0, 40) + atan(3/4)                     = 36.869897645844021
//   LPA = tilt(L1_C - HA) + PT = atan2(-10, 300) + atan(1/3) = 16.525796389925634
//   SSA = angle((81, 540), (20, -15)) = atan2(20, -15) - atan2(81, 540)
//       = 126.869897645844 - 8.530765609948 = 118.339132035895889
//   GT  = tilt(C7_C - S1m) + PT = atan(81/540) + atan(1/3) = 26.965714432870141
//   TPA = tilt(T1_C - HA) + PT = atan(50/600) + atan(1/3)  = 23.198590513648185
//   BARREY = SVA / SFD = 101 / 50                      = 2.02
//   ODHA = tilt(C2_DENS - HA) = atan(70/700)           = 5.710593137499643
double expectedReferenceValue(core::ParameterId id) {
  switch (id) {
    case P::PI: return 55.304846468766031;
    case P::SS: return 36.869897645844021;
    case P::PT: return 18.434948822922010;
    case P::LL: return 55.304846468766031;
    case P::SVA: return 101.0;
    case P::CL: return 32.471192290848489;
    case P::T1S: return 26.565051177077990;
    case P::cSVA: return 40.0;
    case P::GTK: return 45.0;
    case P::PTK: return 26.565051177077990;
    case P::MTK: return 34.695153531233970;
    case P::L4SL: return 36.869897645844021;
    case P::LPA: return 16.525796389925634;
    case P::SSA: return 118.339132035895889;
    case P::GT: return 26.965714432870141;
    case P::TPA: return 23.198590513648185;
    case P::BARREY: return 2.02;
    case P::ODHA: return 5.710593137499643;
  }
  return 0.0;
}

}  // namespace sagitta::testing
