// SPDX-License-Identifier: GPL-3.0-or-later
// sagitta report IN.dcm --landmarks L.json --out DIR : SR (+ overlay SC) and parameters JSON
// for given landmarks; sagitta dump-sr SR.dcm : our SR back as JSON.
#include <filesystem>
#include <fstream>
#include <ostream>

#include "arguments.hpp"
#include "cli.hpp"
#include "sagitta/core/errors.hpp"
#include "sagitta/core/landmarks_json.hpp"
#include "sagitta/core/measurement_json.hpp"
#include "sagitta/core/sha256.hpp"
#include "sagitta/dicom/overlay.hpp"
#include "sagitta/dicom/pdf_report.hpp"
#include "sagitta/dicom/radiograph.hpp"
#include "sagitta/dicom/structured_report.hpp"
#include "sagitta/version.hpp"

namespace sagitta::cli {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxLandmarksFileBytes = 4U << 20U;

}  // namespace

int runReport(const std::vector<std::string>& args, Streams io) {
  const Arguments arguments(args, {"landmarks", "out"}, {"help"});
  if (arguments.flag("help") || arguments.positional().size() != 1) {
    (arguments.flag("help") ? io.out : io.err)
        << "usage: sagitta report IN.dcm --landmarks L.json --out DIR\n"
           "  writes DIR/<name>_sr.dcm (TID 1500 SR), DIR/<name>_overlay.dcm (Secondary Capture),\n"
           "  DIR/<name>_report.dcm (Encapsulated PDF, the one-page report) and DIR/<name>_parameters.json\n"
           "  for the given landmarks (source pixel coordinates)\n";
    return arguments.flag("help") ? kExitOk : kExitBadInput;
  }
  const fs::path input = arguments.positional()[0];
  const std::string landmarksPath = arguments.required("landmarks");
  const fs::path out = arguments.required("out");

  const std::string landmarksText = readInputFile(landmarksPath, io.in, kMaxLandmarksFileBytes);
  auto landmarks = core::parseLandmarksJson(landmarksText);
  const dicom::Radiograph radiograph = dicom::readRadiograph(input.string());
  const auto& info = radiograph.info;
  if ((landmarks.image.columns && *landmarks.image.columns != info.columns) ||
      (landmarks.image.rows && *landmarks.image.rows != info.rows)) {
    throw core::InvalidInput("the landmarks file is for a " + std::to_string(landmarks.image.columns.value_or(0)) + " x " +
                             std::to_string(landmarks.image.rows.value_or(0)) + " image, the DICOM is " +
                             std::to_string(info.columns) + " x " + std::to_string(info.rows));
  }
  // The DICOM's own calibration is authoritative for what we report.
  landmarks.image = {info.columns, info.rows, info.calibration};
  const auto measurement = core::measure(landmarks.landmarks, info.calibration);

  dicom::ReportInput report{info, landmarks, measurement, {}, std::nullopt};
  report.model.name = "supplied-landmarks";
  report.model.version = std::string("sagitta ") + kVersion;
  report.model.sha256 = core::Sha256::hex(landmarksText);

  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec) throw core::InvalidInput("cannot create " + out.string() + ": " + ec.message());
  const std::string stem = input.stem().string();
  dicom::writeStructuredReport(report, (out / (stem + "_sr.dcm")).string());
  dicom::writeOverlay(report, radiograph.display, (out / (stem + "_overlay.dcm")).string());
  dicom::writePdfReport(report, radiograph.display, (out / (stem + "_report.dcm")).string());
  std::ofstream json(out / (stem + "_parameters.json"), std::ios::binary);
  json << core::measurementToJson(measurement) << "\n";
  if (!json) throw core::InvalidInput("cannot write " + (out / (stem + "_parameters.json")).string());
  for (const auto& warning : radiograph.warnings) io.err << "warning: " << warning << "\n";
  io.out << "wrote " << (out / (stem + "_sr.dcm")).string() << ", " << (out / (stem + "_overlay.dcm")).string()
         << ", " << (out / (stem + "_report.dcm")).string() << ", " << (out / (stem + "_parameters.json")).string() << " (" << measurement.measuredCount()
         << " of 18 parameters measured)\n";
  return kExitOk;
}

int runDumpSr(const std::vector<std::string>& args, Streams io) {
  const Arguments arguments(args, {}, {"help"});
  if (arguments.flag("help") || arguments.positional().size() != 1) {
    (arguments.flag("help") ? io.out : io.err) << "usage: sagitta dump-sr SR.dcm\n";
    return arguments.flag("help") ? kExitOk : kExitBadInput;
  }
  io.out << dicom::structuredReportToJson(arguments.positional()[0]) << "\n";
  return kExitOk;
}

}  // namespace sagitta::cli
