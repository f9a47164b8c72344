// SPDX-License-Identifier: GPL-3.0-or-later
// Phantom generation speed: training size (864 rows) on one core, and a full-size film,
// rendering only and rendering + DICOM encoding to memory-backed files.
#include <filesystem>

#include <benchmark/benchmark.h>
#include <opencv2/core.hpp>

#include "sagitta/phantom/dicom_writer.hpp"
#include "sagitta/phantom/generator.hpp"

namespace {

using namespace sagitta::phantom;

void BM_TrainingSizeOneCore(benchmark::State& state) {
  cv::setNumThreads(1);
  GeneratorOptions options;
  options.rows = 864;
  int index = 0;
  for (auto _ : state) {
    auto c = generateCase(1, index++, options);
    benchmark::DoNotOptimize(c.pixels.data);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TrainingSizeOneCore)->Unit(benchmark::kMillisecond)->Iterations(40);

void BM_FullSize(benchmark::State& state) {
  cv::setNumThreads(static_cast<int>(state.range(0)));
  GeneratorOptions options;
  int index = 0;
  double pixels = 0;
  for (auto _ : state) {
    auto c = generateCase(1, index++, options);
    pixels += static_cast<double>(c.pixels.total());
    benchmark::DoNotOptimize(c.pixels.data);
  }
  state.counters["megapixels"] = benchmark::Counter(pixels / 1e6 / static_cast<double>(state.iterations()));
}
BENCHMARK(BM_FullSize)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->Iterations(6);

void BM_FullSizeWithDicom(benchmark::State& state) {
  cv::setNumThreads(2);
  GeneratorOptions options;
  const auto path = std::filesystem::temp_directory_path() / "sagitta-bench-phantom.dcm";
  int index = 0;
  for (auto _ : state) {
    auto c = generateCase(1, index++, options);
    writeDicom(c, path.string());
  }
  std::filesystem::remove(path);
}
BENCHMARK(BM_FullSizeWithDicom)->Unit(benchmark::kMillisecond)->Iterations(4);

}  // namespace
