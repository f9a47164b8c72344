// SPDX-License-Identifier: GPL-3.0-or-later
// An image given to `sagitta analyse` / `sagitta eval`: a DICOM file, or a PNG, JPEG or WebP
// (grey or colour: a viewer export, a screenshot, a phone photo of a film). The kind is taken
// from the file's first bytes, never from its extension (exports are often misnamed). A raster
// image has no DICOM header: it is uncalibrated unless the caller knows the pixel spacing, and
// its identifiers are empty (no SR can be filed into a study from it).
#pragma once

#include <optional>
#include <string>

#include "sagitta/dicom/radiograph.hpp"

namespace sagitta::dicom {

enum class InputKind { Dicom, Raster };

// What the file's signature says (Raster for PNG / JPEG / WebP, Dicom otherwise: the DICOM
// reader then says why it is not one). Throws NotDicom when the file cannot be opened.
InputKind sniffInputKind(const std::string& path);

// PNG / JPEG / WebP into a Radiograph: colour converted to grey (with a warning), bright =
// dense as displayed. pixelSpacingMm, when given, calibrates both axes (isotropic). Throws
// NotAnImage (undecodable, too large), core::InvalidCalibration (spacing not > 0).
Radiograph readRasterImage(const std::string& path, std::optional<double> pixelSpacingMm, const ReadLimits& limits = {});

// Either reader, by signature. For a DICOM file, pixelSpacingMm overrides the file's own
// calibration only when the file has none (a warning says so).
Radiograph readInputImage(const std::string& path, std::optional<double> pixelSpacingMm, const ReadLimits& limits = {});

}  // namespace sagitta::dicom
