// SPDX-License-Identifier: GPL-3.0-or-later
// libFuzzer target: any text through the landmarks JSON reader of FORMATS.md and, when it is
// accepted, through the 18 parameters and their JSON. A typed sagitta error is an answer;
// anything else is a finding.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sagitta/core/errors.hpp"
#include "sagitta/core/landmarks_json.hpp"
#include "sagitta/core/measurement.hpp"
#include "sagitta/core/measurement_json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const auto file = sagitta::core::parseLandmarksJson(std::string_view(reinterpret_cast<const char*>(data), size));
    const auto measurement = sagitta::core::measure(file.landmarks, file.image.calibration);
    const auto json = sagitta::core::measurementToJson(measurement);
    // What was accepted must write back and read again.
    sagitta::core::parseLandmarksJson(sagitta::core::landmarksToJson(file));
    if (json.empty()) __builtin_trap();
  } catch (const sagitta::core::Error&) {
  }
  return 0;
}
