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

#include "sagitta/models/device.hpp"
#include "sagitta/models/errors.hpp"
#include "sagitta/models/input_geometry.hpp"
#include "sagitta/models/network.hpp"
#include "sagitta/models/sample.hpp"

namespace sagitta::models {
namespace fs = std::filesystem;
namespace {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

std::string duration(double seconds) {
  const auto s = static_cast<long>(std::max(0.0, seconds));
  char text[32];
  if (s >= 3600) std::snprintf(text, sizeof text, "%ldh%02ldm", s / 3600, (s / 60) % 60);
  else std::snprintf(text, sizeof text, "%ldm%02lds", s / 60, s % 60);
  return text;
}

void writeAtomically(const fs::path& path, const std::string& text) {
  const auto tmp = fs::path(path.string() + ".tmp");
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) throw ConfigError("cannot write " + tmp.string());
  }
  fs::rename(tmp, path);
}

template <typename T>
void saveAtomically(const T& object, const fs::path& path) {
  const auto tmp = fs::path(path.string() + ".tmp");
  torch::save(object, tmp.string());
  fs::rename(tmp, path);
}

}  // namespace

TrainingData loadTrainingData(const TrainConfig& c, std::ostream& log, bool validationOnly) {
  TrainingData split;
  const int h = static_cast<int>(c.network.inputHeight), w = static_cast<int>(c.network.inputWidth);
  if (c.phantom) {
    const auto t0 = Clock::now();
    if (!validationOnly) split.train = generatePhantomImages(c.phantom->train, h, w, c.phantom->threads);
    split.validation = generatePhantomImages(c.phantom->validation, h, w, c.phantom->threads);
    log << "phantom: " << split.train.size() << " training cases (seed " << c.phantom->train.seed << "), "
        << split.validation.size() << " validation cases (seed " << c.phantom->validation.seed << "), variety "
        << c.phantom->train.variety << ", generated in "
        << std::chrono::duration<double>(Clock::now() - t0).count() << " s\n";
  }
  if (c.folder) {
    auto images = loadAnnotatedFolder(c.folder->path, h, w);
    std::size_t train = 0, validation = 0;
    for (auto& image : images) {
      if (isValidationPatient(image.patientKey, c.folder->validationFraction)) {
        split.validation.push_back(std::move(image));
        ++validation;
      } else {
        split.train.push_back(std::move(image));
        ++train;
      }
    }
    log << "folder " << c.folder->path << ": " << train << " training and " << validation
        << " validation images (split by patient)\n";
  }
  if (split.train.empty() && !validationOnly) throw ConfigError("no training images");
  if (split.validation.empty()) throw ConfigError("no validation images (the split left none)");
  return split;
}

