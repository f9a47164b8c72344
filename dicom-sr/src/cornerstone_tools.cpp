// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/dicom/cornerstone_tools.hpp"

#include <cmath>

#include "sagitta/core/construction.hpp"

namespace sagitta::dicom {

using core::ParameterId;

CornerstoneTool cornerstoneToolOf(ParameterId id) {
  switch (id) {
    case ParameterId::LL:
    case ParameterId::CL:
    case ParameterId::GTK:
    case ParameterId::PTK:
    case ParameterId::MTK:
    case ParameterId::L4SL:
      return CornerstoneTool::CobbAngle;
    case ParameterId::PI:
    case ParameterId::SS:
    case ParameterId::PT:
    case ParameterId::T1S:
    case ParameterId::LPA:
    case ParameterId::SSA:
    case ParameterId::GT:
    case ParameterId::TPA:
    case ParameterId::ODHA:
      return CornerstoneTool::Angle;
    case ParameterId::SVA:
    case ParameterId::cSVA:
    case ParameterId::BARREY:
      return CornerstoneTool::None;
  }
  return CornerstoneTool::None;
}

std::string trackingIdentifierOf(ParameterId id) {
  const std::string key(core::parameterInfo(id).key);
  switch (cornerstoneToolOf(id)) {
    case CornerstoneTool::Angle: return std::string(kCornerstoneTag) + ":Angle:" + key;
    case CornerstoneTool::CobbAngle: return std::string(kCornerstoneTag) + ":CobbAngle:" + key;
    case CornerstoneTool::None: break;
  }
  return key;
}

std::string_view parameterKeyOfTrackingIdentifier(std::string_view tracking) {
  const auto colon = tracking.rfind(':');
  return colon == std::string_view::npos ? tracking : tracking.substr(colon + 1);
}

namespace {

std::vector<core::Vec2> toolPoints(ParameterId id, const core::LandmarkSet& landmarks) {
  auto points = core::constructionOf(id, landmarks);
  if (id == ParameterId::GT && points.size() == 3) {
    // constructionOf(GT) is {C7_C, S1 midpoint, hip axis}; GT is the angle between S1m-C7 and
    // the hip axis-S1m line carried on beyond S1m (the vertex angle's supplement).
    const core::Vec2 c7 = points[0], s1m = points[1], hip = points[2];
    return {c7, s1m, s1m + (s1m - hip)};
  }
  if (id != ParameterId::PI || points.size() != 4) return points;
  // constructionOf(PI) is {S1_P, S1_A, S1 midpoint, hip axis}.
  const core::Vec2 endplate = points[1] - points[0], s1m = points[2], hip = points[3];
  const double length = std::hypot(hip.x - s1m.x, hip.y - s1m.y), span = std::hypot(endplate.x, endplate.y);
  if (span <= 0.0) return points;
  core::Vec2 normal{-endplate.y / span, endplate.x / span};
  const core::Vec2 toHip = hip - s1m;
  if (normal.x * toHip.x + normal.y * toHip.y < 0.0) normal = -1.0 * normal;  // towards the hips
  return {s1m + length * normal, s1m, hip};
}

}  // namespace

std::vector<core::Vec2> measurementGraphicOf(ParameterId id, const core::LandmarkSet& landmarks) {
  auto points = toolPoints(id, landmarks);
  // Cornerstone's Angle is two segments, p0-p1 and p2-p3, sharing the vertex (TID 300's Angle
  // of dcmjs; the adapter reads points 0, 1 and 3).
  if (cornerstoneToolOf(id) == CornerstoneTool::Angle && points.size() == 3) {
    points.insert(points.begin() + 1, points[1]);
  }
  return points;
}

}  // namespace sagitta::dicom
