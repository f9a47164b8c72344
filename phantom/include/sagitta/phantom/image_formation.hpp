// SPDX-License-Identifier: GPL-3.0-or-later
// From attenuation to a processed 16-bit radiograph: exponential attenuation, stitched
// detector fields with heel effect, scatter, quantum and detector noise, collimation,
// logarithmic processing with large-scale equalisation and detail enhancement.
#pragma once

#include <opencv2/core.hpp>

#include "sagitta/phantom/rasterizer.hpp"
#include "sagitta/phantom/rng.hpp"
#include "sagitta/phantom/scene.hpp"

namespace sagitta::phantom {

struct Exposure {
  int fields = 1;               // stitched detector fields (1-3)
  double scatterToPrimary = 0.5;
  double photonsAtPelvis = 2000.0;  // per 0.15 mm pixel behind the pelvis (AEC target)
  double equalisation = 0.45;   // large-scale range compression
  double detail = 0.35;         // unsharp-mask gain
  double collimationAngle = 0.0;  // deg
  double textureAmplitude = 0.3;
  static Exposure sample(Rng& rng);
};

struct FormedImage {
  cv::Mat pixels;  // CV_16U, MONOCHROME2 sense (bright = attenuating)
  int bitsStored = 12;
  double windowCenter = 0.0, windowWidth = 0.0;
  cv::Rect2d collimation;  // the exposed field, pixels (before its small rotation)
};

FormedImage formImage(const Scene& scene, const Placement& placement, const Exposure& exposure, Rng& rng,
                      int bitsStored);

}  // namespace sagitta::phantom
