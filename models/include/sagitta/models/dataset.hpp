// SPDX-License-Identifier: GPL-3.0-or-later
// Labelled images for training and evaluation: phantoms generated in memory, or an annotated
// folder on disk (the path a hospital uses with its own films): NAME.dcm or NAME.png beside
// NAME.json (a landmarks file, FORMATS.md). Images are kept reduced to the network input so
// that a few thousand fit in memory; landmarks and spacing follow the reduction.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "sagitta/core/landmark_set.hpp"

namespace sagitta::models {

struct LabelledImage {
  std::string name;        // file stem, or "phantom-<seed>-<index>"
  std::string patientKey;  // the split is by patient
  cv::Mat grey8;           // CV_8U, displayed (bright = dense), reduced to fit the input
  core::LandmarkSet landmarks;  // in grey8 pixel coordinates
  double rowSpacingMm = 1.0, columnSpacingMm = 1.0;  // per grey8 pixel
  bool calibrated = false;
};

using ProgressCallback = std::function<void(std::size_t done, std::size_t total)>;

struct PhantomSource {
  std::uint64_t seed = 1;
  int count = 0;
  int firstIndex = 0;
  std::string variety = "mixed";
};

// Rendered directly at inputHeight rows (the phantom's training size), `threads` in parallel.
std::vector<LabelledImage> generatePhantomImages(const PhantomSource& source, int inputHeight, int inputWidth,
                                                 int threads, const ProgressCallback& progress = {});

// Every NAME.json with a NAME.dcm or NAME.png beside it. The patient of an image is its DICOM
// Patient ID, else the entry of an optional patients.csv ("name,patient" lines), else its name.
// Throws ConfigError for a folder without any pair, and for a pair that cannot be read (the
// message names the file); a landmarks file whose image size disagrees with the image too.
std::vector<LabelledImage> loadAnnotatedFolder(const std::string& folder, int inputHeight, int inputWidth,
                                               const ProgressCallback& progress = {});

// Reduces an image (and its landmarks and spacing) so that it fits inputHeight x inputWidth.
LabelledImage reduceToInput(LabelledImage image, int inputHeight, int inputWidth);

// Deterministic split by patient: a patient goes to validation when a hash of its key falls
// under the fraction. Every image of a patient lands on the same side.
bool isValidationPatient(const std::string& patientKey, double validationFraction);

}  // namespace sagitta::models
