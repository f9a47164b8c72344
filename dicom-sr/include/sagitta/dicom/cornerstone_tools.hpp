// SPDX-License-Identifier: GPL-3.0-or-later
// How each parameter's measurement group reads in OHIF (docs/CONFORMANCE.md, "OHIF"): the graphic
// drawn on the film and, where a Cornerstone3D tool computes the same angle from the same
// points, the tracking identifier that lets OHIF load it as that tool (editable).
//   CobbAngle: 4 points, two lines (the endplates); Cornerstone measures the angle between them.
//   Angle: 4 points, two segments p0-p1 and p1-p3 sharing the vertex (p1 = p2); Cornerstone
//   measures the angle at the vertex.
// Both are unsigned in Cornerstone: the SR's value keeps the sign until a reader edits the tool.
// The others (SVA, cSVA, Barrey index) are no Cornerstone quantity and stay drawn only.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sagitta/core/landmark_set.hpp"
#include "sagitta/core/parameter_catalogue.hpp"
#include "sagitta/core/spine_frame.hpp"

namespace sagitta::dicom {

// Cornerstone3D's tag in the tracking identifiers it writes and reads (@cornerstonejs/adapters,
// cornerstone3DTag.js); the adapter matches identifiers that start with "<tag>:<tool>".
inline constexpr std::string_view kCornerstoneTag = "Cornerstone3DTools@^0.1.0";

enum class CornerstoneTool { None, Angle, CobbAngle };

CornerstoneTool cornerstoneToolOf(core::ParameterId id);

// "Cornerstone3DTools@^0.1.0:CobbAngle:LL", or the bare key ("SVA") where no tool applies.
std::string trackingIdentifierOf(core::ParameterId id);

// The parameter key a tracking identifier names: the text after its last ':' ("LL" for the
// Cornerstone form, and the bare keys of Sagitta before 1.4).
std::string_view parameterKeyOfTrackingIdentifier(std::string_view tracking);

// The points of the group's SCOORD: core::constructionOf, except PI, whose Angle is the
// perpendicular to S1 at its midpoint and the line to the hip axis (the endplate is SS's), and
// GT, whose Angle opens between S1m-C7 and the hip axis-S1m line carried on beyond S1m.
// Empty when a landmark is missing.
std::vector<core::Vec2> measurementGraphicOf(core::ParameterId id, const core::LandmarkSet& landmarks);

}  // namespace sagitta::dicom
