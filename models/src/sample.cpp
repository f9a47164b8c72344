// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/models/sample.hpp"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

namespace sagitta::models {
namespace {

double uniform(std::mt19937_64& rng, double lo, double hi) {
  return std::uniform_real_distribution<double>(lo, hi)(rng);
}


}  // namespace

cv::Matx23d toIndexAffine(const cv::Matx23d& m) {
  cv::Matx23d r = m;
  r(0, 2) = m(0, 2) + 0.5 * (m(0, 0) + m(0, 1)) - 0.5;
  r(1, 2) = m(1, 2) + 0.5 * (m(1, 0) + m(1, 1)) - 0.5;
  return r;
}

cv::Point2d applyAffine(const cv::Matx23d& m, cv::Point2d p) {
  return {m(0, 0) * p.x + m(0, 1) * p.y + m(0, 2), m(1, 0) * p.x + m(1, 1) * p.y + m(1, 2)};
}

torch::Tensor degradeAndNormalise(const cv::Mat& warped8, const cv::Mat& mask, double gamma, double blurSigma,
                                  double noiseSd, std::uint64_t noiseSeed) {
  cv::Mat source = warped8;
  if (std::abs(gamma - 1.0) > 1e-9) {
    cv::Mat lut(1, 256, CV_8U);
    for (int i = 0; i < 256; ++i) {
      lut.at<std::uint8_t>(i) = cv::saturate_cast<std::uint8_t>(255.0 * std::pow(i / 255.0, gamma));
    }
    cv::LUT(warped8, lut, source);
  }
  cv::Mat image;
  source.convertTo(image, CV_32F);
  if (blurSigma > 0.05) cv::GaussianBlur(image, image, cv::Size(), blurSigma);
  if (noiseSd > 0.0) {
    cv::RNG rng(noiseSeed);
    cv::Mat noise(image.size(), CV_32F);
    rng.fill(noise, cv::RNG::NORMAL, 0.0, noiseSd);
    image += noise;
  }
  cv::Scalar mean, sd;
  cv::meanStdDev(image, mean, sd, mask);
  image = (image - mean[0]) / std::max(1e-3, sd[0]);
  image.setTo(0.0F, ~mask);
  return torch::from_blob(image.data, {1, image.rows, image.cols}, torch::kFloat32).clone();
}

Augmentation Augmentation::draw(const AugmentationRanges& r, int inputHeight, int inputWidth, std::mt19937_64& rng) {
  Augmentation a;
  a.scale = uniform(rng, r.scaleMin, r.scaleMax);
  a.rotationDeg = uniform(rng, -r.rotationDeg, r.rotationDeg);
  a.shiftX = uniform(rng, -r.shiftFraction, r.shiftFraction) * inputWidth;
  a.shiftY = uniform(rng, -r.shiftFraction, r.shiftFraction) * inputHeight;
  a.blurSigma = uniform(rng, 0.0, r.blurSigmaMax);
  a.gamma = std::exp(uniform(rng, std::log(r.contrastMin), std::log(r.contrastMax)));
  a.noiseSd = uniform(rng, 0.0, r.noiseMax);
  a.flip = uniform(rng, 0.0, 1.0) < r.flipProbability;
  a.noiseSeed = rng();
  if (r.film.any()) a.film = FilmVariety::draw(r.film, rng);  // older configs keep their random stream
  return a;
}

cv::Matx23d inputTransform(const cv::Size& source, int inputHeight, int inputWidth, const Augmentation& a) {
  const double s = std::min(static_cast<double>(inputHeight) / source.height, static_cast<double>(inputWidth) / source.width);
  const double cx = 0.5 * inputWidth, cy = 0.5 * inputHeight;
  // Letterbox: q = s p + o, with the image centred; then about the input centre an optional
  // mirror, the rotation and scale, and the shift.
  const double ox = cx - 0.5 * s * source.width, oy = cy - 0.5 * s * source.height;
  const double theta = a.rotationDeg * M_PI / 180.0;
  const double c = a.scale * std::cos(theta), n = a.scale * std::sin(theta);
  const double f = a.flip ? -1.0 : 1.0;
  // q' = c0 + R k F (q - c0) + shift, F = diag(f, 1)
  const cv::Matx22d rf(c * f, -n, n * f, c);
  const cv::Matx22d lin = rf * cv::Matx22d(s, 0.0, 0.0, s);
  const cv::Vec2d q0 = rf * cv::Vec2d(ox - cx, oy - cy);
  return {lin(0, 0), lin(0, 1), q0[0] + cx + a.shiftX, lin(1, 0), lin(1, 1), q0[1] + cy + a.shiftY};
}

Sample makeSample(const cv::Mat& grey8, const core::LandmarkSet& landmarks, int inputHeight, int inputWidth,
                  const Augmentation& a) {
  CV_Assert(grey8.type() == CV_8U && !grey8.empty());
  const cv::Matx23d full = inputTransform(grey8.size(), inputHeight, inputWidth, a);

  // A large source is first reduced by area averaging (a linear warp would alias), then warped.
  cv::Mat source = grey8;
  cv::Matx23d m = full;
  const double s = std::min(static_cast<double>(inputHeight) / grey8.rows, static_cast<double>(inputWidth) / grey8.cols);
  if (s < 0.75) {
    const cv::Size reduced(std::max(1, static_cast<int>(std::lround(grey8.cols * s))),
                           std::max(1, static_cast<int>(std::lround(grey8.rows * s))));
    cv::resize(grey8, source, reduced, 0, 0, cv::INTER_AREA);
    const double sx = static_cast<double>(reduced.width) / grey8.cols, sy = static_cast<double>(reduced.height) / grey8.rows;
    m = cv::Matx23d(full(0, 0) / sx, full(0, 1) / sy, full(0, 2), full(1, 0) / sx, full(1, 1) / sy, full(1, 2));
  }
  const cv::Size inputSize(inputWidth, inputHeight);
  const cv::Matx23d mi = toIndexAffine(m);
  cv::Mat warped, mask;
  cv::warpAffine(source, warped, mi, inputSize, cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar(0));
  cv::warpAffine(cv::Mat(source.size(), CV_8U, cv::Scalar(255)), mask, mi, inputSize, cv::INTER_LINEAR,
                 cv::BORDER_CONSTANT, cv::Scalar(0));
  mask = mask > 127;
  applyFilmVariety(warped, mask, a.film);

  Sample sample;
  sample.input = degradeAndNormalise(warped, mask, a.gamma, a.blurSigma, a.noiseSd, a.noiseSeed);
  const auto k = static_cast<int64_t>(core::kLandmarkCount);
  sample.targets = torch::zeros({k, 2});
  sample.visible = torch::zeros({k});
  auto t = sample.targets.accessor<float, 2>();
  auto v = sample.visible.accessor<float, 1>();
  for (const auto& info : core::landmarkCatalogue()) {
    const auto& l = landmarks.get(info.id);
    if (!l) continue;
    const auto q = applyAffine(full, {l->x, l->y});
    const auto i = static_cast<int64_t>(core::indexOf(info.id));
    t[i][0] = static_cast<float>(2.0 * q.x / inputWidth - 1.0);
    t[i][1] = static_cast<float>(2.0 * q.y / inputHeight - 1.0);
    v[i] = (q.x >= 0.0 && q.x <= inputWidth && q.y >= 0.0 && q.y <= inputHeight) ? 1.0F : 0.0F;
  }
  return sample;
}

torch::Tensor makeInput(const cv::Mat& grey8, int inputHeight, int inputWidth) {
  return makeSample(grey8, core::LandmarkSet{}, inputHeight, inputWidth, Augmentation::identity()).input;
}

}  // namespace sagitta::models
