// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/models/head_pair.hpp"

#include <cmath>

#include "sagitta/models/dsnt.hpp"

namespace sagitta::models {

bool isFemoralHead(core::LandmarkId id) { return id == core::LandmarkId::FH_A || id == core::LandmarkId::FH_P; }

namespace {

// A [H, W] map on the CPU in double, with the normalised coordinates of its columns and rows.
struct MapGrid {
  explicit MapGrid(const torch::Tensor& probabilities)
      : map(probabilities.to(torch::kCPU).to(torch::kDouble).contiguous()),
        h(map.size(0)),
        w(map.size(1)),
        xAxis(normalisedAxis(w, map.options())),
        yAxis(normalisedAxis(h, map.options())) {}
  const double* values() const { return map.data_ptr<double>(); }
  const double* xs() const { return xAxis.data_ptr<double>(); }
  const double* ys() const { return yAxis.data_ptr<double>(); }
  torch::Tensor map;
  int64_t h, w;
  torch::Tensor xAxis, yAxis;
};

TwoPeaks splitGrid(const MapGrid& grid, cv::Point2d firstStart, cv::Point2d secondStart) {
  const auto h = grid.h, w = grid.w;
  const auto* v = grid.values();
  const auto* xs = grid.xs();
  const auto* ys = grid.ys();
  // Coincident starts cannot split the map: open them half a heatmap pixel apart along x.
  if (std::hypot(firstStart.x - secondStart.x, firstStart.y - secondStart.y) < 1.0 / static_cast<double>(w)) {
    const cv::Point2d centre = 0.5 * (firstStart + secondStart), half(0.5 / static_cast<double>(w), 0.0);
    firstStart = centre - half;
    secondStart = centre + half;
  }
  cv::Point2d c[2] = {firstStart, secondStart};
  double spread[2] = {0.0, 0.0};
  for (int iteration = 0; iteration < 30; ++iteration) {
    double mass[2] = {0, 0}, sx[2] = {0, 0}, sy[2] = {0, 0}, sxx[2] = {0, 0};
    for (int64_t r = 0; r < h; ++r) {
      const double y = ys[r];
      for (int64_t col = 0; col < w; ++col) {
        const double x = xs[col], m = v[r * w + col];
        const double e0 = (x - c[0].x) * (x - c[0].x) + (y - c[0].y) * (y - c[0].y);
        const double e1 = (x - c[1].x) * (x - c[1].x) + (y - c[1].y) * (y - c[1].y);
        const int k = e0 <= e1 ? 0 : 1;
        mass[k] += m;
        sx[k] += m * x;
        sy[k] += m * y;
        sxx[k] += m * (x * x + y * y);
      }
    }
    cv::Point2d next[2] = {c[0], c[1]};
    for (int k = 0; k < 2; ++k) {
      if (mass[k] <= 1e-9) continue;  // an empty half keeps its start
      next[k] = {sx[k] / mass[k], sy[k] / mass[k]};
      spread[k] = std::sqrt(std::max(0.0, 0.5 * (sxx[k] / mass[k] - next[k].dot(next[k]))));
    }
    const bool settled = std::hypot(next[0].x - c[0].x, next[0].y - c[0].y) + std::hypot(next[1].x - c[1].x, next[1].y - c[1].y) < 1e-9;
    c[0] = next[0];
    c[1] = next[1];
    if (settled) break;
  }
  return {c[0], c[1], spread[0], spread[1]};
}

cv::Point2d majorAxisOfGrid(const MapGrid& grid) {
  const auto h = grid.h, w = grid.w;
  const auto* v = grid.values();
  const auto* xs = grid.xs();
  const auto* ys = grid.ys();
  double mass = 0.0, sx = 0.0, sy = 0.0, sxx = 0.0, syy = 0.0, sxy = 0.0;
  for (int64_t r = 0; r < h; ++r) {
    for (int64_t c = 0; c < w; ++c) {
      const double m = v[r * w + c], x = xs[c], y = ys[r];
      mass += m;
      sx += m * x;
      sy += m * y;
      sxx += m * x * x;
      syy += m * y * y;
      sxy += m * x * y;
    }
  }
  if (mass <= 1e-12) return {0.0, 0.0};
  const double mx = sx / mass, my = sy / mass;
  const double cxx = sxx / mass - mx * mx, cyy = syy / mass - my * my, cxy = sxy / mass - mx * my;
  const double root = std::sqrt(0.25 * (cxx - cyy) * (cxx - cyy) + cxy * cxy);
  if (root <= 1e-6 * (cxx + cyy)) return {0.0, 0.0};  // isotropic (to rounding): no axis
  const double major = 0.5 * (cxx + cyy) + root;
  // Eigenvector of [[cxx, cxy], [cxy, cyy]] for the larger eigenvalue.
  cv::Point2d axis = std::abs(cxy) > 1e-15 ? cv::Point2d(major - cyy, cxy) : (cxx >= cyy ? cv::Point2d(1, 0) : cv::Point2d(0, 1));
  return axis * (1.0 / std::hypot(axis.x, axis.y));
}

}  // namespace

TwoPeaks splitTwoPeaks(const torch::Tensor& probabilities, cv::Point2d firstStart, cv::Point2d secondStart) {
  return splitGrid(MapGrid(probabilities), firstStart, secondStart);
}

cv::Point2d majorAxis(const torch::Tensor& probabilities) { return majorAxisOfGrid(MapGrid(probabilities)); }

TwoPeaks readHeadPair(const torch::Tensor& probabilities, cv::Point2d firstStart, cv::Point2d secondStart) {
  const MapGrid grid(probabilities);  // one copy to the CPU for both readings
  const auto peaks = splitGrid(grid, firstStart, secondStart);
  auto axis = majorAxisOfGrid(grid);
  if (axis.x == 0.0 && axis.y == 0.0) return peaks;
  const cv::Point2d split = peaks.first - peaks.second;
  if (axis.dot(split) < 0.0) axis = -axis;  // the 2-means keeps the labels
  const cv::Point2d half = 0.5 * split.dot(axis) * axis, centre = 0.5 * (peaks.first + peaks.second);
  return {centre + half, centre - half, peaks.firstSpread, peaks.secondSpread};
}

}  // namespace sagitta::models
