// SPDX-License-Identifier: GPL-3.0-or-later
// The 45 -> 18 computation: parameters, indices and quality checks for one landmark set.
#include <benchmark/benchmark.h>

#include "sagitta/core/landmarks_json.hpp"
#include "sagitta/core/measurement.hpp"
#include "sagitta/core/measurement_json.hpp"
#include "support/reference_spine.hpp"

namespace {

using namespace sagitta;

const testing::Pose kPose{core::Facing::Left, 0.15, 0.12};

void BM_Measure(benchmark::State& state) {
  const auto set = testing::placeInImage(testing::referenceSpine(), kPose);
  const auto calibration = testing::calibrationFor(kPose);
  for (auto _ : state) {
    auto m = core::measure(set, calibration);
    benchmark::DoNotOptimize(m);
  }
}
BENCHMARK(BM_Measure);

// The whole `measure` path minus process start: parse the landmarks JSON, measure, write JSON.
void BM_ParseMeasureWrite(benchmark::State& state) {
  core::LandmarkFile file;
  file.image.calibration = testing::calibrationFor(kPose);
  file.landmarks = testing::placeInImage(testing::referenceSpine(), kPose);
  const std::string text = core::landmarksToJson(file);
  for (auto _ : state) {
    const auto parsed = core::parseLandmarksJson(text);
    auto out = core::measurementToJson(core::measure(parsed.landmarks, parsed.image.calibration));
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_ParseMeasureWrite);

}  // namespace
