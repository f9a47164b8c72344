// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/models/patch.hpp"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

#include "sagitta/models/sample.hpp"

namespace sagitta::models {
namespace {

double drawUniform(std::mt19937_64& rng, double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng); }

}  // namespace

PatchAugmentation PatchRanges::draw(std::mt19937_64& rng) const {
  PatchAugmentation a;
  a.rotationDeg = drawUniform(rng, -rotationDeg, rotationDeg);
  a.scale = drawUniform(rng, scaleMin, scaleMax);
  a.flip = drawUniform(rng, 0.0, 1.0) < flipProbability;
  a.gamma = std::exp(drawUniform(rng, std::log(contrastMin), std::log(contrastMax)));
  a.blurSigma = drawUniform(rng, 0.0, blurSigmaMax);
  a.noiseSd = drawUniform(rng, 0.0, noiseMax);
  a.noiseSeed = rng();
  return a;
}

cv::Point2d Patch::sourceToPatch(cv::Point2d p) const { return applyAffine(toPatch, p); }

cv::Point2d patchToNormalised(cv::Point2d q, int patchSize) {
  return {2.0 * q.x / patchSize - 1.0, 2.0 * q.y / patchSize - 1.0};
}

cv::Point2d normalisedToPatch(cv::Point2d n, int patchSize) {
  return {(n.x + 1.0) * patchSize / 2.0, (n.y + 1.0) * patchSize / 2.0};
}

cv::Point2d Patch::patchToSource(cv::Point2d q) const {
  cv::Matx23d inverse;
  cv::invertAffineTransform(toPatch, inverse);
  return applyAffine(inverse, q);
}

Patch extractPatch(const cv::Mat& grey8, cv::Point2d centre, double fieldPx, int patchSize, const PatchAugmentation& a) {
  CV_Assert(grey8.type() == CV_8U && !grey8.empty() && fieldPx > 0.0 && patchSize >= 8);
  // q = c_patch + k R F (p - centre): k patch pixels per source pixel.
  const double k = patchSize / (fieldPx * a.scale);
  const double theta = a.rotationDeg * M_PI / 180.0;
  const double f = a.flip ? -1.0 : 1.0, c = k * std::cos(theta), s = k * std::sin(theta);
  const cv::Matx22d lin(c * f, -s, s * f, c);
  const double half = 0.5 * patchSize;
  const cv::Vec2d t = cv::Vec2d(half, half) - lin * cv::Vec2d(centre.x, centre.y);
  Patch patch;
  patch.toPatch = cv::Matx23d(lin(0, 0), lin(0, 1), t[0], lin(1, 0), lin(1, 1), t[1]);

  // Only the part of the film under the patch is resampled: its bounding box, clipped.
  const double reach = 0.5 * fieldPx * a.scale * (std::abs(std::cos(theta)) + std::abs(std::sin(theta))) + 2.0;
  const cv::Rect box = cv::Rect(cv::Point(static_cast<int>(std::floor(centre.x - reach)), static_cast<int>(std::floor(centre.y - reach))),
                                cv::Point(static_cast<int>(std::ceil(centre.x + reach)), static_cast<int>(std::ceil(centre.y + reach)))) &
                       cv::Rect(0, 0, grey8.cols, grey8.rows);
  cv::Mat warped = cv::Mat::zeros(patchSize, patchSize, CV_8U), mask = cv::Mat::zeros(patchSize, patchSize, CV_8U);
  if (!box.empty()) {
    // Continuous coordinates inside the box: p_box = p - box.tl; area-reduce first when shrinking.
    cv::Mat region = grey8(box);
    double sx = 1.0, sy = 1.0;
    if (k < 0.75) {
      const cv::Size reduced(std::max(1, static_cast<int>(std::lround(box.width * k))),
                             std::max(1, static_cast<int>(std::lround(box.height * k))));
      cv::Mat small;
      cv::resize(region, small, reduced, 0, 0, cv::INTER_AREA);
      sx = static_cast<double>(reduced.width) / box.width;
      sy = static_cast<double>(reduced.height) / box.height;
      region = small;
    }
    // p = (u / sx + box.x, v / sy + box.y) for region coordinates (u, v).
    const auto& m = patch.toPatch;
    const cv::Matx23d fromRegion(m(0, 0) / sx, m(0, 1) / sy, m(0, 0) * box.x + m(0, 1) * box.y + m(0, 2),
                                 m(1, 0) / sx, m(1, 1) / sy, m(1, 0) * box.x + m(1, 1) * box.y + m(1, 2));
    const cv::Matx23d mi = toIndexAffine(fromRegion);
    const cv::Size size(patchSize, patchSize);
    cv::warpAffine(region, warped, mi, size, cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar(0));
    cv::warpAffine(cv::Mat(region.size(), CV_8U, cv::Scalar(255)), mask, mi, size, cv::INTER_LINEAR,
                   cv::BORDER_CONSTANT, cv::Scalar(0));
    mask = mask > 127;
  }
  patch.input = degradeAndNormalise(warped, mask, a.gamma, a.blurSigma, a.noiseSd, a.noiseSeed);
  return patch;
}

}  // namespace sagitta::models
