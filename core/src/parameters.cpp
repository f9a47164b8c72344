// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/core/parameters.hpp"

#include <cmath>
#include <sstream>

namespace sagitta::core {
namespace {

using L = LandmarkId;

constexpr double kDegPerRad = 180.0 / 3.14159265358979323846;

std::string missingReason(const LandmarkSet& landmarks, const ParameterInfo& info) {
  std::string names;
  std::size_t count = 0;
  for (const auto id : info.landmarks) {
    if (landmarks.has(id)) continue;
    if (count++ > 0) names += ", ";
    names += landmarkKey(id);
  }
  if (count == 0) return {};
  return (count == 1 ? "landmark " : "landmarks ") + names + " missing";
}

// Reads the points of one landmark set in mm; every call site has checked presence first.
class Points {
 public:
  Points(const LandmarkSet& landmarks, const SpineFrame& frame) : landmarks_(landmarks), frame_(frame) {}
  Vec2 operator()(LandmarkId id) const { return frame_.toMm(landmarks_.at(id)); }
  Vec2 s1Mid() const { return midpoint((*this)(L::S1_A), (*this)(L::S1_P)); }
  Vec2 hipAxis() const { return midpoint((*this)(L::FH_A), (*this)(L::FH_P)); }

 private:
  const LandmarkSet& landmarks_;
  const SpineFrame& frame_;
};

// Unsigned angle between two vectors, degrees in [0, 180].
double unsignedAngle(Vec2 a, Vec2 b) {
  return std::abs(std::atan2(a.x * b.y - a.y * b.x, a.x * b.x + a.y * b.y)) * kDegPerRad;
}

void compute(ParameterValue& out, const Points& p, const SpineFrame& f) {
  const auto e = [&](L anterior, L posterior) { return f.inclination(p(anterior), p(posterior)); };
  const auto set = [&](double v) { out.value = v; };
  switch (out.id) {
    case ParameterId::PI: {
      // Cranial normal of the S1 endplate: the endplate direction rotated +90 deg in the
      // (anterior, up) plane. PI is the rotation from the HA->S1m line to that normal.
      const Vec2 d = p(L::S1_A) - p(L::S1_P);
      const double da = f.anterior(d), du = SpineFrame::up(d);
      const Vec2 normal{-du * f.anteriorSign(), -da};  // back to image axes: x = a*sign, y = -u
      set(f.signedAngle(p.s1Mid() - p.hipAxis(), normal));
      break;
    }
    case ParameterId::SS: set(-e(L::S1_A, L::S1_P)); break;
    case ParameterId::PT: set(-f.tilt(p.s1Mid() - p.hipAxis())); break;
    case ParameterId::LL: set(wrapDegrees(e(L::L1_AS, L::L1_PS) - e(L::S1_A, L::S1_P))); break;
    case ParameterId::SVA: set(f.anterior(p(L::C7_C) - p(L::S1_P))); break;
    case ParameterId::CL: set(wrapDegrees(e(L::C2_AI, L::C2_PI) - e(L::C7_AI, L::C7_PI))); break;
    case ParameterId::T1S: set(-e(L::T1_AS, L::T1_PS)); break;
    case ParameterId::cSVA: set(f.anterior(p(L::C2_C) - p(L::C7_PS))); break;
    case ParameterId::GTK: set(wrapDegrees(e(L::T12_AI, L::T12_PI) - e(L::T1_AS, L::T1_PS))); break;
    case ParameterId::PTK: set(wrapDegrees(e(L::T5_AI, L::T5_PI) - e(L::T1_AS, L::T1_PS))); break;
    case ParameterId::MTK: set(wrapDegrees(e(L::T12_AI, L::T12_PI) - e(L::T5_AS, L::T5_PS))); break;
    case ParameterId::L4SL: set(wrapDegrees(e(L::L4_AS, L::L4_PS) - e(L::S1_A, L::S1_P))); break;
    case ParameterId::LPA: {
      const Vec2 ha = p.hipAxis();
      set(f.signedAngle(p.s1Mid() - ha, p(L::L1_C) - ha));  // angle at HA
      break;
    }
    case ParameterId::SSA: {
      const Vec2 s1m = p.s1Mid();
      set(unsignedAngle(p(L::C7_C) - s1m, p(L::S1_A) - s1m));
      break;
    }
    case ParameterId::GT: {
      // Obeid: angle at S1m between the line to C7 and the prolongation of HA->S1m.
      const Vec2 s1m = p.s1Mid();
      set(f.signedAngle(s1m - p.hipAxis(), p(L::C7_C) - s1m));
      break;
    }
    case ParameterId::TPA: {
      const Vec2 ha = p.hipAxis();
      set(f.signedAngle(p.s1Mid() - ha, p(L::T1_C) - ha));  // angle at HA
      break;
    }
    case ParameterId::BARREY: {
      const double sfd = f.anterior(p.hipAxis() - p(L::S1_P));
      if (std::abs(sfd) < kMinSacroFemoralDistance) {
        std::ostringstream reason;
        reason.precision(2);
        reason << std::fixed << "sacro-femoral distance is ~0 (" << sfd << "): ratio undefined";
        out.reason = reason.str();
        break;
      }
      set(f.anterior(p(L::C7_C) - p(L::S1_P)) / sfd);
      break;
    }
    case ParameterId::ODHA: set(f.tilt(p(L::C2_DENS) - p.hipAxis())); break;
  }
}

}  // namespace

ParameterValues computeParameters(const LandmarkSet& landmarks, const SpineFrame& frame) {
  ParameterValues values;
  const Points points(landmarks, frame);
  for (const auto& info : parameterCatalogue()) {
    ParameterValue& out = values[indexOf(info.id)];
    out.id = info.id;
    out.reason = missingReason(landmarks, info);
    if (out.reason.empty()) compute(out, points, frame);
  }
  return values;
}

}  // namespace sagitta::core