namespace {

Json stateJson(int epoch, double best, int bestEpoch, int stale, double lr, double elapsed) {
  return Json{{"epochs_done", epoch}, {"best_selection_error", best}, {"best_epoch", bestEpoch},
              {"epochs_without_improvement", stale}, {"learning_rate", lr}, {"elapsed_seconds", elapsed}};
}

Json summaryJson(const ErrorSummary& s, int epoch) {
  Json perLandmark = Json::object();
  for (const auto& info : core::landmarkCatalogue()) {
    const auto i = core::indexOf(info.id);
    perLandmark[std::string(info.key)] = {{"median_mm", s.medianMm[i]}, {"median_weighted", s.medianWeighted[i]}};
  }
  return Json{{"epoch", epoch}, {"selection_error", s.selectionError}, {"median_mm", s.medianMmAll},
              {"worst_landmark_median_mm", s.worstMedianMm}, {"landmarks", perLandmark}};
}

}  // namespace

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
  const auto started = Clock::now();
  const fs::path out(c.output);
  fs::create_directories(out);
  const bool hasState = fs::exists(out / "state.json");
  if (hasState && !resume) {
    throw ConfigError("run folder " + out.string() + " already holds a run: pass --resume, or choose another output");
  }
  std::ofstream logFile(out / "train.log", std::ios::app);
  auto log = [&](const std::string& line) {
    logFile << line << '\n';
    logFile.flush();
    console << (interactive ? "\r\033[K" : "") << line << '\n';
    console.flush();
  };

  torch::set_num_threads(c.threads);
  const auto device = resolveDevice(c.device);
  torch::manual_seed(c.seed);
  LandmarkNetwork network(c.network);
  network->to(device);
  torch::optim::Adam optimiser(network->parameters(), torch::optim::AdamOptions(c.learningRate));

  int epochsDone = 0, bestEpoch = 0, stale = 0;
  double best = std::numeric_limits<double>::infinity(), elapsedBefore = 0.0;
  if (hasState) {
    std::ifstream in(out / "state.json");
    const auto state = Json::parse(in);
    epochsDone = state.at("epochs_done").get<int>();
    best = state.at("best_selection_error").get<double>();
    bestEpoch = state.at("best_epoch").get<int>();
    stale = state.at("epochs_without_improvement").get<int>();
    elapsedBefore = state.at("elapsed_seconds").get<double>();
    torch::load(network, (out / "last.pt").string(), device);
    torch::load(optimiser, (out / "last-optimizer.pt").string(), device);
    log("resumed after epoch " + std::to_string(epochsDone) + " (best " + std::to_string(best) + " at epoch " +
        std::to_string(bestEpoch) + ")");
  } else {
    writeAtomically(out / "config.json", configText);
    std::ofstream(out / "history.csv") << "epoch,learning_rate,loss,wing1,wing2,js,selection_error,median_mm,"
                                          "worst_landmark_median_mm,seconds\n";
  }

  std::ostringstream dataLog;
  const auto data = loadTrainingData(c, dataLog);
  log(dataLog.str().substr(0, dataLog.str().size() - 1));
  log("network: " + std::to_string(parameterCount(*network)) + " parameters, input " +
      std::to_string(c.network.inputHeight) + "x" + std::to_string(c.network.inputWidth) + ", device " +
      describeDevice(device) + ", " + std::to_string(c.threads) + " threads, heatmap target " +
      heatmapTargetKey(c.loss.target));

  TrainResult result;
  result.stopReason = "epochs";
  const int h = static_cast<int>(c.network.inputHeight), w = static_cast<int>(c.network.inputWidth);
  const auto steps = (data.train.size() + static_cast<std::size_t>(c.batchSize) - 1) / static_cast<std::size_t>(c.batchSize);
  for (int epoch = epochsDone + 1; epoch <= c.epochs; ++epoch) {
    const double lr = epoch > c.learningRateDropEpoch ? c.learningRate * c.learningRateDropFactor : c.learningRate;
    for (auto& group : optimiser.param_groups()) static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
    std::mt19937_64 rng(c.seed * std::uint64_t{1000003} + static_cast<std::uint64_t>(epoch));
    std::vector<std::size_t> order(data.train.size());
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng);

    network->train();
    const auto epochStart = Clock::now();
    auto lastDraw = epochStart - std::chrono::hours(1);
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
      const auto now = Clock::now();
      const double n = static_cast<double>(step + 1);
      if (now - lastDraw > std::chrono::seconds(interactive ? 1 : 60) || step + 1 == steps) {
        lastDraw = now;
        const double spent = std::chrono::duration<double>(now - epochStart).count();
        const double perStep = spent / n;
        const int filled = static_cast<int>(20.0 * n / static_cast<double>(steps));
        std::ostringstream line;
        line << "epoch " << epoch << "/" << c.epochs << " [" << std::string(static_cast<std::size_t>(filled), '#')
             << std::string(static_cast<std::size_t>(20 - filled), '.') << "] " << (step + 1) << "/" << steps
             << std::fixed << std::setprecision(3) << " loss " << sumLoss / n << " (wing1 " << sumW1 / n << ", wing2 "
             << sumW2 / n << ", js " << sumJs / n << ") " << std::setprecision(2) << perStep << " s/step, ETA "
             << duration(perStep * static_cast<double>(steps - step - 1)) << " epoch / "
             << duration(perStep * static_cast<double>(steps) * (c.epochs - epoch) + perStep * static_cast<double>(steps - step - 1))
             << " run";
        console << (interactive ? "\r\033[K" : "") << line.str() << (interactive ? "" : "\n");
        console.flush();
      }
    }

    const auto summary = summarise(validate(*network, data.validation, device, c.batchSize));
    const double seconds = std::chrono::duration<double>(Clock::now() - epochStart).count();
    const double n = static_cast<double>(steps);
    std::ofstream(out / "history.csv", std::ios::app)
        << epoch << ',' << lr << ',' << sumLoss / n << ',' << sumW1 / n << ',' << sumW2 / n << ',' << sumJs / n << ','
        << summary.selectionError << ',' << summary.medianMmAll << ',' << summary.worstMedianMm << ',' << seconds << '\n';
    const bool improved = summary.selectionError < best;
    if (improved) {
      best = summary.selectionError;
      bestEpoch = epoch;
      stale = 0;
      saveAtomically(network, out / "best.pt");
      writeAtomically(out / "best.json", summaryJson(summary, epoch).dump(2));
    } else {
      ++stale;
    }
    saveAtomically(network, out / "last.pt");
    saveAtomically(optimiser, out / "last-optimizer.pt");
    const double elapsed = elapsedBefore + std::chrono::duration<double>(Clock::now() - started).count();
    writeAtomically(out / "state.json", stateJson(epoch, best, bestEpoch, stale, lr, elapsed).dump(2));
    std::ostringstream line;
    line << std::fixed << std::setprecision(3) << "epoch " << epoch << ": loss " << sumLoss / n
         << ", validation selection error (eq. 8) " << summary.selectionError << ", median " << summary.medianMmAll
         << " mm, worst landmark median " << summary.worstMedianMm << " mm" << (improved ? " (best)" : "") << ", "
         << duration(seconds);
    log(line.str());
    result.epochsRun = epoch;
    if (stale >= c.patience) {
      result.stopReason = "early stopping";
      break;
    }
    if (c.timeLimitMinutes > 0.0 && elapsed > c.timeLimitMinutes * 60.0) {
      result.stopReason = "time limit";
      break;
    }
  }
  result.bestEpoch = bestEpoch;
  result.bestSelectionError = best;
  if (fs::exists(out / "best.json")) {
    std::ifstream in(out / "best.json");
    result.bestMedianMm = Json::parse(in).at("median_mm").get<double>();
  }
  result.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  log("stopped (" + result.stopReason + ") after epoch " + std::to_string(result.epochsRun) + "; best epoch " +
      std::to_string(bestEpoch));
  return result;
}

}  // namespace sagitta::models
