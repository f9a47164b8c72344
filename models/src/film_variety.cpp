// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/models/film_variety.hpp"

#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace sagitta::models {
namespace {

double varietyUniform(std::mt19937_64& rng, double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng); }
bool varietyChance(std::mt19937_64& rng, double p) { return p > 0.0 && varietyUniform(rng, 0.0, 1.0) < p; }

// A monotone curve through 0, three jittered inner knots and 255.
cv::Mat toneCurve(std::mt19937_64& rng) {
  std::array<double, 5> x{0.0, 0.25, 0.5, 0.75, 1.0}, y = x;
  for (std::size_t i = 1; i + 1 < y.size(); ++i) y[i] = std::clamp(x[i] + varietyUniform(rng, -0.17, 0.17), 0.02, 0.98);
  std::sort(y.begin() + 1, y.end() - 1);
  cv::Mat lut(1, 256, CV_8U);
  for (int v = 0; v < 256; ++v) {
    const double t = v / 255.0;
    std::size_t k = 0;
    while (k + 2 < x.size() && t > x[k + 1]) ++k;
    const double f = (t - x[k]) / (x[k + 1] - x[k]);
    lut.at<std::uint8_t>(v) = cv::saturate_cast<std::uint8_t>(255.0 * (y[k] + f * (y[k + 1] - y[k])));
  }
  return lut;
}

void burnInText(cv::Mat& grey8, const cv::Mat& mask, std::mt19937_64& rng) {
  static const std::string alphabet = "ABCDEFGHIJKLMNOPRSTUVWXYZ0123456789 :/.-";
  cv::Rect area = cv::boundingRect(mask);
  if (area.width < 16 || area.height < 16) return;
  const int labels = 1 + static_cast<int>(rng() % 4);
  for (int n = 0; n < labels; ++n) {
    std::string text;
    const int length = 2 + static_cast<int>(rng() % 12);
    for (int i = 0; i < length; ++i) text += alphabet[rng() % alphabet.size()];
    const double scale = varietyUniform(rng, 0.25, 0.7);
    // Labels sit mostly in the corners and along the edges, as on exported films.
    const double fx = varietyChance(rng, 0.7) ? (varietyChance(rng, 0.5) ? varietyUniform(rng, 0.0, 0.15) : varietyUniform(rng, 0.55, 0.8))
                                       : varietyUniform(rng, 0.0, 0.8);
    const double fy = varietyChance(rng, 0.7) ? (varietyChance(rng, 0.5) ? varietyUniform(rng, 0.02, 0.12) : varietyUniform(rng, 0.88, 0.98))
                                       : varietyUniform(rng, 0.05, 0.95);
    const cv::Point at(area.x + static_cast<int>(fx * area.width), area.y + static_cast<int>(fy * area.height));
    const int grey = varietyChance(rng, 0.8) ? 255 : static_cast<int>(varietyUniform(rng, 0.0, 80.0));
    cv::putText(grey8, text, at, cv::FONT_HERSHEY_SIMPLEX, scale, cv::Scalar(grey), 1, cv::LINE_AA);
  }
}

}  // namespace

FilmVariety FilmVariety::draw(const FilmVarietyRanges& r, std::mt19937_64& rng) {
  FilmVariety v;
  v.curve = varietyChance(rng, r.curveProbability);
  v.equalise = varietyChance(rng, r.equalisationProbability);
  v.claheClip = varietyUniform(rng, 1.5, 4.0);
  v.claheTiles = varietyUniform(rng, 2.0, 8.0);
  v.unsharp = varietyChance(rng, r.unsharpProbability);
  v.unsharpSigma = varietyUniform(rng, 2.0, 12.0);
  v.unsharpGain = varietyUniform(rng, 0.3, std::max(0.3, r.unsharpGainMax));
  v.downscale = varietyChance(rng, r.downscaleProbability);
  v.downscaleFactor = varietyUniform(rng, 0.35, 0.8);
  v.jpeg = varietyChance(rng, r.jpegProbability);
  v.jpegQuality = static_cast<int>(varietyUniform(rng, 15.0, 85.0));
  v.text = varietyChance(rng, r.textProbability);
  v.seed = rng();
  return v;
}

void applyFilmVariety(cv::Mat& grey8, const cv::Mat& mask, const FilmVariety& v) {
  CV_Assert(grey8.type() == CV_8U && mask.type() == CV_8U && grey8.size() == mask.size());
  if (v.identity()) return;
  std::mt19937_64 rng(v.seed);
  if (v.curve) cv::LUT(grey8, toneCurve(rng), grey8);
  if (v.equalise) {
    const int tiles = std::max(2, static_cast<int>(v.claheTiles));
    cv::createCLAHE(v.claheClip, cv::Size(tiles, std::max(2, tiles * grey8.rows / std::max(1, grey8.cols))))
        ->apply(grey8, grey8);
  }
  if (v.unsharp) {
    cv::Mat f, blurred;
    grey8.convertTo(f, CV_32F);
    cv::GaussianBlur(f, blurred, cv::Size(), v.unsharpSigma);
    f = f + v.unsharpGain * (f - blurred);
    f.convertTo(grey8, CV_8U);
  }
  if (v.downscale) {
    cv::Mat small;
    cv::resize(grey8, small, cv::Size(), v.downscaleFactor, v.downscaleFactor, cv::INTER_AREA);
    cv::resize(small, grey8, grey8.size(), 0, 0, cv::INTER_LINEAR);
  }
  if (v.text) burnInText(grey8, mask, rng);
  if (v.jpeg) {
    std::vector<std::uint8_t> bytes;
    cv::imencode(".jpg", grey8, bytes, {cv::IMWRITE_JPEG_QUALITY, v.jpegQuality});
    grey8 = cv::imdecode(bytes, cv::IMREAD_GRAYSCALE);
  }
  grey8.setTo(0, ~mask);
}

}  // namespace sagitta::models
