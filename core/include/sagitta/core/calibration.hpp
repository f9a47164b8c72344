// SPDX-License-Identifier: GPL-3.0-or-later
// Pixel-to-millimetre calibration, chosen from DICOM attributes with the precedence of
// PARAMETERS.md: Pixel Spacing, else Imager Pixel Spacing (divided by the Estimated
// Radiographic Magnification Factor when present), else none.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sagitta::core {

enum class CalibrationKind {
  PixelSpacing,                 // (0028,0030)
  ImagerPixelSpacing,           // (0018,1164), detector plane, no magnification factor
  ImagerPixelSpacingMagnified,  // (0018,1164) / (0018,1114)
  None,                         // uncalibrated: 1 mm per pixel, distances in px
};

std::string_view calibrationKey(CalibrationKind kind);  // "pixel_spacing", ...
std::optional<CalibrationKind> calibrationFromKey(std::string_view key);

struct Calibration {
  CalibrationKind kind = CalibrationKind::None;
  double rowSpacingMm = 1.0;     // vertical distance between row centres
  double columnSpacingMm = 1.0;  // horizontal distance between column centres
  std::optional<double> magnificationFactor;  // applied to Imager Pixel Spacing
  std::string note;  // human-readable statement of where the spacing comes from

  bool calibrated() const { return kind != CalibrationKind::None; }

  static Calibration uncalibrated();
  // Throws InvalidCalibration unless both spacings are finite and > 0.
  static Calibration fromSpacing(CalibrationKind kind, double rowSpacingMm, double columnSpacingMm);
};

// Raw DICOM attribute values as they appear in the data set (DS strings, backslash-separated),
// absent when the attribute is absent or empty.
struct DicomCalibrationAttributes {
  std::optional<std::string> pixelSpacing;               // (0028,0030) "row\col"
  std::optional<std::string> pixelSpacingCalibrationType;  // (0028,0A02) e.g. GEOMETRY
  std::optional<std::string> imagerPixelSpacing;         // (0018,1164) "row\col"
  std::optional<std::string> estimatedMagnificationFactor;  // (0018,1114)
};

// Zero spacings count as absent (some modalities write 0\0 for "unknown"); malformed or
// negative values throw InvalidCalibration rather than silently falling back.
Calibration calibrationFromDicom(const DicomCalibrationAttributes& attributes);

}  // namespace sagitta::core
