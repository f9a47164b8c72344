// SPDX-License-Identifier: GPL-3.0-or-later
// The inference engine: a loaded bundle on a device, images in, landmarks out in source-image
// pixels with a per-landmark spread (sigma) from the stage-2 heatmaps, averaged over the
// ensemble members, and the out-of-distribution gate's verdict. One engine serves many threads
// (calls are serialised; the networks are shared).
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "sagitta/core/calibration.hpp"
#include "sagitta/core/landmark_set.hpp"
#include "sagitta/models/bundle_manifest.hpp"

namespace sagitta::models {

struct EngineOptions {
  std::string device = "auto";
  int threads = 0;     // intra-op threads; 0 keeps LibTorch's default
  int batchSize = 4;   // images per forward pass in predictBatch
};

inline constexpr double kPresentProbability = 0.5;
// Fewer landmarks than this on a film leave nothing a measurement can stand on.
inline constexpr std::size_t kMinPresentLandmarks = 6;

struct GateVerdict {
  bool accepted = true;
  std::vector<std::string> reasons;  // why the image is not a whole-spine lateral
};

struct Prediction {
  core::LandmarkSet landmarks;  // source pixels; sigmaMm set when the image is calibrated
  std::array<double, core::kLandmarkCount> spreadPx{};  // heatmap spread in source pixels
  double medianSpreadInputPx = 0.0;  // median over landmarks, input pixels (what the gate reads)
  // With a presence output (bundles from 1.4.0): the probability that each landmark is on the
  // film. Landmarks under kPresentProbability are not in `landmarks` at all.
  bool hasPresence = false;
  std::array<double, core::kLandmarkCount> presence{};
  std::size_t presentCount() const;
  double refinerFieldScale = 1.0;  // the refiner's patches were this many times their trained field
  GateVerdict gate;
};

class InferenceEngine {
 public:
  // Throws BundleError / DeviceError.
  InferenceEngine(const std::string& bundleFolder, const EngineOptions& options);
  ~InferenceEngine();
  InferenceEngine(const InferenceEngine&) = delete;
  InferenceEngine& operator=(const InferenceEngine&) = delete;

  // grey8: the displayed image (CV_8U, bright = dense), any size.
  Prediction predict(const cv::Mat& grey8, const core::Calibration& calibration);
  std::vector<Prediction> predictBatch(const std::vector<cv::Mat>& images,
                                       const std::vector<core::Calibration>& calibrations);

  const BundleManifest& manifest() const;
  const std::string& bundleSha256() const;
  const std::string& bundleFolder() const;
  std::string deviceName() const;

 private:
  struct State;  // LibTorch lives in the .cpp: the CLI and the plugin do not compile its headers
  std::unique_ptr<State> state_;
};

// The gate's checks on a prediction (exposed for tests and for calibrating thresholds).
GateVerdict judge(const cv::Mat& grey8, const Prediction& prediction, const GateThresholds& thresholds);

}  // namespace sagitta::models
