// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/models/inference_engine.hpp"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <mutex>
#include <sstream>

#include "sagitta/models/bundle.hpp"
#include "sagitta/models/device.hpp"
#include "sagitta/models/errors.hpp"
#include "sagitta/models/input_geometry.hpp"
#include "sagitta/models/localisation_error.hpp"
#include "sagitta/models/refine_landmarks.hpp"
#include "sagitta/models/sample.hpp"
#include "sagitta/models/view_check.hpp"

namespace sagitta::models {
namespace {

std::string fixed(double v, int digits) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(digits) << v;
  return s.str();
}

}  // namespace

struct InferenceEngine::State {
  explicit State(const EngineOptions& o) : options(o), device(resolveDevice(o.device)) {}
  EngineOptions options;
  torch::Device device;
  LoadedBundle bundle;
  std::mutex mutex;  // one forward pass at a time: LibTorch's intra-op pool is the parallelism
};

InferenceEngine::InferenceEngine(const std::string& bundleFolder, const EngineOptions& options)
    : state_(std::make_unique<State>(options)) {
  if (options.threads > 0) torch::set_num_threads(options.threads);
  if (options.batchSize < 1 || options.batchSize > 64) throw ConfigError("batch size must be 1..64");
  state_->bundle = loadBundle(bundleFolder, state_->device);
}

InferenceEngine::~InferenceEngine() = default;

const BundleManifest& InferenceEngine::manifest() const { return state_->bundle.manifest; }
const std::string& InferenceEngine::bundleSha256() const { return state_->bundle.sha256; }
const std::string& InferenceEngine::bundleFolder() const { return state_->bundle.folder; }
std::string InferenceEngine::deviceName() const { return describeDevice(state_->device); }

Prediction InferenceEngine::predict(const cv::Mat& grey8, const core::Calibration& calibration) {
  return predictBatch({grey8}, {calibration}).front();
}

