// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/models/refiner_trainer.hpp"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <random>
#include <sstream>

#include "config_readers.hpp"
#include "run_folder.hpp"
#include "sagitta/models/device.hpp"
#include "sagitta/models/errors.hpp"
#include "sagitta/models/head_pair.hpp"
#include "sagitta/models/head_set_loss.hpp"
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
    r.read("hip_field_scale", c.refiner.hipFieldScale);
    r.read("coarse_input_height", c.coarseInputHeight);
    r.read("coarse_input_width", c.coarseInputWidth);
    r.read("render_rows", c.renderRows);
    r.finish();
    requireRange(c.refiner.patchSize >= 16 && c.refiner.patchSize <= 256 && c.refiner.patchSize % 8 == 0, "refiner.patch_size");
    requireRange(c.refiner.fieldInputPx >= 4.0 && c.refiner.fieldInputPx <= 256.0, "refiner.field_input_px");
    requireRange(c.refiner.baseChannels >= 4 && c.refiner.baseChannels <= 128, "refiner.base_channels");
    requireRange(c.refiner.pyramidChannels >= 4 && c.refiner.pyramidChannels <= 256, "refiner.pyramid_channels");
    requireRange(c.refiner.hipFieldScale >= 1.0 && c.refiner.hipFieldScale <= kMaxHipFieldScale,
                 "refiner.hip_field_scale (1 to " + std::to_string(static_cast<int>(kMaxHipFieldScale)) + ")");
    requireRange(c.coarseInputHeight >= 64 && c.coarseInputWidth >= 32 && c.coarseInputHeight <= 4096 &&
                     c.coarseInputWidth <= 4096, "refiner.coarse_input size");
    requireRange(c.renderRows >= c.coarseInputHeight && c.renderRows <= 16384, "refiner.render_rows");
  }
  detail::readLossSection(top, c.wing, c.target, c.targetSigma, c.jsWeight);
  detail::readDataSection(top, baseFolder, c.phantom, c.folder);
  if (c.phantom && c.phantom->renderRows != 0) {
    throw ConfigError("data.phantom.render_rows is the CPN's; the refiner renders at refiner.render_rows");
  }
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
    a.read("hip_patch_fraction", c.hipPatchFraction);
    a.read("hip_centre_jitter_input_px", c.hipJitterInputPx);
    a.finish();
    requireRange(r.centreJitterInputPx >= 0.0 && r.centreJitterMaxInputPx >= 0.0 &&
                     r.centreJitterMaxInputPx < 0.5 * c.refiner.fieldInputPx && r.rotationDeg >= 0.0 &&
                     r.rotationDeg <= 90.0 && r.scaleMin > 0.2 && r.scaleMax <= 3.0 && r.contrastMin > 0.1 &&
                     r.contrastMax < 10.0 && r.flipProbability >= 0.0 && r.flipProbability <= 1.0,
                 "augmentation values (the centre offset must stay inside the patch)");
    requireRange(c.hipPatchFraction >= 0.0 && c.hipPatchFraction <= 1.0, "augmentation.hip_patch_fraction");
    requireRange(c.hipJitterInputPx < 0.0 || c.hipJitterInputPx <= c.augmentation.centreJitterMaxInputPx,
                 "augmentation.hip_centre_jitter_input_px (at most centre_jitter_max_input_px)");
  }
  if (top.has("training")) {
    Section t(top.at("training"), "training");
    const detail::Schedule schedule{c.epochs, c.batchSize, c.learningRate, c.learningRateDropEpochs,
                                    c.learningRateDropFactor, c.patience, c.seed, c.threads, c.device,
                                    c.timeLimitMinutes};
    detail::readSchedule(t, schedule);
    t.read("steps_per_epoch", c.stepsPerEpoch);
    if (t.has("initial_weights")) {
      t.read("initial_weights", c.initialWeights);
      c.initialWeights = (std::filesystem::path(baseFolder) / c.initialWeights).lexically_normal().string();
    }
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

// One training batch: random films; most patches are centred near one random landmark (its
// truth moved by a drawn offset, as the CPN would miss it), and only that landmark is supervised,
// on its own channel. Supervising its neighbours too taught a channel to answer from patches
// centred elsewhere: a patch on T5's inferior corner shows T5's superior corner one vertebra up,
// a patch on T5's superior corner shows T4's there, and T5_AS jumped a level in 5 % of films.
// The other patches are hip patches (head_pair.hpp): centred between two independently moved
// heads, supervising the hip axis and the head-set map.
struct Batch {
  torch::Tensor inputs, targets, visible;  // [B, 1, P, P], [B, K, 2] normalised, [B, K]
  torch::Tensor heads, headMask;           // [B, 2, 2] normalised, [B]
};

Batch drawBatch(const std::vector<LabelledImage>& images, const RefinerTrainConfig& c, std::mt19937_64& rng) {
  const int size = static_cast<int>(c.refiner.patchSize);
  const auto k = static_cast<int64_t>(core::kLandmarkCount);
  std::uniform_int_distribution<std::size_t> pickImage(0, images.size() - 1);
  std::uniform_int_distribution<std::size_t> pickLandmark(0, core::kLandmarkCount - 1);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<torch::Tensor> inputs;
  auto targets = torch::zeros({c.batchSize, k, 2});
  auto visible = torch::zeros({c.batchSize, k});
  auto heads = torch::zeros({c.batchSize, 2, 2});
  auto headMask = torch::zeros({c.batchSize});
  auto t = targets.accessor<float, 3>();
  auto v = visible.accessor<float, 2>();
  auto hd = heads.accessor<float, 3>();
  auto hm = headMask.accessor<float, 1>();
  const auto normalised = [size](cv::Point2d q) { return patchToNormalised(q, size); };
  const auto inside = [size](cv::Point2d q) { return q.x >= 1.0 && q.x <= size - 1.0 && q.y >= 1.0 && q.y <= size - 1.0; };
  while (static_cast<int>(inputs.size()) < c.batchSize) {
    const auto& image = images[pickImage(rng)];
    const double field = fieldSourcePx(image.grey8.rows, image.grey8.cols, c.coarseInputHeight, c.coarseInputWidth, c.refiner);
    const double perInput = field / c.refiner.fieldInputPx;
    const auto b = static_cast<int64_t>(inputs.size());
    if (unit(rng) < c.hipPatchFraction) {
      const auto& headA = image.landmarks.get(core::LandmarkId::FH_A);
      const auto& headP = image.landmarks.get(core::LandmarkId::FH_P);
      if (!headA || !headP) continue;
      const cv::Point2d a(headA->x, headA->y), p(headP->x, headP->y);
      auto hipRanges = c.augmentation;
      if (c.hipJitterInputPx >= 0.0) hipRanges.centreJitterInputPx = c.hipJitterInputPx;
      const cv::Point2d centre = 0.5 * ((a + offsetDraw(hipRanges, perInput, rng)) + (p + offsetDraw(hipRanges, perInput, rng)));
      const auto patch = extractPatch(image.grey8, centre, field * c.refiner.hipFieldScale, size, c.augmentation.draw(rng));
      const auto qa = patch.sourceToPatch(a), qp = patch.sourceToPatch(p), axis = patch.sourceToPatch(0.5 * (a + p));
      const auto j = static_cast<int64_t>(core::indexOf(kHipAxisChannel));
      t[b][j][0] = static_cast<float>(normalised(axis).x);
      t[b][j][1] = static_cast<float>(normalised(axis).y);
      v[b][j] = inside(axis) ? 1.0F : 0.0F;
      hd[b][0][0] = static_cast<float>(normalised(qa).x);
      hd[b][0][1] = static_cast<float>(normalised(qa).y);
      hd[b][1][0] = static_cast<float>(normalised(qp).x);
      hd[b][1][1] = static_cast<float>(normalised(qp).y);
      hm[b] = inside(qa) && inside(qp) ? 1.0F : 0.0F;
      inputs.push_back(patch.input);
      continue;
    }
    const auto& info = core::landmarkCatalogue()[pickLandmark(rng)];
    const auto& truth = image.landmarks.get(info.id);
    if (!truth || isFemoralHead(info.id)) continue;
    const cv::Point2d centre = cv::Point2d(truth->x, truth->y) + offsetDraw(c.augmentation, perInput, rng);
    const auto patch = extractPatch(image.grey8, centre, field, size, c.augmentation.draw(rng));
    const auto q = patch.sourceToPatch({truth->x, truth->y});
    const auto j = static_cast<int64_t>(core::indexOf(info.id));
    t[b][j][0] = static_cast<float>(normalised(q).x);
    t[b][j][1] = static_cast<float>(normalised(q).y);
    v[b][j] = inside(q) ? 1.0F : 0.0F;
    inputs.push_back(patch.input);
  }
  return {torch::stack(inputs), targets, visible, heads, headMask};
}

// The whole refiner objective: the single-landmark terms and the head-set terms, each weighted by
// its share of the batch.
LossTerms refinerLoss(const torch::Tensor& logits, const Batch& batch, const LossConfig& loss, const torch::Device& device) {
  auto terms = singleStageLoss(logits, batch.targets.to(device), batch.visible.to(device), loss);
  const auto channel = static_cast<int64_t>(core::indexOf(kHeadSetChannel));
  const auto probabilities = dsnt(logits.narrow(1, channel, 1)).probabilities.squeeze(1);
  const auto mask = batch.headMask.to(device);
  const auto head = headSetLoss(probabilities, batch.heads.to(device), mask, loss);
  const auto batchSize = static_cast<double>(logits.size(0));
  const auto singleShare = batch.visible.sum().item<double>() / batchSize, headShare = mask.sum().item<double>() / batchSize;
  terms.wingStage2 = singleShare * terms.wingStage2 + headShare * head.wing;
  terms.jensenShannon = singleShare * terms.jensenShannon + headShare * head.jensenShannon;
  terms.total = terms.wingStage2 + loss.jsWeight * terms.jensenShannon;
  return terms;
}

}  // namespace

