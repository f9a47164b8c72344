// SPDX-License-Identifier: GPL-3.0-or-later
// sagitta analyse IN.dcm|IN.png|IN.jpg --out DIR [--bundle B] [--pixel-spacing MM]: decode, find
// the landmarks, measure, and write the SR, the overlay SC and the JSON (a PNG / JPEG has no study
// to file an SR into: the overlay is written as PNG). An image the gate refuses, or whose
// landmarks fail the quality checks, is not measured (exit 2).
#include <filesystem>
#include <fstream>
#include <ostream>

#include <opencv2/imgcodecs.hpp>

#include "arguments.hpp"
#include "cli.hpp"
#include "model_options.hpp"
#include "sagitta/core/errors.hpp"
#include "sagitta/core/measurement_table.hpp"
#include "sagitta/dicom/input_image.hpp"
#include "sagitta/dicom/overlay.hpp"
#include "sagitta/models/analysis.hpp"

namespace sagitta::cli {
namespace fs = std::filesystem;

int runAnalyse(const std::vector<std::string>& args, Streams io) {
  const Arguments arguments(args, {"out", "bundle", "device", "threads", "format", "pixel-spacing"}, {"help", "no-sc"});
  if (arguments.flag("help") || arguments.positional().size() != 1) {
    (arguments.flag("help") ? io.out : io.err)
        << "usage: sagitta analyse IN.dcm|IN.png|IN.jpg --out DIR [--bundle B] [--device auto|cpu|cuda:N]\n"
           "                       [--threads N] [--format json|table] [--no-sc] [--pixel-spacing MM]\n"
           "  DICOM: writes DIR/<name>_sr.dcm, DIR/<name>_overlay.dcm and DIR/<name>_analysis.json;\n"
           "  PNG / JPEG / WebP (grey or colour; uncalibrated unless --pixel-spacing): writes\n"
           "  DIR/<name>_overlay.png and DIR/<name>_analysis.json;\n"
           "  an image that is not a lateral spine radiograph, or whose landmarks fail the quality\n"
           "  checks, is refused with its reasons (exit 2)\n";
    return arguments.flag("help") ? kExitOk : kExitBadInput;
  }
  const fs::path input = arguments.positional()[0];
  const fs::path out = arguments.required("out");
  const auto format = arguments.value("format").value_or("json");
  if (format != "json" && format != "table") throw UsageError("--format must be json or table");
  std::optional<double> spacing;
  if (arguments.value("pixel-spacing")) spacing = arguments.number("pixel-spacing");
  const bool raster = dicom::sniffInputKind(input.string()) == dicom::InputKind::Raster;
  auto engine = makeEngine(arguments);
  const auto radiograph = dicom::readInputImage(input.string(), spacing);
  const auto analysis = models::analyse(*engine, radiograph);

  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec) throw core::InvalidInput("cannot create " + out.string() + ": " + ec.message());
  const auto stem = input.stem().string();
  const auto jsonPath = out / (stem + "_analysis.json");
  const auto json = models::analysisToJson(analysis);
  std::ofstream(jsonPath, std::ios::binary) << json << "\n";
  for (const auto& warning : radiograph.warnings) io.err << "warning: " << warning << "\n";
  if (!analysis.accepted) {
    io.err << "sagitta analyse: " << input.string() << " is not measured\n";
    for (const auto& reason : analysis.reasons) io.err << "  - " << reason << "\n";
    return kExitBadInput;
  }
  std::string written;
  if (raster) {
    const auto pngPath = out / (stem + "_overlay.png");
    if (!cv::imwrite(pngPath.string(), dicom::renderOverlay(analysis.report, radiograph.display))) {
      throw core::InvalidInput("cannot write " + pngPath.string());
    }
    written = pngPath.string();
  } else {
    const auto srPath = out / (stem + "_sr.dcm");
    dicom::writeStructuredReport(analysis.report, srPath.string());
    written = srPath.string();
  }
  if (!raster && !arguments.flag("no-sc")) {
    const auto scPath = out / (stem + "_overlay.dcm");
    dicom::writeOverlay(analysis.report, radiograph.display, scPath.string());
    written += ", " + scPath.string();
  }
  if (format == "table") io.out << core::measurementToTable(analysis.report.measurement);
  else io.out << json << "\n";
  io.err << "wrote " << written << ", " << jsonPath.string() << " (inference " << static_cast<int>(analysis.inferenceSeconds * 1000.0)
         << " ms on " << engine->deviceName() << ")\n";
  return kExitOk;
}

}  // namespace sagitta::cli
