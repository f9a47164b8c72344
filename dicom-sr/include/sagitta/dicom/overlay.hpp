// SPDX-License-Identifier: GPL-3.0-or-later
// The overlay Secondary Capture: the windowed source (at most 2048 rows), the landmarks
// coloured by region, the spinal curve, each parameter's construction with a label giving its
// name and value, and a legend panel with values, units, the paper's means and SDs, each
// abbreviation spelt out, and reliability flags, under a "verify before clinical use" banner.
// RGB, burned-in annotation, same patient and study, new series, deterministic UIDs.
#pragma once

#include <string>

#include <opencv2/core.hpp>

#include "sagitta/dicom/structured_report.hpp"

namespace sagitta::dicom {

inline constexpr int kOverlayMaxRows = 2048;

// The picture itself (BGR), for tests and previews.
cv::Mat renderOverlay(const ReportInput& input, const cv::Mat& display);

// The film alone with its landmarks, constructions and labels, without the banner and the
// legend panel (the PDF report's picture: it has its own header and table).
cv::Mat renderAnnotatedFilm(const ReportInput& input, const cv::Mat& display);

// The SC as a Part 10 file in memory (what the plugin posts to Orthanc), or written to path.
// Throws DicomError when it cannot be built or written.
std::string overlayBytes(const ReportInput& input, const cv::Mat& display);
void writeOverlay(const ReportInput& input, const cv::Mat& display, const std::string& path);

}  // namespace sagitta::dicom
