// SPDX-License-Identifier: GPL-3.0-or-later
// Forward (inference) and forward + backward (training step) of the landmark network on the
// paper's 864 x 480 input, compact (CPU training) and wider configurations.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include "sagitta/models/losses.hpp"
#include "sagitta/models/network.hpp"

namespace {

using namespace sagitta::models;

NetworkConfig configFor(int64_t base) {
  NetworkConfig c;
  c.baseChannels = base;
  c.pyramidChannels = 4 * base;
  return c;
}

void BM_Inference(benchmark::State& state) {
  torch::set_num_threads(static_cast<int>(state.range(1)));
  LandmarkNetwork net(configFor(state.range(0)));
  net->eval();
  torch::InferenceMode guard;
  const auto x = torch::randn({1, 1, 864, 480});
  for (auto _ : state) {
    auto out = net->forward(x);
    benchmark::DoNotOptimize(out.stage2.coordinates.data_ptr());
  }
  state.counters["parameters_M"] = static_cast<double>(parameterCount(*net)) / 1e6;
}
BENCHMARK(BM_Inference)->Args({16, 1})->Args({16, 2})->Args({32, 2})->Args({64, 2})->Unit(benchmark::kMillisecond)->Iterations(5);

void BM_TrainingStep(benchmark::State& state) {
  torch::set_num_threads(2);
  LandmarkNetwork net(configFor(state.range(0)));
  torch::optim::Adam optimiser(net->parameters(), torch::optim::AdamOptions(1e-3));
  const auto x = torch::randn({state.range(1), 1, 864, 480});
  const auto targets = torch::rand({state.range(1), 45, 2}) * 1.6 - 0.8;
  const auto visible = torch::ones({state.range(1), 45});
  for (auto _ : state) {
    optimiser.zero_grad();
    const auto out = net->forward(x);
    landmarkLoss(out.stage1Logits, out.stage2Logits, targets, visible, LossConfig{}).total.backward();
    optimiser.step();
  }
}
BENCHMARK(BM_TrainingStep)->Args({16, 4})->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
