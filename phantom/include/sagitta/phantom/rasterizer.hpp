// SPDX-License-Identifier: GPL-3.0-or-later
// Draws scene primitives additively into float images, anti-aliased, in DICOM pixel
// coordinates (pixel centres at +0.5).
#pragma once

#include <opencv2/core.hpp>

#include "sagitta/phantom/scene.hpp"

namespace sagitta::phantom {

// Patient mm -> image pixels: x_px = (originX + sign * x) / columnSpacing,
// y_px = (originY - y) / rowSpacing (DICOM continuous coordinates).
struct Placement {
  double rowSpacing = 0.15, columnSpacing = 0.15;
  double originX = 0.0, originY = 0.0;  // mm in the image frame of the patient's (0, 0)
  double sign = 1.0;                     // +1: patient faces right (anterior = +x)
  int columns = 0, rows = 0;

  cv::Point2d toPixel(Vec v) const {
    return {(originX + sign * v.x) / columnSpacing, (originY - v.y) / rowSpacing};
  }
  Vec toPatient(cv::Point2d p) const {
    return {sign * (p.x * columnSpacing - originX), originY - p.y * rowSpacing};
  }
};

struct Layers {
  cv::Mat trabecular;  // CV_32F
  cv::Mat dense;       // CV_32F: cortical and metal
};

// Adds the trabecular primitives, or the dense ones (cortical, metal, labels), into one image.
enum class LayerGroup { Trabecular, Dense };
void rasterize(const Scene& scene, const Placement& placement, LayerGroup group, cv::Mat& image);
// Both groups, each into its own layer.
void rasterize(const Scene& scene, const Placement& placement, Layers& layers);

// The soft-tissue envelope, lungs, arms and gas on a coarse grid (cell size factor pixels),
// to be resized to the full image: smooth by nature, costly at full resolution.
cv::Mat rasterizeSoftTissue(const Scene& scene, const Placement& placement, int factor);

}  // namespace sagitta::phantom
