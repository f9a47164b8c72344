// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/models/refiner_trainer.hpp"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <random>
#include <sstream>
#include <string_view>

#include "config_readers.hpp"
#include "run_folder.hpp"
#include "sagitta/models/device.hpp"
#include "sagitta/models/errors.hpp"
#include "sagitta/models/refine_landmarks.hpp"

namespace sagitta::models {
namespace {

using Json = nlohmann::json;
using detail::readPair;
using detail::requireRange;
using detail::Section;

cv::Point2d offsetDraw(const PatchRanges& r, double sourcePerInputPx, std::mt19937_64& rng) {
  std::normal_distribution<double> normal(0.0, r.centreJitterInputPx);
  const auto clip = [&](double v) { return std::clamp(v, -r.centreJitterMaxInputPx, r.centreJitterMaxInputPx); };
  const double dx = clip(normal(rng)), dy = clip(normal(rng));
  return {dx * sourcePerInputPx, dy * sourcePerInputPx};
}

}  // namespace

bool isRefinerConfig(const std::string& text) {
  try {
    const auto root = Json::parse(text);
    return root.is_object() && root.value("kind", std::string()) == "refiner";
  } catch (const Json::exception&) {
    return false;  // the CPN parser reports the syntax error
  }
}

RefinerTrainConfig parseRefinerConfig(const std::string& text, const std::string& baseFolder) {
  const auto root = detail::parseConfigDocument(text);
  RefinerTrainConfig c;
  Section top(root, "config");
  std::string kind;
  top.read("kind", kind);
  if (kind != "refiner") throw ConfigError("config.kind must be \"refiner\" for a refiner configuration");
  top.read("name", c.name);
  c.output = detail::readOutput(top, baseFolder);
  if (top.has("refiner")) {
    Section r(top.at("refiner"), "refiner");
    r.read("patch_size", c.refiner.patchSize);
    r.read("field_input_px", c.refiner.fieldInputPx);
    r.read("base_channels", c.refiner.baseChannels);
    r.read("pyramid_channels", c.refiner.pyramidChannels);
    r.read("coarse_input_height", c.coarseInputHeight);
    r.read("coarse_input_width", c.coarseInputWidth);
    r.read("render_rows", c.renderRows);
    r.finish();
    requireRange(c.refiner.patchSize >= 16 && c.refiner.patchSize <= 256 && c.refiner.patchSize % 8 == 0, "refiner.patch_size");
    requireRange(c.refiner.fieldInputPx >= 4.0 && c.refiner.fieldInputPx <= 256.0, "refiner.field_input_px");
    requireRange(c.refiner.baseChannels >= 4 && c.refiner.baseChannels <= 128, "refiner.base_channels");
    requireRange(c.refiner.pyramidChannels >= 4 && c.refiner.pyramidChannels <= 256, "refiner.pyramid_channels");
    requireRange(c.coarseInputHeight >= 64 && c.coarseInputWidth >= 32 && c.coarseInputHeight <= 4096 &&
                     c.coarseInputWidth <= 4096, "refiner.coarse_input size");
    requireRange(c.renderRows >= c.coarseInputHeight && c.renderRows <= 16384, "refiner.render_rows");
  }
  detail::readLossSection(top, c.wing, c.target, c.targetSigma, c.jsWeight);
  detail::readDataSection(top, baseFolder, c.phantom, c.folder);
  if (top.has("augmentation")) {
    Section a(top.at("augmentation"), "augmentation");
    auto& r = c.augmentation;
    a.read("centre_jitter_input_px", r.centreJitterInputPx);
    a.read("centre_jitter_max_input_px", r.centreJitterMaxInputPx);
    a.read("rotation_deg", r.rotationDeg);
    readPair(a, "scale", r.scaleMin, r.scaleMax);
    readPair(a, "contrast", r.contrastMin, r.contrastMax);
    a.read("blur_sigma_max", r.blurSigmaMax);
    a.read("noise_max", r.noiseMax);
    a.read("flip_probability", r.flipProbability);
    a.finish();
    requireRange(r.centreJitterInputPx >= 0.0 && r.centreJitterMaxInputPx >= 0.0 &&
                     r.centreJitterMaxInputPx < 0.5 * c.refiner.fieldInputPx && r.rotationDeg >= 0.0 &&
                     r.rotationDeg <= 90.0 && r.scaleMin > 0.2 && r.scaleMax <= 3.0 && r.contrastMin > 0.1 &&
                     r.contrastMax < 10.0 && r.flipProbability >= 0.0 && r.flipProbability <= 1.0,
                 "augmentation values (the centre offset must stay inside the patch)");
  }
  if (top.has("training")) {
    Section t(top.at("training"), "training");
    const detail::Schedule schedule{c.epochs, c.batchSize, c.learningRate, c.learningRateDropEpochs,
                                    c.learningRateDropFactor, c.patience, c.seed, c.threads, c.device,
                                    c.timeLimitMinutes};
    detail::readSchedule(t, schedule);
    t.read("steps_per_epoch", c.stepsPerEpoch);
    t.finish();
    detail::checkSchedule(schedule, 1024);
    requireRange(c.stepsPerEpoch >= 1, "training.steps_per_epoch");
  }
  top.finish();
  return c;
}

std::vector<core::LandmarkSet> offsetCentres(const std::vector<LabelledImage>& images, const RefinerTrainConfig& c,
                                             std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<core::LandmarkSet> centres;
  for (const auto& image : images) {
    const double perInput = fieldSourcePx(image.grey8.rows, image.grey8.cols, c.coarseInputHeight, c.coarseInputWidth, c.refiner) /
                            c.refiner.fieldInputPx;
    core::LandmarkSet moved;
    for (const auto& info : core::landmarkCatalogue()) {
      const auto& l = image.landmarks.get(info.id);
      if (!l) continue;
      const auto d = offsetDraw(c.augmentation, perInput, rng);
      moved.set(info.id, {l->x + d.x, l->y + d.y, l->sigmaMm});
    }
    centres.push_back(moved);
  }
  return centres;
}

namespace {

std::vector<ImageErrors> errorsAgainstTruth(const std::vector<core::LandmarkSet>& predicted,
                                            const std::vector<LabelledImage>& images) {
  std::vector<ImageErrors> errors;
  for (std::size_t i = 0; i < images.size(); ++i) {
    errors.push_back(imageErrors(predicted[i], images[i].landmarks, images[i].rowSpacingMm, images[i].columnSpacingMm));
  }
  return errors;
}

// The bone a landmark belongs to: "T5" for T5_AS and T5_C, "FH" for both femoral heads.
std::string_view boneOf(std::string_view key) { return key.substr(0, key.find('_')); }

// One training batch: random films, random annotated landmarks, centres moved from their truth,
// augmentation. The landmarks of the centred landmark's bone that fall inside the patch are
// supervised, each on its channel: several targets per forward pass. Landmarks of other bones
// are not: a patch centred on T6 looks like one centred on T7, so "where is T7" has no local
// answer there, while "where is this vertebra's corner" has.
struct Batch {
  torch::Tensor inputs, targets, visible;  // [B, 1, P, P], [B, K, 2] normalised, [B, K]
};

Batch drawBatch(const std::vector<LabelledImage>& images, const RefinerTrainConfig& c, std::mt19937_64& rng) {
  const int size = static_cast<int>(c.refiner.patchSize);
  const auto k = static_cast<int64_t>(core::kLandmarkCount);
  std::uniform_int_distribution<std::size_t> pickImage(0, images.size() - 1);
  std::uniform_int_distribution<std::size_t> pickLandmark(0, core::kLandmarkCount - 1);
  std::vector<torch::Tensor> inputs;
  auto targets = torch::zeros({c.batchSize, k, 2});
  auto visible = torch::zeros({c.batchSize, k});
  auto t = targets.accessor<float, 3>();
  auto v = visible.accessor<float, 2>();
  while (static_cast<int>(inputs.size()) < c.batchSize) {
    const auto& image = images[pickImage(rng)];
    const auto& info = core::landmarkCatalogue()[pickLandmark(rng)];
    const auto& truth = image.landmarks.get(info.id);
    if (!truth) continue;
    const double field = fieldSourcePx(image.grey8.rows, image.grey8.cols, c.coarseInputHeight, c.coarseInputWidth, c.refiner);
    const cv::Point2d centre = cv::Point2d(truth->x, truth->y) + offsetDraw(c.augmentation, field / c.refiner.fieldInputPx, rng);
    const auto patch = extractPatch(image.grey8, centre, field, size, c.augmentation.draw(rng));
    const auto b = static_cast<int64_t>(inputs.size());
    for (const auto& other : core::landmarkCatalogue()) {
      const auto& l = image.landmarks.get(other.id);
      if (!l || boneOf(other.key) != boneOf(info.key)) continue;
      const auto q = patch.sourceToPatch({l->x, l->y});
      const auto j = static_cast<int64_t>(core::indexOf(other.id));
      t[b][j][0] = static_cast<float>(2.0 * q.x / size - 1.0);
      t[b][j][1] = static_cast<float>(2.0 * q.y / size - 1.0);
      v[b][j] = (q.x >= 1.0 && q.x <= size - 1.0 && q.y >= 1.0 && q.y <= size - 1.0) ? 1.0F : 0.0F;
    }
    inputs.push_back(patch.input);
  }
  return {torch::stack(inputs), targets, visible};
}

}  // namespace

TrainResult trainRefiner(const RefinerTrainConfig& c, const std::string& configText, bool resume, std::ostream& console,
                         bool interactive) {
  detail::RunFolder run(c.output, resume, configText,
                        "epoch,learning_rate,loss,wing,js,selection_error,median_mm,worst_landmark_median_mm,seconds",
                        console, interactive);
  torch::set_num_threads(c.threads);
  const auto device = resolveDevice(c.device);
  torch::manual_seed(c.seed);
  RefinerNetwork network(c.refiner);
  network->to(device);
  torch::optim::Adam optimiser(network->parameters(), torch::optim::AdamOptions(c.learningRate));
  const int epochsDone = run.resumeInto(network, optimiser, device);

  std::ostringstream dataLog;
  const auto data = loadLabelledData(c.phantom, c.folder, c.renderRows, c.renderRows, dataLog);
  run.log(dataLog.str().substr(0, dataLog.str().size() - 1));
  run.log("refiner: " + std::to_string(parameterCount(*network)) + " parameters, patch " +
          std::to_string(c.refiner.patchSize) + " px over " + std::to_string(c.refiner.fieldInputPx) + " CPN input px (" +
          std::to_string(c.coarseInputHeight) + "x" + std::to_string(c.coarseInputWidth) + "), device " +
          describeDevice(device) + ", " + std::to_string(c.threads) + " threads");
  const auto centres = offsetCentres(data.validation, c, c.seed * 7919U + 1U);
  {
    const auto before = summarise(errorsAgainstTruth(centres, data.validation));
    std::ostringstream line;
    line << std::fixed << std::setprecision(3) << "validation centres before refinement: selection error (eq. 8) "
         << before.selectionError << ", median " << before.medianMmAll << " mm";
    run.log(line.str());
  }
  std::vector<cv::Mat> validationImages;
  for (const auto& image : data.validation) validationImages.push_back(image.grey8);

  LossConfig loss;
  loss.wing = c.wing;
  loss.inputWidth = loss.inputHeight = static_cast<double>(c.refiner.patchSize);  // Wing in patch pixels
  loss.jsWeight = c.jsWeight;
  loss.target = c.target;
  loss.targetSigma = c.targetSigma;
  loss.femoralHeadA = static_cast<int64_t>(core::indexOf(core::LandmarkId::FH_A));
  loss.femoralHeadB = static_cast<int64_t>(core::indexOf(core::LandmarkId::FH_P));
  std::string stopReason = "epochs";
  const auto steps = static_cast<std::size_t>(c.stepsPerEpoch);
  for (int epoch = epochsDone + 1; epoch <= c.epochs; ++epoch) {
    const double lr = steppedLearningRate(c.learningRate, c.learningRateDropEpochs, c.learningRateDropFactor, epoch);
    for (auto& group : optimiser.param_groups()) static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
    std::mt19937_64 rng(c.seed * std::uint64_t{1000003} + static_cast<std::uint64_t>(epoch));
    network->train();
    const auto epochStart = detail::RunFolder::Clock::now();
    double sumLoss = 0.0, sumWing = 0.0, sumJs = 0.0;
    for (std::size_t step = 0; step < steps; ++step) {
      const auto batch = drawBatch(data.train, c, rng);
      const auto terms = singleStageLoss(network->forward(batch.inputs.to(device)), batch.targets.to(device),
                                         batch.visible.to(device), loss);
      optimiser.zero_grad();
      terms.total.backward();
      optimiser.step();
      sumLoss += terms.total.item<double>();
      sumWing += terms.wingStage2.item<double>();
      sumJs += terms.jensenShannon.item<double>();
      const double n = static_cast<double>(step + 1);
      std::ostringstream losses;
      losses << std::fixed << std::setprecision(3) << "loss " << sumLoss / n << " (wing " << sumWing / n << ", js "
             << sumJs / n << ")";
      run.progress(epoch, c.epochs, step, steps, losses.str(), epochStart);
    }
    const auto refined = refineLandmarks(*network, validationImages, centres, c.coarseInputHeight, c.coarseInputWidth, device);
    const auto summary = summarise(errorsAgainstTruth(refined, data.validation));
    const double n = static_cast<double>(steps);
    std::ostringstream terms;
    terms << sumLoss / n << ',' << sumWing / n << ',' << sumJs / n;
    if (run.endEpoch(epoch, lr, sumLoss / n, terms.str(), summary, network, optimiser, epochStart, c.patience,
                     c.timeLimitMinutes, stopReason)) {
      break;
    }
  }
  return run.finish(stopReason);
}

}  // namespace sagitta::models
