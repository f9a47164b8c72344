// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/phantom/image_formation.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include <opencv2/imgproc.hpp>

namespace sagitta::phantom {
namespace {

int factorFor(double targetMm, double spacing) {
  return std::max(1, static_cast<int>(std::lround(targetMm / spacing)));
}

cv::Mat downsample(const cv::Mat& image, int factor) {
  cv::Mat out;
  cv::resize(image, out, cv::Size((image.cols + factor - 1) / factor, (image.rows + factor - 1) / factor), 0, 0,
             cv::INTER_AREA);
  return out;
}

cv::Mat upsample(const cv::Mat& image, const cv::Size& size) {
  cv::Mat out;
  cv::resize(image, out, size, 0, 0, cv::INTER_LINEAR);
  return out;
}

// Trabecular texture: band-limited noise, elongated vertically like the trabeculae.
cv::Mat texture(const cv::Size& size, double spacing, double amplitude, cv::RNG& cvRng) {
  const int factor = factorFor(0.5, spacing);
  cv::Mat noise(size.height / factor + 1, size.width / factor + 1, CV_32F);
  cvRng.fill(noise, cv::RNG::NORMAL, 0.0, 1.0);
  cv::GaussianBlur(noise, noise, cv::Size(), 0.9, 2.2);
  cv::Scalar mean, sd;
  cv::meanStdDev(noise, mean, sd);
  noise.convertTo(noise, CV_32F, amplitude / std::max(1e-6, sd[0]), 1.0 - amplitude * mean[0] / std::max(1e-6, sd[0]));
  return upsample(noise, size);
}

// Percentile of a strided sample of the pixels where mask != 0 (mask may be empty).
std::vector<float> sample(const cv::Mat& image, const cv::Mat& mask, int stride) {
  std::vector<float> values;
  for (int r = 0; r < image.rows; r += stride) {
    const float* row = image.ptr<float>(r);
    const std::uint8_t* m = mask.empty() ? nullptr : mask.ptr<std::uint8_t>(r);
    for (int c = (r / stride) % stride; c < image.cols; c += stride) {
      if (m == nullptr || m[c] != 0) values.push_back(row[c]);
    }
  }
  return values;
}

float percentile(std::vector<float>& values, double q) {
  if (values.empty()) return 0.0F;
  const auto k = static_cast<std::size_t>(q * static_cast<double>(values.size() - 1));
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(k), values.end());
  return values[k];
}

}  // namespace

Exposure Exposure::sample(Rng& rng) {
  Exposure e;
  const double f = rng.uniform();
  e.fields = f < 0.35 ? 1 : f < 0.7 ? 2 : 3;
  e.scatterToPrimary = rng.uniform(0.25, 0.9);
  e.photonsAtPelvis = rng.uniform(600.0, 4000.0);
  e.equalisation = rng.uniform(0.55, 0.85);
  e.detail = rng.uniform(0.2, 0.6);
  e.collimationAngle = rng.normal(0.0, 0.6);
  e.textureAmplitude = rng.uniform(0.2, 0.4);
  return e;
}

