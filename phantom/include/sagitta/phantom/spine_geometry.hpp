// SPDX-License-Identifier: GPL-3.0-or-later
// The phantom skeleton's spine and pelvis in the patient's mid-sagittal plane, in mm:
// x anterior, y up, S1_P at the origin. Landmarks follow from this geometry exactly.
#pragma once

#include <array>
#include <cmath>
#include <vector>

#include "sagitta/core/landmark_catalogue.hpp"
#include "sagitta/phantom/patient.hpp"

namespace sagitta::phantom {

struct Vec {
  double x = 0.0;  // anterior
  double y = 0.0;  // up
};
inline Vec operator+(Vec a, Vec b) { return {a.x + b.x, a.y + b.y}; }
inline Vec operator-(Vec a, Vec b) { return {a.x - b.x, a.y - b.y}; }
inline Vec operator*(double s, Vec v) { return {s * v.x, s * v.y}; }
inline Vec mid(Vec a, Vec b) { return {0.5 * (a.x + b.x), 0.5 * (a.y + b.y)}; }
inline double norm(Vec v) { return std::hypot(v.x, v.y); }
inline constexpr double kRadPerDeg = 3.14159265358979323846 / 180.0;
// Unit vector along an endplate of inclination e (deg): anterior end higher when e > 0.
inline Vec along(double e) { return {std::cos(e * kRadPerDeg), std::sin(e * kRadPerDeg)}; }
// Cranial unit normal of that endplate.
inline Vec cranial(double e) { return {-std::sin(e * kRadPerDeg), std::cos(e * kRadPerDeg)}; }
inline Vec rotate(Vec v, double degrees) {
  const double c = std::cos(degrees * kRadPerDeg), s = std::sin(degrees * kRadPerDeg);
  return {c * v.x - s * v.y, s * v.x + c * v.y};
}

inline constexpr int kVertebraCount = 23;  // C2 .. L5, index = landmark level

struct Vertebra {
  int index = 0;
  Vec inferiorPosterior, inferiorAnterior, superiorPosterior, superiorAnterior;
  double inferiorInclination = 0.0, superiorInclination = 0.0;  // deg
  double depth = 0.0;         // endplate length, mm
  double lateralWidth = 0.0;  // left-right body width (beam path), mm
  double axialRotation = 0.0; // scoliosis, deg
  double coronalTilt = 0.0;   // scoliosis, deg: doubles the endplate contours
  Vec centre() const {
    return 0.25 * (inferiorPosterior + inferiorAnterior + superiorPosterior + superiorAnterior);
  }
};

struct SacralSegment {
  Vec superiorPosterior, superiorAnterior, inferiorPosterior, inferiorAnterior;
};

struct SpineGeometry {
  std::array<Vertebra, kVertebraCount> vertebrae;
  Vec s1Posterior, s1Anterior;           // S1 superior endplate
  std::vector<SacralSegment> sacrum;     // S1..S5
  std::vector<SacralSegment> coccyx;
  Vec densCentre, densTip;
  double densRadius = 0.0;
  Vec hipAxis;                           // midpoint of the heads
  Vec headNear, headFar;                 // detector-side and tube-side femoral heads
  double radiusNear = 0.0, radiusFar = 0.0;
  // Solved and resulting shape (deg).
  double pelvicTilt = 0.0, sacralSlope = 0.0, cervicalLordosis = 0.0;
  double svaReached = 0.0;  // mm, the balance actually reached (targets can be out of reach)

  std::array<Vec, core::kLandmarkCount> landmarks() const;
};

// Builds the spine from S1 upwards (see docs/PHANTOM.md): segmental angles from the shape
// targets, pelvic tilt solved for the SVA target, cervical lordosis from the T1 slope.
SpineGeometry buildSpine(const PatientSpec& patient, Rng& rng);

}  // namespace sagitta::phantom
