// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/models/trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <map>
#include <numeric>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "run_folder.hpp"
#include "sagitta/models/device.hpp"
#include "sagitta/models/errors.hpp"
#include "sagitta/models/field_of_view.hpp"
#include "sagitta/models/input_geometry.hpp"
#include "sagitta/models/losses.hpp"
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
  const int h = static_cast<int>(c.network.inputHeight), w = static_cast<int>(c.network.inputWidth);
  // Films are kept at render_rows when cuts need the detail, at the input size otherwise.
  const int rows = c.phantom && c.phantom->renderRows > 0 ? c.phantom->renderRows : h;
  auto data = loadLabelledData(c.phantom, c.folder, rows, rows * w / h, log, validationOnly);
  if (c.fieldsOfView.anyCut()) {
    // Validation films are cut too, each by its own seeded draw of the training mix, so that
    // model selection and the gate's calibration see the fields of view the model must read.
    std::array<int, kFieldOfViewKinds> counts{};
    for (std::size_t i = 0; i < data.validation.size(); ++i) {
      std::mt19937_64 rng(c.seed * std::uint64_t{7919} + i);
      const auto kind = c.fieldsOfView.draw(rng);
      ++counts[static_cast<std::size_t>(kind)];
      data.validation[i] = reduceToInput(cutToFieldOfView(data.validation[i], kind, c.fieldsOfView, rng), h, w);
    }
    log << "validation fields of view:";
    for (std::size_t k = 0; k < kFieldOfViewKinds; ++k) log << ' ' << fieldOfViewKey(static_cast<FieldOfView>(k)) << ' ' << counts[k];
    log << '\n';
  } else if (rows != h) {
    for (auto& image : data.validation) image = reduceToInput(std::move(image), h, w);
  }
  return data;
}

