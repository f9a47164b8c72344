// SPDX-License-Identifier: GPL-3.0-or-later
// One phantom case: patient, skeleton, rendered radiograph and exact ground truth.
// Deterministic from (seed, index): case i does not depend on how many cases are generated.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "sagitta/core/landmarks_json.hpp"
#include "sagitta/phantom/patient.hpp"
#include "sagitta/phantom/rasterizer.hpp"
#include "sagitta/phantom/spine_geometry.hpp"

namespace sagitta::phantom {

enum class Photometric { Monochrome1, Monochrome2 };

// How the DICOM states its calibration (all describe the same geometry).
enum class CalibrationStyle {
  PixelSpacing,          // Pixel Spacing + Imager Pixel Spacing + magnification factor
  ImagerMagnified,       // Imager Pixel Spacing + magnification factor
  ImagerOnly,            // Imager Pixel Spacing only (detector plane)
};

struct GeneratorOptions {
  VarietyPolicy varieties;
  // 0: full size (0.1-0.2 mm, 5000-8000 rows); otherwise render directly at this many rows
  // (training size, e.g. 864), calibrated at the resulting spacing.
  int rows = 0;
};

struct PhantomCase {
  std::uint64_t seed = 0;
  int index = 0;
  PatientSpec patient;
  SpineGeometry spine;
  Placement placement;  // patient-plane spacing
  cv::Mat pixels;       // CV_16U, stored values (inverted when MONOCHROME1)
  int bitsStored = 12;
  Photometric photometric = Photometric::Monochrome2;
  double windowCenter = 0.0, windowWidth = 0.0;  // in stored values
  double magnification = 1.0;                    // Estimated Radiographic Magnification Factor
  CalibrationStyle calibrationStyle = CalibrationStyle::PixelSpacing;
  int stitchedFields = 1;
  core::LandmarkFile truth;  // landmarks in pixels, calibration as a DICOM reader derives it

  // The human view: windowed, MONOCHROME2, 8 bits.
  cv::Mat windowed8() const;
  // Vertebral-body outlines C2..L5 and the S1 segment, in pixel coordinates (for masks).
  std::map<std::string, std::vector<cv::Point2d>> bodyOutlines() const;
};

PhantomCase generateCase(std::uint64_t seed, int index, const GeneratorOptions& options);

}  // namespace sagitta::phantom
