// SPDX-License-Identifier: GPL-3.0-or-later
// The shipped bundle: single-image latency of InferenceEngine::predict on a full-size phantom
// film (letterbox, every member's forward pass, the refiner's 45 patches when the bundle has
// one, spreads, gate), its convolution GFLOPs and the
// achieved GFLOP/s; CPU with 1 and 2 threads, and CUDA when LibTorch sees a device.
#include <benchmark/benchmark.h>
#include <torch/cuda.h>

#include "sagitta/models/inference_engine.hpp"
#include "sagitta/models/view_check.hpp"
#include "sagitta/phantom/generator.hpp"

namespace {

using namespace sagitta;

const phantom::PhantomCase& film() {
  static const auto c = phantom::generateCase(31337, 0, {});
  return c;
}

void run(benchmark::State& state, const std::string& device, int threads) {
  models::InferenceEngine engine(SAGITTA_SHIPPED_BUNDLE, {device, threads, 1});
  const auto image = film().windowed8();
  double flops = 0.0;
  for (const auto& member : engine.manifest().members) flops += models::forwardFlops(member.network);
  if (const auto& r = engine.manifest().refiner) flops += static_cast<double>(sagitta::core::kLandmarkCount) * models::refinerFlops(r->network);
  engine.predict(image, film().truth.image.calibration);  // warm-up
  for (auto _ : state) {
    auto p = engine.predict(image, film().truth.image.calibration);
    benchmark::DoNotOptimize(p.medianSpreadInputPx);
  }
  state.counters["GFLOP"] = flops / 1e9;
  state.counters["GFLOP/s"] = benchmark::Counter(flops / 1e9 * static_cast<double>(state.iterations()),
                                                 benchmark::Counter::kIsRate);
  state.counters["members"] = static_cast<double>(engine.manifest().members.size());
  state.counters["refiner"] = engine.manifest().refiner ? 1.0 : 0.0;
  state.SetLabel(std::to_string(image.rows) + "x" + std::to_string(image.cols) + " film, " + device);
}

void BM_ShippedCpu(benchmark::State& state) { run(state, "cpu", static_cast<int>(state.range(0))); }
BENCHMARK(BM_ShippedCpu)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->Iterations(20)->UseRealTime();

// The gate's frontal-view check alone (view_check.cpp) on the same full-size film: what the
// image-based "not a lateral view" decision costs per film.
void BM_MirrorSymmetry(benchmark::State& state) {
  const auto image = film().windowed8();
  for (auto _ : state) benchmark::DoNotOptimize(models::mirrorSymmetry(image).correlation);
  state.SetLabel(std::to_string(image.rows) + "x" + std::to_string(image.cols) + " film");
}
BENCHMARK(BM_MirrorSymmetry)->Unit(benchmark::kMillisecond)->Iterations(50)->UseRealTime();

void BM_ShippedCuda(benchmark::State& state) {
  if (!torch::cuda::is_available()) {
    state.SkipWithError("no CUDA device");
    return;
  }
  run(state, "cuda", 2);
}
BENCHMARK(BM_ShippedCuda)->Unit(benchmark::kMillisecond)->Iterations(50)->UseRealTime();

}  // namespace