namespace {

// Copies every tensor of a saved CPN whose name and shape match; returns what was left as built.
std::vector<std::string> loadMatchingWeights(LandmarkNetworkImpl& network, const std::string& path) {
  auto source = network.config();
  std::vector<std::string> left;
  for (const bool presence : {network.config().presence, false}) {
    source.presence = presence;
    LandmarkNetwork saved(source);
    try {
      torch::load(saved, path);
    } catch (const c10::Error&) {
      if (presence) continue;  // saved without the head: try the plain network
      throw ConfigError("training.initial_weights " + path + " is not a CPN of this shape");
    }
    std::map<std::string, torch::Tensor> from;
    for (const auto& p : saved->named_parameters()) from[p.key()] = p.value();
    for (const auto& b : saved->named_buffers()) from[b.key()] = b.value();
    const torch::NoGradGuard guard;
    auto copy = [&](const std::string& key, torch::Tensor& to) {
      const auto f = from.find(key);
      if (f != from.end() && f->second.sizes() == to.sizes()) to.copy_(f->second);
      else left.push_back(key);
    };
    for (auto& p : network.named_parameters()) copy(p.key(), p.value());
    for (auto& b : network.named_buffers()) copy(b.key(), b.value());
    return left;
  }
  return left;
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

std::vector<std::string> writeTrainingPreview(const TrainConfig& c, const std::string& folder, int count) {
  if (!c.phantom) throw ConfigError("--preview needs a phantom data source");
  const int h = static_cast<int>(c.network.inputHeight), w = static_cast<int>(c.network.inputWidth);
  const int rows = c.phantom->renderRows > 0 ? c.phantom->renderRows : h;
  auto source = c.phantom->train;
  source.count = std::min(source.count, std::max(1, count));
  const auto images = generatePhantomImages(source, rows, rows * w / h, c.phantom->threads);
  fs::create_directories(folder);
  std::mt19937_64 rng(c.seed);
  std::vector<std::string> written;
  for (int n = 0; n < count; ++n) {
    const auto& whole = images[static_cast<std::size_t>(n) % images.size()];
    const auto kind = c.fieldsOfView.draw(rng);
    const auto image = cutToFieldOfView(whole, kind, c.fieldsOfView, rng);
    const auto sample = makeSample(image.grey8, image.landmarks, h, w, Augmentation::draw(c.augmentation, h, w, rng));
    auto x = sample.input[0].contiguous();
    const double lo = x.min().item<double>(), hi = x.max().item<double>();
    cv::Mat grey(h, w, CV_32F, x.data_ptr<float>());
    cv::Mat out8, colour;
    grey.convertTo(out8, CV_8U, 255.0 / std::max(1e-3, hi - lo), -255.0 * lo / std::max(1e-3, hi - lo));
    cv::cvtColor(out8, colour, cv::COLOR_GRAY2BGR);
    auto t = sample.targets.accessor<float, 2>();
    auto v = sample.visible.accessor<float, 1>();
    for (int64_t k = 0; k < sample.targets.size(0); ++k) {
      if (v[k] < 0.5F) continue;
      cv::circle(colour, {static_cast<int>((t[k][0] + 1.0F) * 0.5F * static_cast<float>(w)),
                          static_cast<int>((t[k][1] + 1.0F) * 0.5F * static_cast<float>(h))},
                 2, cv::Scalar(0, 255, 0), -1, cv::LINE_AA);
    }
    char name[64];
    std::snprintf(name, sizeof name, "preview_%02d_%s.png", n, std::string(fieldOfViewKey(kind)).c_str());
    const auto path = (fs::path(folder) / name).string();
    if (!cv::imwrite(path, colour)) throw ConfigError("cannot write " + path);
    written.push_back(path);
  }
  return written;
}

std::string presenceReport(LandmarkNetworkImpl& network, const std::vector<LabelledImage>& images,
                           const torch::Device& device, int batchSize) {
  const bool wasTraining = network.is_training();
  network.eval();
  const int h = static_cast<int>(network.config().inputHeight), w = static_cast<int>(network.config().inputWidth);
  long truePresent = 0, falsePresent = 0, trueAbsent = 0, falseAbsent = 0;
  {
    const torch::InferenceMode guard;
    for (std::size_t start = 0; start < images.size(); start += static_cast<std::size_t>(batchSize)) {
      const auto end = std::min(images.size(), start + static_cast<std::size_t>(batchSize));
      std::vector<torch::Tensor> inputs;
      for (auto i = start; i < end; ++i) inputs.push_back(makeInput(images[i].grey8, h, w));
      const auto logits = network.forward(torch::stack(inputs).to(device)).presenceLogits.to(torch::kCPU);
      for (auto i = start; i < end; ++i) {
        for (const auto& info : core::landmarkCatalogue()) {
          const bool said = logits[static_cast<int64_t>(i - start)][static_cast<int64_t>(core::indexOf(info.id))].item<float>() > 0.0F;
          const bool is = images[i].landmarks.has(info.id);
          (is ? (said ? truePresent : falseAbsent) : (said ? falsePresent : trueAbsent))++;
        }
      }
    }
  }
  network.train(wasTraining);
  std::ostringstream s;
  s << "presence on validation: " << truePresent << " present found, " << falseAbsent << " present missed, "
    << trueAbsent << " absent found, " << falsePresent << " absent called present";
  return s.str();
}

TrainResult train(const TrainConfig& c, const std::string& configText, bool resume, std::ostream& console,
                  bool interactive) {
  detail::RunFolder run(c.output, resume, configText,
                        "epoch,learning_rate,loss,wing1,wing2,js,presence,selection_error,median_mm,worst_landmark_median_mm,seconds",
                        console, interactive);
  torch::set_num_threads(c.threads);
  const auto device = resolveDevice(c.device);
  torch::manual_seed(c.seed);
  LandmarkNetwork network(c.network);
  network->to(device);
  torch::optim::Adam optimiser(network->parameters(), torch::optim::AdamOptions(c.learningRate));
  const int epochsDone = run.resumeInto(network, optimiser, device);
  if (epochsDone == 0 && !c.initialWeights.empty()) {
    const auto left = loadMatchingWeights(*network, c.initialWeights);
    std::string note = "started from " + c.initialWeights;
    if (!left.empty()) note += "; " + std::to_string(left.size()) + " tensors new (first: " + left.front() + ")";
    run.log(note);
    network->to(device);
  }

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
    double sumLoss = 0.0, sumW1 = 0.0, sumW2 = 0.0, sumJs = 0.0, sumPresence = 0.0;
    for (std::size_t step = 0; step < steps; ++step) {
      std::vector<torch::Tensor> inputs, targets, visible;
      for (std::size_t b = step * static_cast<std::size_t>(c.batchSize);
           b < std::min(order.size(), (step + 1) * static_cast<std::size_t>(c.batchSize)); ++b) {
        const auto& whole = data.train[order[b]];
        // Without cuts no draw is made, so whole-film configurations keep their random stream.
        const auto kind = c.fieldsOfView.anyCut() ? c.fieldsOfView.draw(rng) : FieldOfView::Whole;
        const auto image = kind == FieldOfView::Whole ? whole : cutToFieldOfView(whole, kind, c.fieldsOfView, rng);
        auto sample = makeSample(image.grey8, image.landmarks, h, w, Augmentation::draw(c.augmentation, h, w, rng));
        inputs.push_back(sample.input);
        targets.push_back(sample.targets);
        visible.push_back(sample.visible);
      }
      const auto output = network->forward(torch::stack(inputs).to(device));
      const auto present = torch::stack(visible).to(device);
      auto terms = landmarkLoss(output.stage1Logits, output.stage2Logits, torch::stack(targets).to(device), present, c.loss);
      if (output.presenceLogits.defined()) {
        // Phantom truth is complete: a landmark not visible is not on the input.
        const auto p = presenceLoss(output.presenceLogits, present);
        terms.total = terms.total + c.loss.presenceWeight * p;
        sumPresence += p.item<double>();
      }
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
             << sumW2 / n << ", js " << sumJs / n << ", presence " << sumPresence / n << ")";
      run.progress(epoch, c.epochs, step, steps, losses.str(), epochStart);
    }
    const auto summary = summarise(validate(*network, data.validation, device, c.batchSize));
    const double n = static_cast<double>(steps);
    std::ostringstream terms;
    terms << sumLoss / n << ',' << sumW1 / n << ',' << sumW2 / n << ',' << sumJs / n << ',' << sumPresence / n;
    if (network->config().presence) run.log("epoch " + std::to_string(epoch) + " " + presenceReport(*network, data.validation, device, c.batchSize));
    if (run.endEpoch(epoch, lr, sumLoss / n, terms.str(), summary, network, optimiser, epochStart, c.patience,
                     c.timeLimitMinutes, stopReason)) {
      break;
    }
  }
  return run.finish(stopReason);
}

}  // namespace sagitta::models