std::vector<Prediction> InferenceEngine::predictBatch(const std::vector<cv::Mat>& images,
                                                      const std::vector<core::Calibration>& calibrations) {
  if (images.size() != calibrations.size()) throw ConfigError("one calibration per image is required");
  const std::lock_guard<std::mutex> lock(state_->mutex);
  const int h = state_->bundle.manifest.inputHeight, w = state_->bundle.manifest.inputWidth;
  std::vector<Prediction> predictions;
  const torch::InferenceMode guard;
  const auto batch = static_cast<std::size_t>(state_->options.batchSize);
  for (std::size_t start = 0; start < images.size(); start += batch) {
    const auto end = std::min(images.size(), start + batch);
    std::vector<torch::Tensor> inputs;
    for (auto i = start; i < end; ++i) inputs.push_back(makeInput(images[i], h, w));
    const auto x = torch::stack(inputs).to(state_->device);
    torch::Tensor coordinates, variance, presence;
    std::vector<torch::Tensor> memberCoordinates;
    bool everyMemberHasPresence = true;
    for (auto& network : state_->bundle.networks) {
      const auto out = network->forward(x);
      memberCoordinates.push_back(out.stage2.coordinates);
      const auto v = dsntVariance(out.stage2);
      variance = variance.defined() ? variance + v : v;
      if (!out.presenceLogits.defined()) everyMemberHasPresence = false;
      else presence = presence.defined() ? presence + torch::sigmoid(out.presenceLogits) : torch::sigmoid(out.presenceLogits);
    }
    if (everyMemberHasPresence && presence.defined()) {
      presence = (presence / static_cast<double>(memberCoordinates.size())).to(torch::kCPU).to(torch::kDouble).contiguous();
    } else {
      presence = torch::Tensor();
    }
    const auto stacked = torch::stack(memberCoordinates);  // [M, B, K, 2]
    coordinates = stacked.mean(0);
    // Spread of the ensemble: mean within-member variance plus the members' disagreement.
    variance = variance / static_cast<double>(memberCoordinates.size()) + stacked.var(0, false);
    coordinates = coordinates.to(torch::kCPU);
    variance = variance.to(torch::kCPU).to(torch::kDouble).contiguous();
    std::vector<Prediction> chunk;
    for (auto i = start; i < end; ++i) {
      const auto b = static_cast<int64_t>(i - start);
      const auto geometry = InputGeometry::fit(images[i].size(), h, w);
      Prediction p;
      p.landmarks = toLandmarks(coordinates[b], geometry);
      if (presence.defined()) {
        p.hasPresence = true;
        const auto* q = presence[b].data_ptr<double>();
        for (const auto& info : core::landmarkCatalogue()) {
          const auto k = core::indexOf(info.id);
          p.presence[k] = q[k];
          if (q[k] < kPresentProbability) p.landmarks.erase(info.id);
        }
      }
      const auto* v = variance[b].data_ptr<double>();
      std::vector<double> inputSpread;
      for (const auto& info : core::landmarkCatalogue()) {
        const auto k = core::indexOf(info.id);
        // Normalised variance -> input pixels: x spans W / 2 per unit, y spans H / 2.
        const double sx = std::sqrt(v[2 * k]) * w / 2.0, sy = std::sqrt(v[2 * k + 1]) * h / 2.0;
        const double spread = std::sqrt(0.5 * (sx * sx + sy * sy));
        if (p.landmarks.has(info.id)) inputSpread.push_back(spread);  // the gate reads what is on the film
        p.spreadPx[k] = spread / geometry.scale;
      }
      // The gate's confidence stays the CPN's: its threshold is calibrated on the CPN's spread.
      p.medianSpreadInputPx = median(inputSpread);
      chunk.push_back(std::move(p));
    }
    if (state_->bundle.refiner) {
      // Every landmark is moved by the local refiner, and its spread becomes the refiner's.
      std::vector<cv::Mat> sources(images.begin() + static_cast<std::ptrdiff_t>(start),
                                   images.begin() + static_cast<std::ptrdiff_t>(end));
      std::vector<core::LandmarkSet> found;
      for (const auto& p : chunk) found.push_back(p.landmarks);
      std::vector<std::array<double, core::kLandmarkCount>> spreads;
      // A film that shows the spine larger than the whole-spine films of training gets wider patches.
      std::vector<double> scales;
      for (std::size_t n = 0; n < chunk.size(); ++n) {
        const double s = anatomicalScale(found[n], sources[n].rows, sources[n].cols, h, w,
                                         state_->bundle.manifest.refiner->network.referencePitchInputPx);
        scales.push_back(std::abs(std::log(s)) > std::log(kRefinerScaleTolerance) ? std::clamp(s, 0.25, 6.0) : 1.0);
        chunk[n].refinerFieldScale = scales.back();
      }
      for (int pass = 0; pass < state_->bundle.manifest.refiner->passes; ++pass) {
        found = refineLandmarks(*state_->bundle.refiner, sources, found, h, w, state_->device, &spreads, &scales);
      }
      for (std::size_t n = 0; n < chunk.size(); ++n) {
        chunk[n].landmarks = found[n];
        chunk[n].spreadPx = spreads[n];
      }
    }
    for (auto i = start; i < end; ++i) {
      auto& p = chunk[i - start];
      const auto& cal = calibrations[i];
      if (cal.calibrated()) {
        const double mmPerPx = std::sqrt(0.5 * (cal.columnSpacingMm * cal.columnSpacingMm + cal.rowSpacingMm * cal.rowSpacingMm));
        for (const auto& info : core::landmarkCatalogue()) {
          if (!p.landmarks.has(info.id)) continue;
          auto l = *p.landmarks.get(info.id);
          l.sigmaMm = p.spreadPx[core::indexOf(info.id)] * mmPerPx;
          p.landmarks.set(info.id, l);
        }
      }
      p.gate = judge(images[i], p, state_->bundle.manifest.gate);
      predictions.push_back(std::move(p));
    }
  }
  return predictions;
}

std::size_t Prediction::presentCount() const { return landmarks.size(); }

