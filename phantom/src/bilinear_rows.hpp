// SPDX-License-Identifier: GPL-3.0-or-later
// Internal: bilinear upsampling of a coarse CV_32F field one output row at a time (the same
// sampling as cv::resize INTER_LINEAR), so full-size images never hold upsampled copies.
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

#include <opencv2/core.hpp>

namespace sagitta::phantom::detail {

class BilinearRows {
 public:
  BilinearRows(const cv::Mat& coarse, const cv::Size& full) : coarse_(coarse), full_(full) {
    const double sx = static_cast<double>(coarse.cols) / full.width;
    x0_.resize(static_cast<std::size_t>(full.width));
    x1_.resize(x0_.size());
    wx_.resize(x0_.size());
    for (int x = 0; x < full.width; ++x) {
      const double src = std::clamp((x + 0.5) * sx - 0.5, 0.0, coarse.cols - 1.0);
      const auto i = static_cast<std::size_t>(x);
      x0_[i] = static_cast<int>(std::floor(src));
      x1_[i] = std::min(x0_[i] + 1, coarse.cols - 1);
      wx_[i] = static_cast<float>(src - x0_[i]);
    }
    sy_ = static_cast<double>(coarse.rows) / full.height;
  }

  void row(int y, float* out) const {
    const double src = std::clamp((y + 0.5) * sy_ - 0.5, 0.0, coarse_.rows - 1.0);
    const int y0 = static_cast<int>(std::floor(src));
    const int y1 = std::min(y0 + 1, coarse_.rows - 1);
    const auto wy = static_cast<float>(src - y0);
    const float* r0 = coarse_.ptr<float>(y0);
    const float* r1 = coarse_.ptr<float>(y1);
    for (std::size_t x = 0; x < x0_.size(); ++x) {
      const float a = r0[x0_[x]] + wx_[x] * (r0[x1_[x]] - r0[x0_[x]]);
      const float b = r1[x0_[x]] + wx_[x] * (r1[x1_[x]] - r1[x0_[x]]);
      out[x] = a + wy * (b - a);
    }
  }

 private:
  const cv::Mat& coarse_;
  cv::Size full_;
  std::vector<int> x0_, x1_;
  std::vector<float> wx_;
  double sy_ = 1.0;
};

}  // namespace sagitta::phantom::detail
