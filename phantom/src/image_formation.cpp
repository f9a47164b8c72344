// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/phantom/image_formation.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "bilinear_rows.hpp"

namespace sagitta::phantom {
namespace {

int factorFor(double targetMm, double spacing) {
  return std::max(1, static_cast<int>(std::lround(targetMm / spacing)));
}

// Block average by an integer factor (OpenCV's fast INTER_AREA path needs an exact multiple:
// the last partial block of rows / columns is left out, negligible for these smooth fields).
cv::Mat downsample(const cv::Mat& image, int factor) {
  const cv::Size coarse(std::max(1, image.cols / factor), std::max(1, image.rows / factor));
  const cv::Rect whole(0, 0, std::min(image.cols, coarse.width * factor), std::min(image.rows, coarse.height * factor));
  cv::Mat out;
  cv::resize(image(whole), out, coarse, 0, 0, cv::INTER_AREA);
  return out;
}

// Trabecular texture: band-limited noise, elongated vertically like the trabeculae.
cv::Mat texture(const cv::Size& size, double spacing, double amplitude, cv::RNG& cvRng) {
  const int factor = factorFor(0.5, spacing);
  cv::Mat noise(size.height / factor + 1, size.width / factor + 1, CV_32F);
  cvRng.fill(noise, cv::RNG::NORMAL, 0.0, 1.0);
  cv::GaussianBlur(noise, noise, cv::Size(), 0.8, 1.3);
  cv::Scalar mean, sd;
  cv::meanStdDev(noise, mean, sd);
  noise.convertTo(noise, CV_32F, amplitude / std::max(1e-6, sd[0]), 1.0 - amplitude * mean[0] / std::max(1e-6, sd[0]));
  return noise;  // coarse: upsampled row by row
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
  e.photonsAtPelvis = rng.uniform(150.0, 1500.0);
  e.equalisation = rng.uniform(0.55, 0.85);
  e.detail = rng.uniform(0.2, 0.6);
  e.collimationAngle = rng.normal(0.0, 0.6);
  e.textureAmplitude = rng.uniform(0.2, 0.4);
  return e;
}

FormedImage formImage(const Scene& scene, const Placement& placement, const Exposure& exposure, Rng& rng,
                      int bitsStored) {
  const cv::Size size(placement.columns, placement.rows);
  const auto width = static_cast<std::size_t>(size.width);
  const double spacing = placement.columnSpacing;
  cv::RNG cvRng(rng.next());

  // Coarse, smooth fields: soft tissue and lungs, and the trabecular texture.
  const int softFactor = factorFor(1.5, spacing);
  cv::Mat softLow = rasterizeSoftTissue(scene, placement, softFactor);
  // Skin, lung and diaphragm outlines are curved and soft in reality; the envelope is sampled.
  cv::GaussianBlur(softLow, softLow, cv::Size(), 5.0 / (softFactor * spacing));
  const double amplitude = spacing < 0.4 ? exposure.textureAmplitude : 0.4 * exposure.textureAmplitude;
  const cv::Mat grainLow = texture(size, spacing, amplitude, cvRng);
  const detail::BilinearRows soft(softLow, size), grain(grainLow, size);

  // Bone and metal at full resolution in one buffer: trabecular bone first, modulated by the
  // texture, then cortical bone and metal on top.
  cv::Mat image = cv::Mat::zeros(size, CV_32F);
  rasterize(scene, placement, LayerGroup::Trabecular, image);
  {
    std::vector<float> grainRow(width);
    for (int r = 0; r < size.height; ++r) {
      grain.row(r, grainRow.data());
      float* row = image.ptr<float>(r);
      for (std::size_t c = 0; c < width; ++c) row[c] *= grainRow[c];
    }
  }
  rasterize(scene, placement, LayerGroup::Dense, image);

  // Stitched fields: each with its own exposure and heel-effect gradient; a seam line.
  std::vector<float> rowGain(static_cast<std::size_t>(size.height));
  std::vector<float> rowSeam(static_cast<std::size_t>(size.height), 0.0F);
  int start = 0;
  for (int k = 0; k < exposure.fields; ++k) {
    const int end = k + 1 == exposure.fields
                        ? size.height
                        : static_cast<int>(size.height * (k + 1.0) / exposure.fields + rng.normal(0.0, 0.02) * size.height);
    const double gain = rng.uniform(0.85, 1.15), heel = rng.uniform(-0.25, 0.25);
    for (int r = start; r < end; ++r) {
      rowGain[static_cast<std::size_t>(r)] =
          static_cast<float>(gain * (1.0 + heel * (r - 0.5 * (start + end)) / std::max(1, end - start)));
    }
    if (k + 1 < exposure.fields) {
      const int seamWidth = std::max(1, static_cast<int>(std::lround(0.6 / spacing)));
      const auto seam = static_cast<float>(rng.uniform(0.05, 0.25));
      for (int r = end; r < std::min(size.height, end + seamWidth); ++r) rowSeam[static_cast<std::size_t>(r)] = seam;
    }
    start = end;
  }

  // Pass 1: transmission, I = gain * exp(-mu), in place.
  {
    std::vector<float> softRow(width);
    for (int r = 0; r < size.height; ++r) {
      soft.row(r, softRow.data());
      float* out = image.ptr<float>(r);
      const float seam = rowSeam[static_cast<std::size_t>(r)];
      for (std::size_t c = 0; c < width; ++c) out[c] = -(softRow[c] + out[c] + seam);
      cv::Mat row(1, size.width, CV_32F, out);
      cv::exp(row, row);
      row *= rowGain[static_cast<std::size_t>(r)];
    }
  }

  // Scatter from the body only, very smooth: computed coarse.
  const int scatterFactor = factorFor(4.0, spacing);
  cv::Mat scatterLow = downsample(image, scatterFactor);
  cv::Mat bodyLow;
  cv::resize(softLow, bodyLow, scatterLow.size(), 0, 0, cv::INTER_LINEAR);
  bodyLow = bodyLow > 1.0;
  bodyLow.convertTo(bodyLow, CV_32F, exposure.scatterToPrimary / 255.0);
  cv::multiply(scatterLow, bodyLow, scatterLow);
  cv::GaussianBlur(scatterLow, scatterLow, cv::Size(), 40.0 / (scatterFactor * spacing));
  const detail::BilinearRows scatter(scatterLow, size);

  // Collimation: a slightly rotated rectangle; outside it only leakage reaches the detector.
  FormedImage out;
  out.bitsStored = bitsStored;
  const double insetL = rng.uniform(0.0, 0.06), insetR = rng.uniform(0.0, 0.06);
  const double insetT = rng.uniform(0.0, 0.02), insetB = rng.uniform(0.0, 0.02);
  out.collimation = cv::Rect2d(insetL * size.width, insetT * size.height, (1 - insetL - insetR) * size.width,
                               (1 - insetT - insetB) * size.height);
  const double angle = exposure.collimationAngle * kRadPerDeg;
  const cv::Point2d fieldCentre(out.collimation.x + 0.5 * out.collimation.width,
                                out.collimation.y + 0.5 * out.collimation.height);
  const double ca = std::cos(angle), sa = std::sin(angle);
  // The exposed columns [first, last) of a row: the rotated rectangle is convex.
  auto exposedColumns = [&](int r) {
    const double dy = r + 0.5 - fieldCentre.y;
    double lo = -1e300, hi = 1e300;
    // |ca*dx + sa*dy| <= w/2 and |-sa*dx + ca*dy| <= h/2, each a slab in dx.
    auto slab = [&](double a, double b, double half) {
      if (std::abs(a) < 1e-12) {
        if (std::abs(b) > half) hi = lo - 1;
        return;
      }
      const double x0 = (-half - b) / a, x1 = (half - b) / a;
      lo = std::max(lo, std::min(x0, x1));
      hi = std::min(hi, std::max(x0, x1));
    };
    slab(ca, sa * dy, 0.5 * out.collimation.width);
    slab(-sa, ca * dy, 0.5 * out.collimation.height);
    if (hi < lo) return std::pair<int, int>{0, 0};
    const int first = std::clamp(static_cast<int>(std::ceil(fieldCentre.x + lo - 0.5)), 0, size.width);
    const int last = std::clamp(static_cast<int>(std::floor(fieldCentre.x + hi - 0.5)) + 1, first, size.width);
    return std::pair<int, int>{first, last};
  };
  const auto leak = static_cast<float>(rng.uniform(2e-4, 2e-3));

  // Quantum and electronic noise; the AEC sets the dose at the hips.
  const cv::Point2d hip = placement.toPixel(scene.exposurePoint);
  const int hipRow = std::clamp(static_cast<int>(hip.y), 0, size.height - 1);
  const float* hipPixels = image.ptr<float>(hipRow);
  std::vector<float> pelvisRow(hipPixels, hipPixels + size.width);
  const double iRef = std::max(1e-6, static_cast<double>(percentile(pelvisRow, 0.3)));
  const double pixelArea = (spacing / 0.15) * (placement.rowSpacing / 0.15);
  const auto inverseN0 = static_cast<float>(iRef / (exposure.photonsAtPelvis * pixelArea));
  const auto electronic = static_cast<float>(std::pow(0.6 * static_cast<double>(inverseN0), 2.0));

  // Pass 2: scatter, collimation, noise, logarithm, in place. Unit normal noise is read from a
  // 1 M-sample tile at a random offset per row: white to the eye, and 20x cheaper than drawing
  // a normal per pixel.
  {
    std::vector<float> scatterRow(width);
    const int tile = std::min(1 << 20, size.area());
    cv::Mat noise(1, tile + size.width, CV_32F);
    cvRng.fill(noise, cv::RNG::NORMAL, 0.0, 1.0);
    for (int r = 0; r < size.height; ++r) {
      scatter.row(r, scatterRow.data());
      const float* n = noise.ptr<float>(0) + cvRng.uniform(0, tile);
      float* row = image.ptr<float>(r);
      const auto [first, last] = exposedColumns(r);
      for (int c = 0; c < first; ++c) row[c] = leak;
      for (int c = first; c < last; ++c) row[c] += scatterRow[static_cast<std::size_t>(c)];
      for (int c = last; c < size.width; ++c) row[c] = leak;
      for (std::size_t c = 0; c < width; ++c) {
        const float i = row[c] + std::sqrt(std::max(0.0F, row[c]) * inverseN0 + electronic) * n[c];
        row[c] = std::max(i, 1e-6F);
      }
      cv::Mat line(1, size.width, CV_32F, row);
      cv::log(line, line);
      line *= -1.0;
    }
  }

  // Pass 3: equalisation of the large-scale range and detail enhancement, in place.
  const int baseFactor = factorFor(6.0, spacing);
  cv::Mat base = downsample(image, baseFactor);
  cv::GaussianBlur(base, base, cv::Size(), 30.0 / (baseFactor * spacing));
  const auto baseMean = static_cast<float>(cv::mean(base)[0]);
  const int detailFactor = std::max(2, factorFor(1.2, spacing));
  cv::Mat detailLow = downsample(image, detailFactor);
  cv::GaussianBlur(detailLow, detailLow, cv::Size(), 1.5);
  {
    const detail::BilinearRows baseRows(base, size), detailRows(detailLow, size);
    std::vector<float> baseRow(width), detailRow(width);
    const auto gain = static_cast<float>(exposure.detail), eq = static_cast<float>(exposure.equalisation);
    for (int r = 0; r < size.height; ++r) {
      baseRows.row(r, baseRow.data());
      detailRows.row(r, detailRow.data());
      float* row = image.ptr<float>(r);
      for (std::size_t c = 0; c < width; ++c) {
        row[c] = row[c] * (1.0F + gain) - detailRow[c] * gain - eq * (baseRow[c] - baseMean);
      }
    }
  }
  // Detector and focal-spot unsharpness, ~0.2 mm (when that is at least half a pixel).
  if (0.2 / spacing >= 0.5) cv::GaussianBlur(image, image, cv::Size(), 0.2 / spacing);

  // Quantise to the stored bit depth; window on the body within the exposed field.
  std::vector<float> values, bodyValues;
  {
    std::vector<float> softRow(width);
    const int stride = 7;
    for (int r = 0; r < size.height; r += stride) {
      soft.row(r, softRow.data());
      const float* row = image.ptr<float>(r);
      const auto [first, last] = exposedColumns(r);
      for (int c = (r / stride) % stride; c < size.width; c += stride) {
        if (c < first || c >= last) continue;
        values.push_back(row[c]);
        if (softRow[static_cast<std::size_t>(c)] > 2.0F) bodyValues.push_back(row[c]);
      }
    }
    if (bodyValues.size() < 100) bodyValues = values;
  }
  const double lo = percentile(values, 0.005), hi = percentile(values, 0.998);
  const double maxValue = std::pow(2.0, bitsStored) - 1.0;
  const double scale = maxValue / std::max(1e-6, hi - lo);
  out.pixels.create(size, CV_16U);
  const auto fScale = static_cast<float>(scale), fOffset = static_cast<float>(-lo * scale);
  const auto fMax = static_cast<float>(maxValue);
  for (int r = 0; r < size.height; ++r) {  // one pass: scale, round, clip to the stored bit depth
    const float* in = image.ptr<float>(r);
    auto* q = out.pixels.ptr<std::uint16_t>(r);
    for (int c = 0; c < size.width; ++c) {
      q[c] = static_cast<std::uint16_t>(std::clamp(in[c] * fScale + fOffset + 0.5F, 0.0F, fMax));
    }
  }
  const double w0 = percentile(bodyValues, 0.01), w1 = percentile(bodyValues, 0.998);
  out.windowCenter = std::round(0.5 * (w0 + w1 - 2.0 * lo) * scale);
  out.windowWidth = std::max(1.0, std::round((w1 - w0) * scale * 1.1));
  return out;
}

}  // namespace sagitta::phantom