GateVerdict judge(const cv::Mat& grey8, const Prediction& p, const GateThresholds& t) {
  GateVerdict verdict;
  if (p.hasPresence && p.presentCount() < kMinPresentLandmarks) {
    verdict.reasons.push_back("too little of a spine on the film: the network finds " + std::to_string(p.presentCount()) +
                              " of the 45 landmarks, below " + std::to_string(kMinPresentLandmarks));
  }
  const double aspect = static_cast<double>(grey8.rows) / std::max(1, grey8.cols);
  if (aspect < t.minAspect) {
    verdict.reasons.push_back("not a long-length film: rows / columns = " + fixed(aspect, 2) + ", below " + fixed(t.minAspect, 2));
  }
  cv::Scalar mean, sd;
  cv::meanStdDev(grey8, mean, sd);
  if (sd[0] < t.minContrast) {
    verdict.reasons.push_back("blank image: grey-level SD " + fixed(sd[0], 1) + " below " + fixed(t.minContrast, 1));
  }
  const auto symmetry = mirrorSymmetry(grey8);
  if (symmetry.correlation > t.maxFrontalSymmetry) {
    verdict.reasons.push_back("not a lateral view: the image is mirror-symmetric about a vertical axis (correlation " +
                              fixed(symmetry.correlation, 2) + " above " + fixed(t.maxFrontalSymmetry, 2) +
                              "), as a frontal (AP/PA) projection is");
  }
  if (p.medianSpreadInputPx > t.maxMedianSpreadPx) {
    verdict.reasons.push_back("the network is not confident: median heatmap spread " + fixed(p.medianSpreadInputPx, 1) +
                              " px above " + fixed(t.maxMedianSpreadPx, 1) + " px");
  }
  // What a film shows of a spine is one run of vertebrae: a level missing between two found
  // ones means the network has not read the film as a spine.
  if (p.hasPresence) {
    const auto& centres = core::bodyCentres();
    std::size_t first = centres.size(), last = 0;
    for (std::size_t i = 0; i < centres.size(); ++i) {
      if (!p.landmarks.has(centres[i])) continue;
      first = std::min(first, i);
      last = i;
    }
    std::string gaps;
    for (std::size_t i = first; i < last; ++i) {
      if (!p.landmarks.has(centres[i])) gaps += (gaps.empty() ? "" : ", ") + std::string(core::landmarkKey(centres[i]));
    }
    if (!gaps.empty()) {
      verdict.reasons.push_back("the vertebrae found are not one run: " + gaps + " missing between " +
                                std::string(core::landmarkKey(centres[first])) + " and " +
                                std::string(core::landmarkKey(centres[last])));
    }
  }
  // The vertebral centres C2..L5 on the film run down it, in order.
  std::vector<double> ys;
  for (const auto id : core::bodyCentres()) {
    if (const auto& c = p.landmarks.get(id)) ys.push_back(c->y);
  }
  if (ys.size() < 2) {
    verdict.reasons.push_back("fewer than two vertebral centres found on the film");
    verdict.accepted = false;
    return verdict;
  }
  int inversions = 0;
  for (std::size_t i = 1; i < ys.size(); ++i) inversions += ys[i] <= ys[i - 1] ? 1 : 0;
  // Two of the 22 steps of a whole spine, and as large a share of the steps of a partial one.
  const int allowed = static_cast<int>(2 * (ys.size() - 1) / 22);
  if (inversions > allowed) {
    verdict.reasons.push_back("vertebral centres out of order (" + std::to_string(inversions) + " of " +
                              std::to_string(ys.size() - 1) + " steps go up)");
  }
  const double span = (ys.back() - ys.front()) / std::max(1, grey8.rows);
  if (span < t.minSpanFraction) {
    verdict.reasons.push_back("the vertebrae found span " + fixed(100.0 * span, 0) + "% of the film height, below " +
                              fixed(100.0 * t.minSpanFraction, 0) + "%");
  }
  verdict.accepted = verdict.reasons.empty();
  return verdict;
}

}  // namespace sagitta::models
