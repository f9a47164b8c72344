// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/core/spine_frame.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "sagitta/core/errors.hpp"

namespace sagitta::core {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kDegPerRad = 180.0 / kPi;

// Summed anterior-minus-posterior x offsets (mm) over every endplate pair present.
// The sign of the sum is the facing; pairs that disagree are reported by the quality checks.
std::optional<double> summedPairOffset(const LandmarkSet& landmarks, double columnSpacing) {
  double sum = 0.0;
  bool any = false;
  for (const auto& pair : endplatePairs()) {
    if (!landmarks.has(pair.anterior) || !landmarks.has(pair.posterior)) continue;
    sum += (landmarks.at(pair.anterior).x - landmarks.at(pair.posterior).x) * columnSpacing;
    any = true;
  }
  if (!any) return std::nullopt;
  return sum;
}

// Mean mm position of the present landmarks at the most cranial and most caudal spinal levels
// (C2 and S1 when present; otherwise the extreme levels available). Hip centres are excluded:
// the check is about the spine's own axis.
struct AxisEnds {
  Vec2 cranial;
  Vec2 caudal;
  int cranialLevel;
  int caudalLevel;
};

std::optional<AxisEnds> spineAxisEnds(const LandmarkSet& landmarks, double rowSpacing, double columnSpacing) {
  int minLevel = 1000;
  int maxLevel = -1;
  for (const auto& info : landmarkCatalogue()) {
    if (info.region == Region::Hip || !landmarks.has(info.id)) continue;
    minLevel = std::min(minLevel, info.level);
    maxLevel = std::max(maxLevel, info.level);
  }
  if (maxLevel < 0 || minLevel == maxLevel) return std::nullopt;
  auto meanAt = [&](int level) {
    Vec2 sum;
    int n = 0;
    for (const auto& info : landmarkCatalogue()) {
      if (info.region == Region::Hip || info.level != level || !landmarks.has(info.id)) continue;
      const auto& p = landmarks.at(info.id);
      sum = sum + Vec2{p.x * columnSpacing, p.y * rowSpacing};
      ++n;
    }
    return (1.0 / n) * sum;
  };
  return AxisEnds{meanAt(minLevel), meanAt(maxLevel), minLevel, maxLevel};
}

std::string levelName(int level) {
  for (const auto& info : landmarkCatalogue()) {
    if (info.level == level && info.region != Region::Hip) {
      const auto key = info.key;
      return std::string(key.substr(0, key.find('_')));
    }
  }
  return "?";
}

}  // namespace

double length(Vec2 v) { return std::hypot(v.x, v.y); }

std::string_view facingKey(Facing facing) { return facing == Facing::Left ? "left" : "right"; }

double wrapDegrees(double degrees) {
  double wrapped = std::fmod(degrees, 360.0);
  if (wrapped <= -180.0) wrapped += 360.0;
  if (wrapped > 180.0) wrapped -= 360.0;
  return wrapped;
}

SpineFrame SpineFrame::fromLandmarks(const LandmarkSet& landmarks, const Calibration& calibration) {
  const double rowSpacing = calibration.rowSpacingMm;
  const double columnSpacing = calibration.columnSpacingMm;

  if (const auto ends = spineAxisEnds(landmarks, rowSpacing, columnSpacing)) {
    const Vec2 axis = ends->cranial - ends->caudal;  // should point up: negative y
    if (axis.y >= 0.0) {
      throw InvalidGeometry("landmarks are upside-down: " + levelName(ends->cranialLevel) +
                            " lies below " + levelName(ends->caudalLevel) +
                            " (the image must be upright, head at the top)");
    }
    const double axisTilt = std::atan2(std::abs(axis.x), -axis.y) * kDegPerRad;
    if (axisTilt > kMaxSpineAxisTiltDeg) {
      std::ostringstream reason;
      reason.precision(3);
      reason << "spine axis " << levelName(ends->cranialLevel) << "-" << levelName(ends->caudalLevel)
             << " is " << axisTilt << " deg from vertical: the image appears rotated";
      throw InvalidGeometry(reason.str());
    }
  }

  const auto offset = summedPairOffset(landmarks, columnSpacing);
  if (!offset) {
    throw InvalidGeometry(
        "cannot determine which way the patient faces: no anterior/posterior landmark pair present");
  }
  if (*offset == 0.0) {
    throw InvalidGeometry(
        "cannot determine which way the patient faces: anterior and posterior landmarks cancel out");
  }
  return SpineFrame(*offset > 0.0 ? Facing::Right : Facing::Left, rowSpacing, columnSpacing);
}

double SpineFrame::tilt(Vec2 v) const { return std::atan2(anterior(v), up(v)) * kDegPerRad; }

double SpineFrame::inclination(Vec2 anteriorPoint, Vec2 posteriorPoint) const {
  const Vec2 d = anteriorPoint - posteriorPoint;
  return std::atan2(up(d), anterior(d)) * kDegPerRad;
}

double SpineFrame::signedAngle(Vec2 from, Vec2 to) const {
  // In the (up, anterior) basis tilt is the ordinary polar angle, so the rotation from one
  // vector to the other is atan2(cross, dot) in that basis.
  const double fu = up(from), fa = anterior(from);
  const double tu = up(to), ta = anterior(to);
  return wrapDegrees(std::atan2(fu * ta - fa * tu, fu * tu + fa * ta) * kDegPerRad);
}

}  // namespace sagitta::core
