// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/models/refine_landmarks.hpp"

#include <cmath>
#include <optional>

#include "sagitta/models/head_pair.hpp"
#include "sagitta/models/patch.hpp"

namespace sagitta::models {
namespace {

constexpr std::size_t kPatchChunk = 256;  // patches per forward pass

// Moves a landmark, keeping everything else about it.
void moveTo(core::LandmarkSet& set, core::LandmarkId id, cv::Point2d p) {
  auto landmark = *set.get(id);
  landmark.x = p.x;
  landmark.y = p.y;
  set.set(id, landmark);
}

// The hip axis (midpoint of the two femoral heads), when both are present.
std::optional<cv::Point2d> hipAxisCentre(const core::LandmarkSet& landmarks) {
  const auto& a = landmarks.get(core::LandmarkId::FH_A);
  const auto& b = landmarks.get(core::LandmarkId::FH_P);
  if (!a || !b) return std::nullopt;
  return cv::Point2d(0.5 * (a->x + b->x), 0.5 * (a->y + b->y));
}

}  // namespace

std::vector<core::LandmarkSet> refineLandmarks(RefinerNetworkImpl& network, const std::vector<cv::Mat>& images,
                                               const std::vector<core::LandmarkSet>& centres, int coarseInputHeight,
                                               int coarseInputWidth, const torch::Device& device,
                                               std::vector<std::array<double, core::kLandmarkCount>>* spreadPx,
                                               const std::vector<double>* fieldScales) {
  const auto& rc = network.config();
  const int size = static_cast<int>(rc.patchSize);
  enum class Read { Single, HipAxis, HeadSet };
  struct Job {
    std::size_t image;
    core::LandmarkId channel;
    Read read;
    Patch patch;
    double sourcePerPatchPx;
  };
  struct Hip {
    bool read = false;  // both heads present: the pair comes from the hip patch
    cv::Point2d axis, first, second;
    double axisSpread = 0.0, firstSpread = 0.0, secondSpread = 0.0;
  };
  std::vector<Hip> hips(images.size());
  std::vector<Job> jobs;
  for (std::size_t i = 0; i < images.size(); ++i) {
    const double field = fieldSourcePx(images[i].rows, images[i].cols, coarseInputHeight, coarseInputWidth, rc) *
                         (fieldScales ? fieldScales->at(i) : 1.0);
    const auto axis = hipAxisCentre(centres[i]);
    for (const auto& info : core::landmarkCatalogue()) {
      const auto& c = centres[i].get(info.id);
      // The head channels only make sense on the hip axis: a lone head keeps its position.
      if (!c || isFemoralHead(info.id)) continue;
      jobs.push_back({i, info.id, Read::Single, extractPatch(images[i], {c->x, c->y}, field, size), field / size});
    }
    if (axis) {
      hips[i].read = true;
      const double hipField = field * rc.hipFieldScale;
      const auto patch = extractPatch(images[i], *axis, hipField, size);
      jobs.push_back({i, kHipAxisChannel, Read::HipAxis, patch, hipField / size});
      jobs.push_back({i, kHeadSetChannel, Read::HeadSet, patch, hipField / size});
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
      channels.push_back(static_cast<int64_t>(core::indexOf(jobs[j].channel)));
    }
    const auto result = dsnt(selectChannels(network.forward(torch::stack(inputs).to(device)), torch::tensor(channels)));
    const auto coordinates = result.coordinates.to(torch::kCPU).to(torch::kDouble).contiguous();
    const auto variance = dsntVariance(result).to(torch::kCPU).to(torch::kDouble).contiguous();
    const auto probabilities = result.probabilities.to(torch::kCPU);
    const auto* xy = coordinates.data_ptr<double>();
    const auto* v = variance.data_ptr<double>();
    for (auto j = start; j < end; ++j) {
      const auto n = j - start;
      const auto& job = jobs[j];
      const auto q = normalisedToPatch({xy[2 * n], xy[2 * n + 1]}, size);
      const double sx = std::sqrt(v[2 * n]) * size / 2.0, sy = std::sqrt(v[2 * n + 1]) * size / 2.0;
      const double spread = std::sqrt(0.5 * (sx * sx + sy * sy)) * job.sourcePerPatchPx;
      auto& hip = hips[job.image];
      if (job.read == Read::HipAxis) {
        hip.axis = job.patch.patchToSource(q);
        hip.axisSpread = spread;
        continue;
      }
      if (job.read == Read::HeadSet) {
        // The 2-means starts from the heads found so far, so each head keeps its label.
        const auto& a = *centres[job.image].get(core::LandmarkId::FH_A);
        const auto& b = *centres[job.image].get(core::LandmarkId::FH_P);
        const auto peaks = readHeadPair(probabilities[static_cast<int64_t>(n)][0],
                                         patchToNormalised(job.patch.sourceToPatch({a.x, a.y}), size),
                                         patchToNormalised(job.patch.sourceToPatch({b.x, b.y}), size));
        hip.first = job.patch.patchToSource(normalisedToPatch(peaks.first, size));
        hip.second = job.patch.patchToSource(normalisedToPatch(peaks.second, size));
        hip.firstSpread = peaks.firstSpread * size / 2.0 * job.sourcePerPatchPx;
        hip.secondSpread = peaks.secondSpread * size / 2.0 * job.sourcePerPatchPx;
        continue;
      }
      moveTo(refined[job.image], job.channel, job.patch.patchToSource(q));
      if (spreadPx) (*spreadPx)[job.image][core::indexOf(job.channel)] = spread;
    }
  }
  for (std::size_t i = 0; i < images.size(); ++i) {
    const auto& hip = hips[i];
    if (!hip.read) continue;
    // The pair is placed on the regressed hip axis; the head-set map gives its separation.
    const cv::Point2d half = 0.5 * (hip.second - hip.first);
    const auto place = [&](core::LandmarkId id, cv::Point2d p, double peakSpread) {
      moveTo(refined[i], id, p);
      if (spreadPx) (*spreadPx)[i][core::indexOf(id)] = std::hypot(hip.axisSpread, peakSpread);
    };
    place(core::LandmarkId::FH_A, hip.axis - half, hip.firstSpread);
    place(core::LandmarkId::FH_P, hip.axis + half, hip.secondSpread);
  }
  network.train(wasTraining);
  return refined;
}

}  // namespace sagitta::models
