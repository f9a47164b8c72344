// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/models/view_check.hpp"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

namespace sagitta::models {
namespace {

// Working width: the trunk's large structures (lungs, pelvis, vertebral column) span several
// of these pixels; finer detail would only add noise and time.
constexpr int kWidth = 128;
// High-pass: subtract a blur of this fraction of the width (the body outline, the exposure
// gradient, a black background), keep the anatomy inside.
constexpr double kHighPassSigmaFraction = 1.0 / 16.0;
constexpr double kPreBlurSigma = 1.0;
// Half-width of the compared band and the range of candidate axes, as fractions of the width.
constexpr double kBandFraction = 0.3;
constexpr double kAxisMin = 0.3, kAxisMax = 0.7;

}  // namespace

MirrorSymmetry mirrorSymmetry(const cv::Mat& grey8) {
  MirrorSymmetry best;
  if (grey8.empty() || grey8.rows < 16 || grey8.cols < 16) return best;
  const int height = std::max(8, static_cast<int>(std::lround(grey8.rows * static_cast<double>(kWidth) / grey8.cols)));
  // Area reduction in two steps: an exact integer factor first (OpenCV's fast path; the film
  // cropped by less than one factor at its right and bottom edges), then the rest. A full-size
  // film in one non-integer step took 40 ms here (sagitta_bench_shipped_model, BM_MirrorSymmetry).
  cv::Mat small;
  const int factor = grey8.cols / kWidth;
  if (factor >= 2 && grey8.rows >= 2 * factor) {
    const cv::Mat exact = grey8(cv::Rect(0, 0, grey8.cols - grey8.cols % factor, grey8.rows - grey8.rows % factor));
    cv::Mat reduced;
    cv::resize(exact, reduced, cv::Size(exact.cols / factor, exact.rows / factor), 0, 0, cv::INTER_AREA);
    cv::resize(reduced, small, cv::Size(kWidth, height), 0, 0, cv::INTER_AREA);
  } else {
    cv::resize(grey8, small, cv::Size(kWidth, height), 0, 0, cv::INTER_AREA);
  }
  cv::Mat f, low;
  small.convertTo(f, CV_64F);
  cv::GaussianBlur(f, f, cv::Size(0, 0), kPreBlurSigma);
  cv::GaussianBlur(f, low, cv::Size(0, 0), kWidth * kHighPassSigmaFraction);
  f -= low;

  bool found = false;
  const int band = static_cast<int>(kBandFraction * kWidth);
  for (int c = static_cast<int>(kAxisMin * kWidth); c <= static_cast<int>(kAxisMax * kWidth); ++c) {
    const int d = std::min({c, kWidth - c, band});
    if (d < 4) continue;
    // Left columns c-1, c-2, ... against right columns c, c+1, ..., each row less its mean over
    // the band: a structure constant along a row (a horizontal edge, a seam, a collimator
    // border) mirrors about any axis and says nothing about the view.
    double sumL = 0.0, sumR = 0.0, lr = 0.0, ll = 0.0, rr = 0.0;
    const double n = static_cast<double>(d) * height;
    for (int y = 0; y < height; ++y) {
      const double* row = f.ptr<double>(y);
      double rowSum = 0.0;
      for (int k = 0; k < d; ++k) rowSum += row[c - 1 - k] + row[c + k];
      const double rowMean = rowSum / (2.0 * d);
      for (int k = 0; k < d; ++k) {
        const double a = row[c - 1 - k] - rowMean, b = row[c + k] - rowMean;
        sumL += a;
        sumR += b;
        lr += a * b;
        ll += a * a;
        rr += b * b;
      }
    }
    // Pearson correlation from the sums (the halves' own means removed).
    lr -= sumL * sumR / n;
    ll -= sumL * sumL / n;
    rr -= sumR * sumR / n;
    if (ll <= 0.0 || rr <= 0.0) continue;
    const double r = lr / std::sqrt(ll * rr);
    if (!found || r > best.correlation) {
      found = true;
      best.correlation = r;
      best.axisFraction = static_cast<double>(c) / kWidth;
    }
  }
  if (!found) best.correlation = 0.0;  // a flat image has no structure to mirror
  return best;
}

}  // namespace sagitta::models
