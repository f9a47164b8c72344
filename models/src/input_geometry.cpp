// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/models/input_geometry.hpp"

#include <algorithm>

#include <opencv2/imgproc.hpp>

namespace sagitta::models {

InputGeometry InputGeometry::fit(const cv::Size& source, int inputHeight, int inputWidth) {
  InputGeometry g;
  g.inputHeight = inputHeight;
  g.inputWidth = inputWidth;
  g.scale = std::min(static_cast<double>(inputHeight) / source.height, static_cast<double>(inputWidth) / source.width);
  g.offsetX = 0.5 * (inputWidth - g.scale * source.width);
  g.offsetY = 0.5 * (inputHeight - g.scale * source.height);
  return g;
}

cv::Point2d InputGeometry::toNormalised(cv::Point2d source) const {
  // Input continuous coordinates, then eq. 4's normalisation: x_n = 2 x / W - 1.
  const double x = offsetX + scale * source.x, y = offsetY + scale * source.y;
  return {2.0 * x / inputWidth - 1.0, 2.0 * y / inputHeight - 1.0};
}

cv::Point2d InputGeometry::toSource(cv::Point2d normalised) const {
  const double x = (normalised.x + 1.0) * inputWidth / 2.0, y = (normalised.y + 1.0) * inputHeight / 2.0;
  return {(x - offsetX) / scale, (y - offsetY) / scale};
}

torch::Tensor toInputTensor(const cv::Mat& grey8, const InputGeometry& g) {
  CV_Assert(grey8.type() == CV_8U);
  cv::Mat resized;
  const cv::Size fitted(std::max(1, static_cast<int>(std::lround(grey8.cols * g.scale))),
                        std::max(1, static_cast<int>(std::lround(grey8.rows * g.scale))));
  cv::resize(grey8, resized, fitted, 0, 0, cv::INTER_AREA);
  cv::Mat image;
  resized.convertTo(image, CV_32F);
  cv::Scalar mean, sd;
  cv::meanStdDev(image, mean, sd);
  image = (image - mean[0]) / std::max(1e-3, sd[0]);
  cv::Mat input = cv::Mat::zeros(g.inputHeight, g.inputWidth, CV_32F);
  const cv::Rect area(static_cast<int>(std::lround(g.offsetX)), static_cast<int>(std::lround(g.offsetY)), fitted.width,
                      fitted.height);
  image.copyTo(input(area & cv::Rect(0, 0, g.inputWidth, g.inputHeight)));
  return torch::from_blob(input.data, {1, g.inputHeight, g.inputWidth}, torch::kFloat32).clone();
}

std::pair<torch::Tensor, torch::Tensor> toTargets(const core::LandmarkSet& landmarks, const InputGeometry& g) {
  auto targets = torch::zeros({static_cast<int64_t>(core::kLandmarkCount), 2});
  auto visible = torch::zeros({static_cast<int64_t>(core::kLandmarkCount)});
  for (const auto& info : core::landmarkCatalogue()) {
    const auto& l = landmarks.get(info.id);
    if (!l) continue;
    const auto n = g.toNormalised({l->x, l->y});
    const auto k = static_cast<int64_t>(core::indexOf(info.id));
    targets[k][0] = n.x;
    targets[k][1] = n.y;
    visible[k] = 1.0;
  }
  return {targets, visible};
}

core::LandmarkSet toLandmarks(const torch::Tensor& coordinates, const InputGeometry& g) {
  TORCH_CHECK(coordinates.dim() == 2 && coordinates.size(0) == static_cast<int64_t>(core::kLandmarkCount) &&
                  coordinates.size(1) == 2,
              "expected [45, 2] coordinates");
  const auto c = coordinates.to(torch::kDouble).contiguous();
  const auto* data = c.data_ptr<double>();
  core::LandmarkSet set;
  for (const auto& info : core::landmarkCatalogue()) {
    const auto k = core::indexOf(info.id);
    const auto p = g.toSource({data[2 * k], data[2 * k + 1]});
    set.set(info.id, {p.x, p.y, std::nullopt});
  }
  return set;
}

}  // namespace sagitta::models
