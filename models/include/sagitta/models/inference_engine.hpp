// SPDX-License-Identifier: GPL-3.0-or-later
// The inference engine: a loaded bundle on a device, images in, landmarks out in source-image
// pixels with a per-landmark spread (sigma) from the stage-2 heatmaps, averaged over the
// ensemble members, and the out-of-distribution gate's verdict. One engine serves many threads
// (calls are serialised; the networks are shared).
#pragma once

#include <array>
#include <mutex>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "sagitta/core/calibration.hpp"
#include "sagitta/core/landmark_set.hpp"
#include "sagitta/models/bundle.hpp"

namespace sagitta::models {

struct EngineOptions {
  std::string device = "auto";
  int threads = 0;     // intra-op threads; 0 keeps LibTorch's default
  int batchSize = 4;   // images per forward pass in predictBatch
};

struct GateVerdict {
  bool accepted = true;
  std::vector<std::string> reasons;  // why the image is not a whole-spine lateral
};

struct Prediction {
  core::LandmarkSet landmarks;  // source pixels; sigmaMm set when the image is calibrated
  std::array<double, core::kLandmarkCount> spreadPx{};  // heatmap spread in source pixels
  double medianSpreadInputPx = 0.0;  // median over landmarks, input pixels (what the gate reads)
  GateVerdict gate;
};

class InferenceEngine {
 public:
  // Throws BundleError / DeviceError.
  InferenceEngine(const std::string& bundleFolder, const EngineOptions& options);

  // grey8: the displayed image (CV_8U, bright = dense), any size.
  Prediction predict(const cv::Mat& grey8, const core::Calibration& calibration);
  std::vector<Prediction> predictBatch(const std::vector<cv::Mat>& images,
                                       const std::vector<core::Calibration>& calibrations);

  const BundleManifest& manifest() const { return bundle_.manifest; }
  const std::string& bundleSha256() const { return bundle_.sha256; }
  const std::string& bundleFolder() const { return bundle_.folder; }
  std::string deviceName() const;

 private:
  EngineOptions options_;
  torch::Device device_;
  LoadedBundle bundle_;
  std::mutex mutex_;
};

// The gate's checks on a prediction (exposed for tests and for calibrating thresholds).
GateVerdict judge(const cv::Mat& grey8, const Prediction& prediction, const GateThresholds& thresholds);

}  // namespace sagitta::models
