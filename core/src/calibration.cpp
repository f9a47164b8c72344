// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/core/calibration.hpp"

#include <array>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>
#include <vector>

#include "sagitta/core/errors.hpp"

namespace sagitta::core {
namespace {

std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(first, last - first + 1));
}

// Parses a DICOM Decimal String (possibly multi-valued) into numbers.
std::vector<double> parseDecimalStrings(std::string_view attribute, std::string_view value) {
  std::vector<double> numbers;
  std::size_t start = 0;
  while (start <= value.size()) {
    const auto end = value.find('\\', start);
    const std::string item =
        trim(value.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (item.empty() || item.size() > 16) {  // DS values are at most 16 bytes
      throw InvalidCalibration(std::string(attribute) + " has a malformed value");
    }
    errno = 0;
    char* parsedEnd = nullptr;
    const double number = std::strtod(item.c_str(), &parsedEnd);
    if (parsedEnd != item.c_str() + item.size() || errno == ERANGE || !std::isfinite(number)) {
      throw InvalidCalibration(std::string(attribute) + " has a malformed value");
    }
    numbers.push_back(number);
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return numbers;
}

// Returns the (row, column) pair, or nullopt when both are zero (meaning "unknown").
std::optional<std::array<double, 2>> parseSpacingPair(std::string_view attribute,
                                                      const std::optional<std::string>& value) {
  if (!value || trim(*value).empty()) return std::nullopt;
  const auto numbers = parseDecimalStrings(attribute, *value);
  if (numbers.size() != 2) {
    throw InvalidCalibration(std::string(attribute) + " must have 2 values (row\\column), has " +
                             std::to_string(numbers.size()));
  }
  if (numbers[0] == 0.0 && numbers[1] == 0.0) return std::nullopt;
  if (numbers[0] <= 0.0 || numbers[1] <= 0.0) {
    throw InvalidCalibration(std::string(attribute) + " must be > 0");
  }
  return std::array<double, 2>{numbers[0], numbers[1]};
}

std::string formatSpacing(double row, double column) {
  std::ostringstream out;
  out << row << " x " << column << " mm (row x column)";
  return out.str();
}

}  // namespace

std::string_view calibrationKey(CalibrationKind kind) {
  switch (kind) {
    case CalibrationKind::PixelSpacing: return "pixel_spacing";
    case CalibrationKind::ImagerPixelSpacing: return "imager_pixel_spacing";
    case CalibrationKind::ImagerPixelSpacingMagnified: return "imager_pixel_spacing_magnified";
    case CalibrationKind::None: return "none";
  }
  return "none";
}

std::optional<CalibrationKind> calibrationFromKey(std::string_view key) {
  for (auto kind : {CalibrationKind::PixelSpacing, CalibrationKind::ImagerPixelSpacing,
                    CalibrationKind::ImagerPixelSpacingMagnified, CalibrationKind::None}) {
    if (calibrationKey(kind) == key) return kind;
  }
  return std::nullopt;
}

Calibration Calibration::uncalibrated() {
  Calibration calibration;
  calibration.note = "no calibration: 1 mm per pixel assumed, distances reported in px";
  return calibration;
}

Calibration Calibration::fromSpacing(CalibrationKind kind, double rowSpacingMm, double columnSpacingMm) {
  if (kind == CalibrationKind::None) return uncalibrated();
  if (!std::isfinite(rowSpacingMm) || !std::isfinite(columnSpacingMm) || rowSpacingMm <= 0.0 ||
      columnSpacingMm <= 0.0) {
    throw InvalidCalibration("pixel spacing must be finite and > 0");
  }
  Calibration calibration;
  calibration.kind = kind;
  calibration.rowSpacingMm = rowSpacingMm;
  calibration.columnSpacingMm = columnSpacingMm;
  switch (kind) {
    case CalibrationKind::PixelSpacing:
      calibration.note = "Pixel Spacing " + formatSpacing(rowSpacingMm, columnSpacingMm);
      break;
    case CalibrationKind::ImagerPixelSpacing:
      calibration.note = "Imager Pixel Spacing " + formatSpacing(rowSpacingMm, columnSpacingMm) +
                         ", at the detector plane (no magnification factor): distances overstated "
                         "by the geometric magnification";
      break;
    case CalibrationKind::ImagerPixelSpacingMagnified:
      calibration.note = "Imager Pixel Spacing corrected by the magnification factor: " +
                         formatSpacing(rowSpacingMm, columnSpacingMm);
      break;
    case CalibrationKind::None: break;
  }
  return calibration;
}

Calibration calibrationFromDicom(const DicomCalibrationAttributes& attributes) {
  if (const auto spacing = parseSpacingPair("Pixel Spacing (0028,0030)", attributes.pixelSpacing)) {
    Calibration calibration =
        Calibration::fromSpacing(CalibrationKind::PixelSpacing, (*spacing)[0], (*spacing)[1]);
    if (attributes.pixelSpacingCalibrationType && !trim(*attributes.pixelSpacingCalibrationType).empty()) {
      calibration.note += ", calibration type " + trim(*attributes.pixelSpacingCalibrationType);
    }
    return calibration;
  }
  if (const auto spacing =
          parseSpacingPair("Imager Pixel Spacing (0018,1164)", attributes.imagerPixelSpacing)) {
    std::optional<double> factor;
    if (attributes.estimatedMagnificationFactor && !trim(*attributes.estimatedMagnificationFactor).empty()) {
      const auto values = parseDecimalStrings("Estimated Radiographic Magnification Factor (0018,1114)",
                                              *attributes.estimatedMagnificationFactor);
      if (values.size() != 1 || values[0] <= 0.0) {
        throw InvalidCalibration(
            "Estimated Radiographic Magnification Factor (0018,1114) must be one value > 0");
      }
      factor = values[0];
    }
    if (!factor) {
      return Calibration::fromSpacing(CalibrationKind::ImagerPixelSpacing, (*spacing)[0], (*spacing)[1]);
    }
    Calibration calibration = Calibration::fromSpacing(CalibrationKind::ImagerPixelSpacingMagnified,
                                                       (*spacing)[0] / *factor, (*spacing)[1] / *factor);
    calibration.magnificationFactor = factor;
    std::ostringstream note;
    note << " (detector " << formatSpacing((*spacing)[0], (*spacing)[1]) << " / factor " << *factor << ")";
    calibration.note += note.str();
    return calibration;
  }
  return Calibration::uncalibrated();
}

}  // namespace sagitta::core
