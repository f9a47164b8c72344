// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/models/trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <numeric>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>

#include "run_folder.hpp"
#include "sagitta/models/device.hpp"
#include "sagitta/models/errors.hpp"
#include "sagitta/models/input_geometry.hpp"
#include "sagitta/models/network.hpp"
#include "sagitta/models/sample.hpp"

namespace sagitta::models {
namespace fs = std::filesystem;
namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

TrainingData loadLabelledData(const std::optional<PhantomData>& phantom, const std::optional<FolderData>& folder,
                              int h, int w, std::ostream& log, bool validationOnly) {
  TrainingData split;
  if (phantom) {
    const auto t0 = Clock::now();
    if (!validationOnly) split.train = generatePhantomImages(phantom->train, h, w, phantom->threads);
    split.validation = generatePhantomImages(phantom->validation, h, w, phantom->threads);
    log << "phantom: " << split.train.size() << " training cases (seed " << phantom->train.seed << "), "
        << split.validation.size() << " validation cases (seed " << phantom->validation.seed << "), variety "
        << phantom->train.variety << ", at most " << h << "x" << w << ", generated in "
        << std::chrono::duration<double>(Clock::now() - t0).count() << " s\n";
  }
  if (folder) {
    std::size_t train = 0, validation = 0;
    for (auto& image : loadAnnotatedFolder(folder->path, h, w)) {
      const bool held = isValidationPatient(image.patientKey, folder->validationFraction);
      (held ? split.validation : split.train).push_back(std::move(image));
      ++(held ? validation : train);
    }
    log << "folder " << folder->path << ": " << train << " training and " << validation
        << " validation images (split by patient)\n";
  }
  if (split.train.empty() && !validationOnly) throw ConfigError("no training images");
  if (split.validation.empty()) throw ConfigError("no validation images (the split left none)");
  return split;
}

TrainingData loadTrainingData(const TrainConfig& c, std::ostream& log, bool validationOnly) {
  return loadLabelledData(c.phantom, c.folder, static_cast<int>(c.network.inputHeight),
                          static_cast<int>(c.network.inputWidth), log, validationOnly);
}

std::vector<torch::Tensor> predictCoordinates(LandmarkNetworkImpl& network, const std::vector<LabelledImage>& images,
                                              const torch::Device& device, int batchSize) {
  const bool wasTraining = network.is_training();
  network.eval();
  const int h = static_cast<int>(network.config().inputHeight), w = static_cast<int>(network.config().inputWidth);
  std::vector<torch::Tensor> out;
  {
    const torch::InferenceMode guard;
    for (std::size_t start = 0; start < images.size(); start += static_cast<std::size_t>(batchSize)) {
      const auto end = std::min(images.size(), start + static_cast<std::size_t>(batchSize));
      std::vector<torch::Tensor> inputs;
      for (auto i = start; i < end; ++i) inputs.push_back(makeInput(images[i].grey8, h, w));
      const auto coordinates = network.forward(torch::stack(inputs).to(device)).stage2.coordinates.to(torch::kCPU);
      for (auto i = start; i < end; ++i) out.push_back(coordinates[static_cast<int64_t>(i - start)].clone());
    }
  }
  network.train(wasTraining);
  return out;
}

std::vector<ImageErrors> errorsOf(const std::vector<torch::Tensor>& coordinates, const std::vector<LabelledImage>& images,
                                  int inputHeight, int inputWidth) {
  std::vector<ImageErrors> errors;
  for (std::size_t i = 0; i < images.size(); ++i) {
    const auto geometry = InputGeometry::fit(images[i].grey8.size(), inputHeight, inputWidth);
    errors.push_back(imageErrors(toLandmarks(coordinates[i], geometry), images[i].landmarks, images[i].rowSpacingMm,
                                 images[i].columnSpacingMm));
  }
  return errors;
}

std::vector<ImageErrors> validate(LandmarkNetworkImpl& network, const std::vector<LabelledImage>& images,
                                  const torch::Device& device, int batchSize) {
  return errorsOf(predictCoordinates(network, images, device, batchSize), images,
                  static_cast<int>(network.config().inputHeight), static_cast<int>(network.config().inputWidth));
}

TrainResult train(const TrainConfig& c, const std::string& configText, bool resume, std::ostream& console,
                  bool interactive) {
  detail::RunFolder run(c.output, resume, configText,
                        "epoch,learning_rate,loss,wing1,wing2,js,selection_error,median_mm,worst_landmark_median_mm,seconds",
                        console, interactive);
  torch::set_num_threads(c.threads);
  const auto device = resolveDevice(c.device);
  torch::manual_seed(c.seed);
  LandmarkNetwork network(c.network);
  network->to(device);
  torch::optim::Adam optimiser(network->parameters(), torch::optim::AdamOptions(c.learningRate));
  const int epochsDone = run.resumeInto(network, optimiser, device);

  std::ostringstream dataLog;
  const auto data = loadTrainingData(c, dataLog);
  run.log(dataLog.str().substr(0, dataLog.str().size() - 1));
  run.log("network: " + std::to_string(parameterCount(*network)) + " parameters, input " +
          std::to_string(c.network.inputHeight) + "x" + std::to_string(c.network.inputWidth) + ", device " +
          describeDevice(device) + ", " + std::to_string(c.threads) + " threads, heatmap target " +
          heatmapTargetKey(c.loss.target));

  std::string stopReason = "epochs";
  const int h = static_cast<int>(c.network.inputHeight), w = static_cast<int>(c.network.inputWidth);
  const auto steps = (data.train.size() + static_cast<std::size_t>(c.batchSize) - 1) / static_cast<std::size_t>(c.batchSize);
  for (int epoch = epochsDone + 1; epoch <= c.epochs; ++epoch) {
    const double lr = learningRateAt(c, epoch);
    for (auto& group : optimiser.param_groups()) static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
    std::mt19937_64 rng(c.seed * std::uint64_t{1000003} + static_cast<std::uint64_t>(epoch));
    std::vector<std::size_t> order(data.train.size());
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng);

    network->train();
    const auto epochStart = detail::RunFolder::Clock::now();
    double sumLoss = 0.0, sumW1 = 0.0, sumW2 = 0.0, sumJs = 0.0;
    for (std::size_t step = 0; step < steps; ++step) {
      std::vector<torch::Tensor> inputs, targets, visible;
      for (std::size_t b = step * static_cast<std::size_t>(c.batchSize);
           b < std::min(order.size(), (step + 1) * static_cast<std::size_t>(c.batchSize)); ++b) {
        const auto& image = data.train[order[b]];
        auto sample = makeSample(image.grey8, image.landmarks, h, w, Augmentation::draw(c.augmentation, h, w, rng));
        inputs.push_back(sample.input);
        targets.push_back(sample.targets);
        visible.push_back(sample.visible);
      }
      const auto output = network->forward(torch::stack(inputs).to(device));
      const auto terms = landmarkLoss(output.stage1Logits, output.stage2Logits, torch::stack(targets).to(device),
                                      torch::stack(visible).to(device), c.loss);
      optimiser.zero_grad();
      terms.total.backward();
      optimiser.step();
      sumLoss += terms.total.item<double>();
      sumW1 += terms.wingStage1.item<double>();
      sumW2 += terms.wingStage2.item<double>();
      sumJs += terms.jensenShannon.item<double>();
      const double n = static_cast<double>(step + 1);
      std::ostringstream losses;
      losses << std::fixed << std::setprecision(3) << "loss " << sumLoss / n << " (wing1 " << sumW1 / n << ", wing2 "
             << sumW2 / n << ", js " << sumJs / n << ")";
      run.progress(epoch, c.epochs, step, steps, losses.str(), epochStart);
    }
    const auto summary = summarise(validate(*network, data.validation, device, c.batchSize));
    const double n = static_cast<double>(steps);
    std::ostringstream terms;
    terms << sumLoss / n << ',' << sumW1 / n << ',' << sumW2 / n << ',' << sumJs / n;
    if (run.endEpoch(epoch, lr, sumLoss / n, terms.str(), summary, network, optimiser, epochStart, c.patience,
                     c.timeLimitMinutes, stopReason)) {
      break;
    }
  }
  return run.finish(stopReason);
}

}  // namespace sagitta::models
