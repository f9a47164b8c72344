// SPDX-License-Identifier: GPL-3.0-or-later
// A model bundle is a folder: bundle.json (the manifest) and one weights file per ensemble
// member. The manifest states the format version, input size and normalisation, the landmark
// order, each member's network and sha256, the optional local refiner, the out-of-distribution
// gate's thresholds, the training data, validation metrics and source commit. The bundle's identity is the sha256 of
// bundle.json, which pins every member's weights through their sha256. No LibTorch here:
// loading the weights is bundle.hpp.
#pragma once

#include <string>
#include <vector>

#include <optional>

#include "sagitta/models/network_config.hpp"
#include "sagitta/models/refiner_config.hpp"

namespace sagitta::models {

// Version 2 added the optional local refiner; version 3 changed how the refiner reads the
// femoral heads (one hip-axis patch, head_pair.hpp), so a version 2 refiner is refused. Bundles
// without a refiner load at any version from 1. Version 4 added the refiner's hip_field_scale
// (a version 3 refiner reads the hip at the common field); a reader of version 3 would ignore it.
inline constexpr int kBundleFormatVersion = 4;
inline constexpr int kRefinerFormatVersion = 3;
inline constexpr int kOldestBundleFormatVersion = 1;
inline constexpr const char* kNormalisation =
    "displayed image (VOI applied, MONOCHROME2), letterboxed to the input keeping the aspect, "
    "zero mean and unit variance over the image area, padding 0";

struct BundleMember {
  std::string name;           // e.g. "compact-a"
  std::string file;           // weights file, relative to the bundle folder
  std::string sha256;         // of the weights file
  NetworkConfig network;
  std::string heatmapTarget;  // "gaussian", "exponential", "none"
};

// The local refiner (refiner_config.hpp), applied after the members' average.
struct BundleRefiner {
  std::string name;    // e.g. "refiner-a"
  std::string file;    // weights file, relative to the bundle folder
  std::string sha256;  // of the weights file
  RefinerConfig network;
  std::string heatmapTarget;
  int passes = 1;  // each pass re-centres the patches on the previous pass's points
};

struct GateThresholds {
  double minAspect = 1.5;          // rows / columns of a long-length film
  double maxMedianSpreadPx = 6.0;  // median heatmap spread over the 45 landmarks, input pixels
  double minContrast = 4.0;        // SD of the displayed image, grey levels
  double minSpanFraction = 0.35;   // C2_C..L5_C vertical span over the input's image height
  // Mirror symmetry of the film's fine structure (view_check.hpp) above which it reads as a
  // frontal projection. Image-only: a bundle without the key gets this default.
  double maxFrontalSymmetry = 0.4;
};

struct BundleManifest {
  int formatVersion = kBundleFormatVersion;
  std::string name = "sagitta-landmarks";
  std::string version = "0.0.0";
  int inputHeight = 0, inputWidth = 0;
  std::vector<BundleMember> members;
  std::optional<BundleRefiner> refiner;
  GateThresholds gate;
  std::string trainingJson = "{}";  // data, commands, time, hardware (free-form JSON object)
  std::string metricsJson = "{}";   // validation metrics (free-form JSON object)
  std::string sourceCommit;
};

std::string manifestToJson(const BundleManifest& manifest);
// Throws BundleError naming the problem (format, version, landmark order, input, members).
BundleManifest manifestFromJson(const std::string& text);

// Writes bundle.json into a folder that already holds the members' weights, filling each
// member's sha256. Returns the bundle's sha256.
std::string writeBundle(const std::string& folder, BundleManifest manifest);

std::string fileSha256(const std::string& path);  // throws BundleError when unreadable

}  // namespace sagitta::models
