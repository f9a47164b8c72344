// SPDX-License-Identifier: GPL-3.0-or-later
// Domain randomisation of a training input (issue 16): what differs between the phantom and the
// films hospitals send, and that the network must not rely on. Each step imitates something seen
// on real films: a vendor's tone curve, multi-scale contrast equalisation (CLAHE here), strong
// unsharp masking, a film exported small and scaled up, JPEG compression, burned-in text. They
// act on the 8-bit input after the letterbox warp and before blur, noise and normalisation.
#pragma once

#include <cstdint>
#include <random>

#include <opencv2/core.hpp>

namespace sagitta::models {

struct FilmVarietyRanges {
  double curveProbability = 0.0;         // a random monotone tone curve
  double equalisationProbability = 0.0;  // CLAHE, clip limit 1.5-4, 2-8 tiles across
  double unsharpProbability = 0.0;       // image + gain (image - blur), sigma 2-12 input px
  double unsharpGainMax = 2.0;
  double downscaleProbability = 0.0;     // reduced to 35-80 % and back up
  double jpegProbability = 0.0;          // quality 15-85
  double textProbability = 0.0;          // 1-4 labels of random characters
  bool any() const {
    return curveProbability > 0 || equalisationProbability > 0 || unsharpProbability > 0 ||
           downscaleProbability > 0 || jpegProbability > 0 || textProbability > 0;
  }
};

// One draw: which steps apply and with what strength. seed drives the text and the curve.
struct FilmVariety {
  bool curve = false, equalise = false, unsharp = false, downscale = false, jpeg = false, text = false;
  double claheClip = 2.0, claheTiles = 4.0, unsharpSigma = 4.0, unsharpGain = 1.0, downscaleFactor = 1.0;
  int jpegQuality = 90;
  std::uint64_t seed = 0;

  static FilmVariety draw(const FilmVarietyRanges& ranges, std::mt19937_64& rng);
  bool identity() const { return !curve && !equalise && !unsharp && !downscale && !jpeg && !text; }
};

// Applies the draw to an 8-bit image in place; mask (CV_8U, 255 = image area) bounds where text
// may go, and the area outside it is left black.
void applyFilmVariety(cv::Mat& grey8, const cv::Mat& mask, const FilmVariety& variety);

}  // namespace sagitta::models