FormedImage formImage(const Scene& scene, const Placement& placement, const Exposure& exposure, Rng& rng,
                      int bitsStored) {
  const cv::Size size(placement.columns, placement.rows);
  const double spacing = placement.columnSpacing;
  cv::RNG cvRng(rng.next());

  // 1. Attenuation line integrals.
  const int softFactor = factorFor(1.5, spacing);
  cv::Mat softLow = rasterizeSoftTissue(scene, placement, softFactor);
  // Skin, lung and diaphragm outlines are curved and soft in reality; the envelope is sampled.
  cv::GaussianBlur(softLow, softLow, cv::Size(), 5.0 / (softFactor * spacing));
  cv::Mat mu = upsample(softLow, size);
  Layers layers{cv::Mat::zeros(size, CV_32F), cv::Mat::zeros(size, CV_32F)};
  rasterize(scene, placement, layers);
  const double amplitude = spacing < 0.4 ? exposure.textureAmplitude : 0.4 * exposure.textureAmplitude;
  cv::Mat grain = texture(size, spacing, amplitude, cvRng);
  cv::multiply(layers.trabecular, grain, layers.trabecular);
  grain.release();
  mu += layers.trabecular;
  mu += layers.dense;
  layers = {};
  if (spacing < 0.3) cv::GaussianBlur(mu, mu, cv::Size(5, 5), 0.6);  // detector and focal-spot blur

  // 2. Stitched fields: each with its own exposure and heel-effect gradient; a seam line.
  std::vector<float> rowGain(static_cast<std::size_t>(size.height));
  const int fields = exposure.fields;
  int start = 0;
  for (int k = 0; k < fields; ++k) {
    const int end = k + 1 == fields ? size.height
                                    : static_cast<int>(size.height * (k + 1.0) / fields + rng.normal(0.0, 0.02) * size.height);
    const double gain = rng.uniform(0.85, 1.15), heel = rng.uniform(-0.25, 0.25);
    for (int r = start; r < end; ++r) {
      rowGain[static_cast<std::size_t>(r)] =
          static_cast<float>(gain * (1.0 + heel * (r - 0.5 * (start + end)) / std::max(1, end - start)));
    }
    if (k + 1 < fields) {
      const int width = std::max(1, static_cast<int>(std::lround(0.6 / spacing)));
      cv::Mat seam = mu.rowRange(end, std::min(size.height, end + width));
      seam += cv::Scalar(rng.uniform(0.05, 0.25));
    }
    start = end;
  }

  // 3. Transmission, scatter (from the body only), collimation.
  cv::Mat intensity;
  cv::exp(-mu, intensity);
  for (int r = 0; r < size.height; ++r) intensity.row(r) *= rowGain[static_cast<std::size_t>(r)];

  const int scatterFactor = factorFor(4.0, spacing);
  cv::Mat lowI = downsample(intensity, scatterFactor);
  cv::Mat body = downsample(upsample(softLow, size), scatterFactor) > 1.0;
  body.convertTo(body, CV_32F, 1.0 / 255.0);
  cv::multiply(lowI, body, lowI);
  cv::GaussianBlur(lowI, lowI, cv::Size(), 40.0 / (scatterFactor * spacing));
  intensity += upsample(lowI * exposure.scatterToPrimary, size);

  FormedImage out;
  out.bitsStored = bitsStored;
  const double insetL = rng.uniform(0.0, 0.06), insetR = rng.uniform(0.0, 0.06);
  const double insetT = rng.uniform(0.0, 0.02), insetB = rng.uniform(0.0, 0.02);
  out.collimation = cv::Rect2d(insetL * size.width, insetT * size.height, (1 - insetL - insetR) * size.width,
                               (1 - insetT - insetB) * size.height);
  cv::Mat exposed = cv::Mat::zeros(size, CV_8U);
  {
    const cv::RotatedRect field({static_cast<float>(out.collimation.x + 0.5 * out.collimation.width),
                                 static_cast<float>(out.collimation.y + 0.5 * out.collimation.height)},
                                {static_cast<float>(out.collimation.width), static_cast<float>(out.collimation.height)},
                                static_cast<float>(exposure.collimationAngle));
    cv::Point2f corners[4];
    field.points(corners);
    std::vector<cv::Point> polygon;
    for (const auto& p : corners) polygon.emplace_back(static_cast<int>(p.x), static_cast<int>(p.y));
    cv::fillConvexPoly(exposed, polygon, cv::Scalar(255));
  }
  // Outside the field only a little scattered and leaked radiation reaches the detector.
  cv::Mat unexposed;
  cv::bitwise_not(exposed, unexposed);
  intensity.setTo(cv::Scalar(rng.uniform(2e-4, 2e-3)), unexposed);
  unexposed.release();

  // 4. Quantum and electronic noise; the AEC sets the dose at the pelvis.
  const cv::Point2d hip = placement.toPixel(scene.exposurePoint);
  const int hipRow = std::clamp(static_cast<int>(hip.y), 0, size.height - 1);
  std::vector<float> pelvisRow = sample(intensity.rowRange(hipRow, std::min(size.height, hipRow + 1)), {}, 1);
  const double iRef = std::max(1e-6F, percentile(pelvisRow, 0.3));
  const double pixelArea = (spacing / 0.15) * (placement.rowSpacing / 0.15);
  const double n0 = exposure.photonsAtPelvis / iRef * pixelArea;
  cv::Mat noise(size, CV_32F);
  cvRng.fill(noise, cv::RNG::NORMAL, 0.0, 1.0);
  cv::Mat sd;
  cv::max(intensity, 0.0, sd);
  sd = sd * (1.0 / n0) + cv::Scalar(std::pow(3.0 / n0 * 0.2, 2.0));
  cv::sqrt(sd, sd);
  cv::multiply(sd, noise, sd);
  intensity += sd;
  sd.release();
  noise.release();

  // 5. Log processing, equalisation of large-scale range, detail enhancement.
  cv::max(intensity, 1e-6, intensity);
  cv::Mat processed;
  cv::log(intensity, processed);
  processed = -processed;
  intensity.release();
  const int baseFactor = factorFor(6.0, spacing);
  cv::Mat base = downsample(processed, baseFactor);
  cv::GaussianBlur(base, base, cv::Size(), 30.0 / (baseFactor * spacing));
  const cv::Scalar baseMean = cv::mean(base);
  const int detailFactor = factorFor(1.2, spacing);
  cv::Mat detailBase;
  if (detailFactor > 1) {
    detailBase = downsample(processed, detailFactor);
    cv::GaussianBlur(detailBase, detailBase, cv::Size(), 1.5);
    detailBase = upsample(detailBase, size);
  } else {
    cv::GaussianBlur(processed, detailBase, cv::Size(), 1.5);
  }
  cv::Mat enhanced = processed * (1.0 + exposure.detail) - detailBase * exposure.detail;
  detailBase.release();
  processed.release();
  cv::Mat baseFull = upsample(base, size);
  enhanced -= (baseFull - baseMean) * exposure.equalisation;
  baseFull.release();

  // 6. Quantise to the stored bit depth; window on the body within the exposed field.
  auto values = sample(enhanced, exposed, 7);
  const double lo = percentile(values, 0.005), hi = percentile(values, 0.998);
  cv::Mat inBody = upsample(softLow, size) > 2.0;
  inBody &= exposed;
  auto bodyValues = sample(enhanced, inBody, 7);
  if (bodyValues.size() < 100) bodyValues = values;
  const double maxValue = std::pow(2.0, bitsStored) - 1.0;
  const double scale = maxValue / std::max(1e-6, hi - lo);
  enhanced.convertTo(out.pixels, CV_16U, scale, -lo * scale);
  cv::min(out.pixels, maxValue, out.pixels);  // convertTo saturates at 65535, not at the bit depth
  const double w0 = percentile(bodyValues, 0.01), w1 = percentile(bodyValues, 0.998);
  out.windowCenter = std::round(0.5 * (w0 + w1 - 2.0 * lo) * scale);
  out.windowWidth = std::max(1.0, std::round((w1 - w0) * scale * 1.1));
  return out;
}

}  // namespace sagitta::phantom
