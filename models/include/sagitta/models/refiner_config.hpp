// SPDX-License-Identifier: GPL-3.0-or-later
// The local refiner's shape, without LibTorch. The refiner is a third, local stage added to the
// two-stage CPN of seeds/000: every landmark found by the CPN is looked at again in a small
// patch of the source film centred on it, at several times the CPN's resolution, and moved to
// where the refiner's heatmap puts it (docs/TRAINING.md, "Local refiner"). The patch's field is
// stated in CPN input pixels, so that it covers the same share of any film, calibrated or not.
#pragma once

#include <vector>

#include "sagitta/core/landmark_set.hpp"

#include <cstdint>

namespace sagitta::models {

struct RefinerConfig {
  int64_t landmarks = 45;
  int64_t patchSize = 64;         // patch side, pixels (a multiple of 8)
  double fieldInputPx = 32.0;     // patch side on the film, in CPN input pixels
  int64_t baseChannels = 16;      // stem width; the three strided blocks use 2x, 4x, 4x
  int64_t pyramidChannels = 32;   // top-down pathway and head width
  // The hip patch (head_pair.hpp) is this many times wider: the femoral heads are circles of
  // 21-26 mm radius up to 30 mm apart, wider than the field that suits a vertebral corner, and
  // their centres are read from the whole circles.
  double hipFieldScale = 1.0;     // 1 to kMaxHipFieldScale
  // The mean distance between consecutive body centres (C2-C3 .. L4-L5, 22 values) on whole-
  // spine training films, in CPN input pixels. With it, a film that shows part of the spine at
  // a larger scale (a lumbar film) gets patches over the same anatomy as in training; without
  // it (bundles before 1.4.0) the field is fieldInputPx on every film.
  std::vector<double> referencePitchInputPx;
};

// How many times larger the spine appears on this film than on the whole-spine films the
// refiner was trained on: the median over consecutive body-centre pairs found of their distance
// (input pixels) over the reference. 1 without a reference or with fewer than 2 pairs.
double anatomicalScale(const core::LandmarkSet& landmarks, int sourceRows, int sourceColumns, int inputHeight,
                       int inputWidth, const std::vector<double>& referencePitchInputPx);

// Within this factor of the trained scale the refiner's own scale augmentation covers the film,
// and the field is left as trained.
inline constexpr double kRefinerScaleTolerance = 1.15;

inline constexpr double kMaxHipFieldScale = 4.0;

// Side of the patch in source pixels for a film of this size and a CPN input of this size
// (the letterbox scale of InputGeometry::fit).
double fieldSourcePx(int sourceRows, int sourceColumns, int inputHeight, int inputWidth, const RefinerConfig& config);

// Floating-point operations of one patch's forward pass (2 per multiply-add, convolutions).
double refinerFlops(const RefinerConfig& config);

}  // namespace sagitta::models
