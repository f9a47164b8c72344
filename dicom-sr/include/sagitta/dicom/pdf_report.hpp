// SPDX-License-Identifier: GPL-3.0-or-later
// The one-page report for the surgeon's clinic: patient and study header, the film with its
// constructions, the 18 parameters with the paper's mean and SD, PI-LL and the SRS-Schwab
// grades, the model and its version, the calibration, and the "verify before clinical use"
// statement (or who reviewed it). Drawn with cairo on A4; stored as an Encapsulated PDF in the
// study (new series, deterministic UIDs, like the SR and the SC).
#pragma once

#include <string>

#include <opencv2/core.hpp>

#include "sagitta/dicom/structured_report.hpp"

namespace sagitta::dicom {

// The PDF document itself (bytes).
std::string renderReportPdf(const ReportInput& input, const cv::Mat& display);

// The Encapsulated PDF object as a Part 10 file in memory, or written to path. Throws
// DicomError when it cannot be built or written.
std::string pdfReportBytes(const ReportInput& input, const cv::Mat& display);
void writePdfReport(const ReportInput& input, const cv::Mat& display, const std::string& path);

}  // namespace sagitta::dicom