TrainResult trainRefiner(const RefinerTrainConfig& c, const std::string& configText, bool resume, std::ostream& console,
                         bool interactive) {
  if (!c.initialWeights.empty() && !std::filesystem::is_regular_file(c.initialWeights)) {
    throw ConfigError("training.initial_weights: " + c.initialWeights + " does not exist");
  }
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
  if (epochsDone == 0 && !c.initialWeights.empty()) {
    try {
      torch::load(network, c.initialWeights, device);
    } catch (const c10::Error& e) {
      throw ConfigError("training.initial_weights: " + c.initialWeights + " is not a refiner of this shape: " +
                        std::string(e.what_without_backtrace()));
    }
    run.log("started from the weights in " + c.initialWeights);
  }

  std::ostringstream dataLog;
  const auto data = loadLabelledData(c.phantom, c.folder, c.renderRows, c.renderRows, dataLog);
  run.log(dataLog.str().substr(0, dataLog.str().size() - 1));
  run.log("refiner: " + std::to_string(parameterCount(*network)) + " parameters, patch " +
          std::to_string(c.refiner.patchSize) + " px over " + std::to_string(c.refiner.fieldInputPx) + " CPN input px (hip x" +
          std::to_string(c.refiner.hipFieldScale) + ", " +
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
      const auto terms = refinerLoss(network->forward(batch.inputs.to(device)), batch, loss, device);
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
