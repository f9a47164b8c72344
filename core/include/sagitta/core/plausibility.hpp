// SPDX-License-Identifier: GPL-3.0-or-later
// Quality checks a reviewer can read: each failed check is a warning naming the landmarks it
// concerns and the parameters those landmarks feed. Warnings never change a value; they say
// how far to trust it. Bounds are documented in docs/MEASUREMENT.md.
#pragma once

#include <string>
#include <vector>

#include "sagitta/core/calibration.hpp"
#include "sagitta/core/landmark_set.hpp"
#include "sagitta/core/parameters.hpp"
#include "sagitta/core/spine_frame.hpp"

namespace sagitta::core {

struct QualityWarning {
  std::string code;     // stable identifier, e.g. "centre_order"
  std::string message;  // one readable sentence
  std::vector<LandmarkId> landmarks;
  std::vector<ParameterId> parameters;  // filled by attachWarnings()
};

// Anatomical bounds (mm) for the distance checks.
struct DistanceBounds {
  double min;
  double max;
};
inline constexpr DistanceBounds kCervicalCentreSpacing{7.0, 35.0};   // C2-C3 .. C6-C7
inline constexpr DistanceBounds kThoracicCentreSpacing{10.0, 45.0};  // C7-T1 .. T11-T12
inline constexpr DistanceBounds kLumbarCentreSpacing{14.0, 60.0};    // T12-L1 .. L4-L5
inline constexpr DistanceBounds kEndplateWidth{8.0, 75.0};           // anterior to posterior corner
inline constexpr DistanceBounds kFemoralHeadSeparation{0.0, 60.0};   // FH_A to FH_P
inline constexpr DistanceBounds kPelvicRadius{40.0, 220.0};          // HA to S1m

// Scale-free proportions, checked with or without calibration (docs/MEASUREMENT.md): two
// adjacent inter-centre spacings differ by at most this factor (a vertebra plana beside a
// collapsed disc stays under 1.6), and each endplate's depth over the spacing of the centres
// beside it lies in these bounds (anatomy: 0.7-1.3 from C2 to S1, Panjabi 1991 and 1992).
inline constexpr double kMaxAdjacentSpacingRatio = 1.8;
inline constexpr DistanceBounds kEndplateDepthToSpacing{0.45, 2.0};

// Landmark-level checks: cranio-caudal order of the centres (and dens above C2, S1 below L5),
// anterior corners anterior to posterior ones, superior corners above inferior ones, the rhythm
// of the inter-centre spacings and each endplate's depth against them, and (when
// calibrated) inter-centre distances, endplate widths and pelvic distances in mm.
std::vector<QualityWarning> checkLandmarks(const LandmarkSet& landmarks, const SpineFrame& frame,
                                           const Calibration& calibration);

// Parameter-level check: each value within its plausible range (ParameterInfo). Length
// parameters are only checked when calibrated.
std::vector<QualityWarning> checkParameterRanges(const ParameterValues& parameters, const Calibration& calibration);

// Fills each warning's parameter list from the landmarks it names (through the catalogue)
// and copies its message onto those parameters.
void attachWarnings(std::vector<QualityWarning>& warnings, ParameterValues& parameters);

}  // namespace sagitta::core
