// SPDX-License-Identifier: GPL-3.0-or-later
// sagitta measure --landmarks FILE.json [--format json|table] [--strict]
#include <ostream>

#include "arguments.hpp"
#include "cli.hpp"
#include "sagitta/core/errors.hpp"
#include "sagitta/core/landmarks_json.hpp"
#include "sagitta/core/measurement.hpp"
#include "sagitta/core/measurement_json.hpp"
#include "sagitta/core/measurement_table.hpp"

namespace sagitta::cli {
namespace {

// A landmarks file is a few kB; anything far larger is not one.
constexpr std::size_t kMaxLandmarksFileBytes = 4U << 20U;

std::string unmeasured(const core::Measurement& m) {
  std::string list;
  for (const auto& value : m.parameters) {
    if (value.value) continue;
    if (!list.empty()) list += "; ";
    list += std::string(core::parameterKey(value.id)) + " (" + value.reason + ")";
  }
  return list;
}

}  // namespace

int runMeasure(const std::vector<std::string>& args, Streams io) {
  const Arguments arguments(args, {"landmarks", "format"}, {"strict", "help"});
  if (arguments.flag("help")) {
    io.out << "usage: sagitta measure --landmarks FILE.json|- [--format json|table] [--strict]\n"
              "  --strict  fail (exit 2) when any parameter cannot be measured\n";
    return kExitOk;
  }
  if (!arguments.positional().empty()) throw UsageError("unexpected argument " + arguments.positional()[0]);
  const std::string format = arguments.value("format").value_or("json");
  if (format != "json" && format != "table") throw UsageError("--format must be json or table");

  const std::string path = arguments.required("landmarks");
  const auto file = core::parseLandmarksJson(readInputFile(path, io.in, kMaxLandmarksFileBytes));
  const auto measurement = core::measure(file.landmarks, file.image.calibration);
  if (arguments.flag("strict") && measurement.measuredCount() < core::kParameterCount) {
    throw core::InvalidInput("not every parameter is measurable: " + unmeasured(measurement));
  }
  if (format == "table") {
    io.out << core::measurementToTable(measurement);
  } else {
    io.out << core::measurementToJson(measurement) << "\n";
  }
  return kExitOk;
}

}  // namespace sagitta::cli
