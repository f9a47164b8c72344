// SPDX-License-Identifier: GPL-3.0-or-later
// Is this a frontal (AP/PA) projection? Judged from the pixels, since View Position and Body
// Part are often missing or wrong. A frontal projection of the trunk is nearly mirror-symmetric
// about the midline (both lungs, both hemipelves, the ribs of both sides); a lateral is not
// (vertebral bodies in front of the canal, abdomen in front, muscles behind). The measure is the
// best correlation between the two halves of the image's fine structure over vertical axes in
// the middle 40 % of the width: a high-pass of the film, so that the body's outline and a black
// background do not count, less each row's mean, so that what is constant along a row (a
// horizontal edge, a stitching seam, a collimator border, the phantom's straight ribs) does not
// either. Derivation and the figures on phantoms and real films:
// docs/MODEL_CARD.md ("Gate").
#pragma once

#include <opencv2/core.hpp>

namespace sagitta::models {

struct MirrorSymmetry {
  double correlation = 0.0;  // -1..1; frontal films 0.5-0.65, laterals below 0.3 (MODEL_CARD)
  double axisFraction = 0.5; // where the best axis lies, as a fraction of the width
};

// grey8: CV_8U, any size (at least 16 x 16, otherwise correlation 0).
MirrorSymmetry mirrorSymmetry(const cv::Mat& grey8);

}  // namespace sagitta::models
