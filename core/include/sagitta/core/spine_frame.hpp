// SPDX-License-Identifier: GPL-3.0-or-later
// The measurement frame of PARAMETERS.md: points in millimetres (anisotropic spacing
// applied), the up vector u = (0,-1) and the anterior vector a = (+-1, 0) derived from the
// landmarks, and the angle primitives tilt() and inclination() every parameter is built from.
#pragma once

#include <optional>
#include <string_view>

#include "sagitta/core/calibration.hpp"
#include "sagitta/core/landmark_set.hpp"

namespace sagitta::core {

struct Vec2 {
  double x = 0.0;
  double y = 0.0;
};

inline Vec2 operator+(Vec2 a, Vec2 b) { return {a.x + b.x, a.y + b.y}; }
inline Vec2 operator-(Vec2 a, Vec2 b) { return {a.x - b.x, a.y - b.y}; }
inline Vec2 operator*(double s, Vec2 v) { return {s * v.x, s * v.y}; }
inline Vec2 midpoint(Vec2 a, Vec2 b) { return {0.5 * (a.x + b.x), 0.5 * (a.y + b.y)}; }
double length(Vec2 v);

// Direction the patient faces in the image: Left means anterior is towards column 0.
enum class Facing { Left, Right };
std::string_view facingKey(Facing facing);  // "left" / "right"

// Wraps an angle in degrees to (-180, 180].
double wrapDegrees(double degrees);

class SpineFrame {
 public:
  // Throws InvalidGeometry when the facing cannot be determined (no anterior/posterior pair,
  // or they cancel out), when the set is upside-down (C2 below S1) or lies on its side.
  static SpineFrame fromLandmarks(const LandmarkSet& landmarks, const Calibration& calibration);

  Facing facing() const { return facing_; }
  // +1 when anterior is +x (facing right), -1 otherwise.
  double anteriorSign() const { return anteriorSign_; }

  // Image pixel coordinates -> millimetres.
  Vec2 toMm(const Landmark& landmark) const {
    return {landmark.x * columnSpacing_, landmark.y * rowSpacing_};
  }

  // Components of a mm vector along the anterior and up axes.
  double anterior(Vec2 v) const { return anteriorSign_ * v.x; }
  static double up(Vec2 v) { return -v.y; }

  // tilt(v) = atan2(v.a, v.u) in degrees: angle of v from the vertical, + leaning anteriorly.
  double tilt(Vec2 v) const;
  // e(A, P) = atan2((A-P).u, (A-P).a) in degrees: endplate inclination, + anterior edge higher.
  double inclination(Vec2 anteriorPoint, Vec2 posteriorPoint) const;
  // tilt(to) - tilt(from), computed from the cross and dot products, wrapped to (-180, 180].
  double signedAngle(Vec2 from, Vec2 to) const;

 private:
  SpineFrame(Facing facing, double rowSpacing, double columnSpacing)
      : facing_(facing), anteriorSign_(facing == Facing::Right ? 1.0 : -1.0),
        rowSpacing_(rowSpacing), columnSpacing_(columnSpacing) {}

  Facing facing_;
  double anteriorSign_;
  double rowSpacing_;
  double columnSpacing_;
};

// Maximum angle (degrees) between the C2 -> S1 line and the vertical before a landmark set is
// considered to lie on its side rather than upright.
inline constexpr double kMaxSpineAxisTiltDeg = 60.0;

}  // namespace sagitta::core
