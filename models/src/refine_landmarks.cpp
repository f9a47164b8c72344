// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/models/refine_landmarks.hpp"

#include <cmath>

#include "sagitta/models/patch.hpp"

namespace sagitta::models {
namespace {

constexpr std::size_t kPatchChunk = 256;  // patches per forward pass

}  // namespace

std::vector<core::LandmarkSet> refineLandmarks(RefinerNetworkImpl& network, const std::vector<cv::Mat>& images,
                                               const std::vector<core::LandmarkSet>& centres, int coarseInputHeight,
                                               int coarseInputWidth, const torch::Device& device,
                                               std::vector<std::array<double, core::kLandmarkCount>>* spreadPx) {
  const auto& rc = network.config();
  const int size = static_cast<int>(rc.patchSize);
  struct Job {
    std::size_t image;
    core::LandmarkId id;
    Patch patch;
    double sourcePerPatchPx;
  };
  std::vector<Job> jobs;
  for (std::size_t i = 0; i < images.size(); ++i) {
    const double field = fieldSourcePx(images[i].rows, images[i].cols, coarseInputHeight, coarseInputWidth, rc);
    for (const auto& info : core::landmarkCatalogue()) {
      const auto& c = centres[i].get(info.id);
      if (!c) continue;
      jobs.push_back({i, info.id, extractPatch(images[i], {c->x, c->y}, field, size), field / size});
    }
  }
  std::vector<core::LandmarkSet> refined = centres;
  if (spreadPx) spreadPx->assign(images.size(), {});
  const bool wasTraining = network.is_training();
  network.eval();
  const torch::InferenceMode guard;
  for (std::size_t start = 0; start < jobs.size(); start += kPatchChunk) {
    const auto end = std::min(jobs.size(), start + kPatchChunk);
    std::vector<torch::Tensor> inputs;
    std::vector<int64_t> channels;
    for (auto j = start; j < end; ++j) {
      inputs.push_back(jobs[j].patch.input);
      channels.push_back(static_cast<int64_t>(core::indexOf(jobs[j].id)));
    }
    const auto result = dsnt(selectChannels(network.forward(torch::stack(inputs).to(device)), torch::tensor(channels)));
    const auto coordinates = result.coordinates.to(torch::kCPU).to(torch::kDouble).contiguous();
    const auto variance = dsntVariance(result).to(torch::kCPU).to(torch::kDouble).contiguous();
    const auto* xy = coordinates.data_ptr<double>();
    const auto* v = variance.data_ptr<double>();
    for (auto j = start; j < end; ++j) {
      const auto n = j - start;
      const auto& job = jobs[j];
      const cv::Point2d q((xy[2 * n] + 1.0) * size / 2.0, (xy[2 * n + 1] + 1.0) * size / 2.0);
      const auto p = job.patch.patchToSource(q);
      auto landmark = *refined[job.image].get(job.id);
      landmark.x = p.x;
      landmark.y = p.y;
      refined[job.image].set(job.id, landmark);
      if (spreadPx) {
        const double sx = std::sqrt(v[2 * n]) * size / 2.0, sy = std::sqrt(v[2 * n + 1]) * size / 2.0;
        (*spreadPx)[job.image][core::indexOf(job.id)] = std::sqrt(0.5 * (sx * sx + sy * sy)) * job.sourcePerPatchPx;
      }
    }
  }
  network.train(wasTraining);
  return refined;
}

}  // namespace sagitta::models
