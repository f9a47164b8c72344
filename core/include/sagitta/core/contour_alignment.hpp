// SPDX-License-Identifier: GPL-3.0-or-later
// seeds/004's measurement from vertebra masks (the teleradiology pathway, issue 19): each
// vertebra's contour, labelled with its level, gives a minimum-area rectangle and least-squares
// lines through its endplates; TK (T5 superior to T12 inferior), LL (L1 superior to L5
// inferior) and SS (S1 superior against the image horizontal) are the angles between them.
// Masks off the spinal column are removed first by the paper's slope-change rule.
// Where the paper is vague, the choices are said at each step (docs/MEASUREMENT.md, "Photos").
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "sagitta/core/spine_frame.hpp"

namespace sagitta::core {

// The paper's threshold on the slope change between adjacent vertebrae: tan 60 deg.
inline constexpr double kSlopeChangeThreshold = 1.7;

struct VertebraContour {
  std::string level;          // "T5", "L1", "S1", ...
  std::vector<Vec2> contour;  // the mask's outline, image pixels (y down), at least 3 points
};

struct EndplateLine {
  Vec2 from, to;        // the fitted line over the endplate's extent
  double angleDeg = 0;  // its angle to the image horizontal, (-90, 90], y down: + is clockwise
  int points = 0;       // contour points the least-squares fit used
};

struct VertebraFit {
  std::string level;
  Vec2 centre;                    // the contour's area centroid
  std::array<Vec2, 4> rectangle;  // minimum-area rectangle, corners in order
  EndplateLine superior, inferior;
};

struct ContourAlignment {
  std::vector<VertebraFit> vertebrae;   // kept, cranial to caudal
  std::vector<std::string> removed;     // levels removed as noise (slope change above threshold)
  std::optional<double> tk, ll, ss;     // degrees, unsigned as the paper reports them
  std::vector<std::string> notMeasured; // "TK: T12 not found", ...
};

// Fits every contour and measures. Contours with fewer than 3 points, no area or a non-finite
// coordinate are ignored.
ContourAlignment measureFromContours(const std::vector<VertebraContour>& vertebrae,
                                     double slopeChangeThreshold = kSlopeChangeThreshold);

// The minimum-area rectangle around points (rotating calipers on the convex hull).
std::array<Vec2, 4> minimumAreaRectangle(const std::vector<Vec2>& points);

}  // namespace sagitta::core
