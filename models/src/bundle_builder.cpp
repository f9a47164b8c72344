// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/models/bundle_builder.hpp"

#include <algorithm>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "sagitta/core/errors.hpp"
#include "sagitta/models/bundle.hpp"
#include "sagitta/models/device.hpp"
#include "sagitta/models/inference_engine.hpp"
#include "sagitta/models/localisation_error.hpp"
#include "sagitta/models/read_file.hpp"
#include "sagitta/models/refiner_trainer.hpp"
#include "sagitta/models/trainer.hpp"

namespace sagitta::models {
namespace fs = std::filesystem;
namespace {

using OrderedJson = nlohmann::ordered_json;

std::string cpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  }
  return "unknown CPU";
}

struct Run {
  fs::path folder;
  TrainConfig config;
  OrderedJson state, best, configJson;
  LandmarkNetwork network{nullptr};
};

struct RefinerRun {
  fs::path folder;
  RefinerTrainConfig config;
  OrderedJson configJson, state, best;
  int passes = 1;
};

OrderedJson scoreJson(const ErrorSummary& s) {
  return OrderedJson{{"selection_error", s.selectionError}, {"median_mm", s.medianMmAll}, {"worst_landmark_median_mm", s.worstMedianMm}};
}

std::string runFile(const fs::path& path) {
  auto text = readWholeFile(path.string());
  if (!text) throw core::InvalidInput("cannot read " + path.string() + " (not a finished training run?)");
  return *text;
}

}  // namespace

std::vector<double> referencePitches(const PhantomSource& source, int h, int w) {
  const auto films = generatePhantomImages(source, h, w, 2);
  const auto& centres = core::bodyCentres();
  std::vector<double> sum(centres.size() - 1, 0.0);
  std::vector<int> count(centres.size() - 1, 0);
  for (const auto& film : films) {
    const double toInput = std::min(static_cast<double>(h) / film.grey8.rows, static_cast<double>(w) / film.grey8.cols);
    for (std::size_t i = 0; i + 1 < centres.size(); ++i) {
      const auto& a = film.landmarks.get(centres[i]);
      const auto& b = film.landmarks.get(centres[i + 1]);
      if (!a || !b) continue;
      sum[i] += std::hypot(a->x - b->x, a->y - b->y) * toInput;
      ++count[i];
    }
  }
  for (std::size_t i = 0; i < sum.size(); ++i) {
    if (count[i] == 0) throw core::InvalidInput("no whole validation film to measure the refiner's reference pitch");
    sum[i] /= count[i];
  }
  return sum;
}

BuiltBundle buildBundle(const BundleBuildOptions& options, std::ostream& log) {
  if (options.members.empty() || options.members.size() > 2) throw core::InvalidInput("a bundle has one or two members");
  const auto& folders = options.members;
  const fs::path& out = options.out;
  const auto device = resolveDevice("cpu");
  torch::set_num_threads(static_cast<int>(std::max(1U, std::thread::hardware_concurrency())));

  std::vector<Run> runs;
  for (const auto& folder : folders) {
    Run run;
    run.folder = folder;
    const auto text = runFile(folder / "config.json");
    run.configJson = OrderedJson::parse(text);
    run.config = parseTrainConfig(text, folder.string());
    run.state = OrderedJson::parse(runFile(folder / "state.json"));
    run.best = OrderedJson::parse(runFile(folder / "best.json"));
    run.network = LandmarkNetwork(run.config.network);
    torch::load(run.network, (folder / "best.pt").string());
    run.network->eval();
    if (!runs.empty() && (run.config.network.inputHeight != runs[0].config.network.inputHeight ||
                          run.config.network.inputWidth != runs[0].config.network.inputWidth)) {
      throw core::InvalidInput("ensemble members must share the input size");
    }
    runs.push_back(std::move(run));
  }
  const int h = static_cast<int>(runs[0].config.network.inputHeight), w = static_cast<int>(runs[0].config.network.inputWidth);
  // The refiner run is read and checked before the (long) scoring of the members.
  std::optional<RefinerRun> refiner;
  if (options.refiner) {
    refiner.emplace();
    refiner->folder = *options.refiner;
    const auto text = runFile(refiner->folder / "config.json");
    refiner->configJson = OrderedJson::parse(text);
    refiner->config = parseRefinerConfig(text, refiner->folder.string());
    if (refiner->config.coarseInputHeight != h || refiner->config.coarseInputWidth != w) {
      throw core::InvalidInput("the refiner was trained for a CPN input of " + std::to_string(refiner->config.coarseInputHeight) +
                               "x" + std::to_string(refiner->config.coarseInputWidth) + ", the members take " +
                               std::to_string(h) + "x" + std::to_string(w));
    }
    refiner->state = OrderedJson::parse(runFile(refiner->folder / "state.json"));
    refiner->best = OrderedJson::parse(runFile(refiner->folder / "best.json"));
    refiner->passes = options.refinerPasses;
    if (refiner->passes < 1 || refiner->passes > 4) throw core::InvalidInput("the refiner passes must be 1 to 4");
  }
  const auto data = loadTrainingData(runs[0].config, log, true);

  // Score every member and the average on the validation data.
  std::vector<std::vector<torch::Tensor>> coordinates;
  OrderedJson scores = OrderedJson::object();
  std::size_t bestSingle = 0;
  double bestSingleError = 1e300;
  for (std::size_t m = 0; m < runs.size(); ++m) {
    coordinates.push_back(predictCoordinates(*runs[m].network, data.validation, device, 8));
    const auto s = summarise(errorsOf(coordinates.back(), data.validation, h, w));
    scores[runs[m].config.name] = scoreJson(s);
    if (s.selectionError < bestSingleError) {
      bestSingleError = s.selectionError;
      bestSingle = m;
    }
  }
  std::vector<std::size_t> chosen{bestSingle};
  if (runs.size() == 2) {
    std::vector<torch::Tensor> mean;
    for (std::size_t i = 0; i < data.validation.size(); ++i) mean.push_back(0.5 * (coordinates[0][i] + coordinates[1][i]));
    const auto s = summarise(errorsOf(mean, data.validation, h, w));
    scores["ensemble"] = scoreJson(s);
    if (s.selectionError < bestSingleError) chosen = {0, 1};
  }

  fs::create_directories(out);
  BundleManifest manifest;
  manifest.name = options.name;
  manifest.version = options.version;
  manifest.inputHeight = h;
  manifest.inputWidth = w;
  manifest.sourceCommit = options.commit;
  OrderedJson training = OrderedJson::object();
  OrderedJson members = OrderedJson::array();
  for (const auto m : chosen) {
    const auto& run = runs[m];
    const auto file = run.config.name + ".pt";
    fs::copy_file(run.folder / "best.pt", out / file, fs::copy_options::overwrite_existing);
    manifest.members.push_back({run.config.name, file, "", run.config.network, heatmapTargetKey(run.config.loss.target)});
    members.push_back(OrderedJson{{"name", run.config.name},
                           {"command", "sagitta train --config models/training/" + run.config.name + ".json"},
                           {"config", run.configJson},
                           {"epochs_run", run.state.at("epochs_done")},
                           {"best_epoch", run.best.at("epoch")},
                           {"training_seconds", run.state.at("elapsed_seconds")}});
  }
  training["members"] = members;
  if (refiner) {
    const auto file = refiner->config.name + ".pt";
    fs::copy_file(refiner->folder / "best.pt", out / file, fs::copy_options::overwrite_existing);
    manifest.refiner = BundleRefiner{refiner->config.name, file, "", refiner->config.refiner,
                                             heatmapTargetKey(refiner->config.target), refiner->passes};
    if (runs[0].config.fieldsOfView.anyCut() && runs[0].config.phantom) {
      // Members that read partial films need the refiner's trained scale (refiner_config.hpp).
      manifest.refiner->network.referencePitchInputPx = referencePitches(runs[0].config.phantom->validation, h, w);
      log << "refiner reference pitches from " << runs[0].config.phantom->validation.count << " whole validation films\n";
    }
    training["refiner"] = OrderedJson{{"name", refiner->config.name},
                               {"command", "sagitta train --config models/training/" + refiner->config.name + ".json"},
                               {"config", refiner->configJson},
                               {"epochs_run", refiner->state.at("epochs_done")},
                               {"best_epoch", refiner->best.at("epoch")},
                               {"training_seconds", refiner->state.at("elapsed_seconds")}};
  }
  training["hardware"] = cpuModel() + ", " + std::to_string(std::thread::hardware_concurrency()) + " cores, " + describeDevice(device);
  training["synthetic_only"] = "trained on Sagitta phantoms; not validated on patient radiographs";
  OrderedJson metrics{{"validation_images", data.validation.size()}, {"validation", scores},
               {"kept", std::string(chosen.size() == 2 ? "ensemble of two" : "single member") +
                            (manifest.refiner ? " + local refiner" : "")}};
  if (refiner) {
    // The refiner's own validation (films at its render size), kept apart from the CPN's.
    metrics["refiner_validation"] = OrderedJson{{"run", refiner->config.name},
                                         {"centres", "truth moved by the configured offsets (fixed draws)"},
                                         {"selection_error", refiner->best.at("selection_error")},
                                         {"median_mm", refiner->best.at("median_mm")},
                                         {"worst_landmark_median_mm", refiner->best.at("worst_landmark_median_mm")}};
  }
  manifest.metricsJson = metrics.dump();
  manifest.trainingJson = training.dump();
  writeBundle(out.string(), manifest);

  // The gate's confidence threshold from the spreads of the bundle on validation films.
  InferenceEngine engine(out.string(), {});
  std::vector<cv::Mat> images;
  std::vector<core::Calibration> calibrations;
  for (const auto& image : data.validation) {
    images.push_back(image.grey8);
    calibrations.push_back(core::Calibration::fromSpacing(core::CalibrationKind::PixelSpacing, image.rowSpacingMm,
                                                          image.columnSpacingMm));
  }
  std::vector<double> spreads, spans;
  for (const auto& p : engine.predictBatch(images, calibrations)) {
    spreads.push_back(p.medianSpreadInputPx);
    std::vector<double> ys;
    for (const auto id : core::bodyCentres()) {
      if (const auto& c = p.landmarks.get(id)) ys.push_back(c->y);
    }
    const auto& image = images[spreads.size() - 1];
    if (ys.size() >= 2) spans.push_back((ys.back() - ys.front()) / std::max(1, image.rows));
  }
  const double p99 = quantile(spreads, 0.99), top = quantile(spreads, 1.0);
  manifest.gate.maxMedianSpreadPx = std::max(2.0 * p99, top + 1.0);
  metrics["gate_calibration"] = {{"median_spread_px_median", median(spreads)}, {"median_spread_px_p99", p99},
                                 {"median_spread_px_max", top}};
  if (runs[0].config.fieldsOfView.anyCut()) {
    // Partial films are neither long nor spanned by a whole spine: a detector in landscape is
    // 0.8 as tall as wide, and the span bound is half the smallest seen on the cut validation films.
    manifest.gate.minAspect = 0.75;
    manifest.gate.minSpanFraction = 0.5 * quantile(spans, 0.01);
    metrics["gate_calibration"]["span_fraction_p01"] = quantile(spans, 0.01);
  }
  manifest.metricsJson = metrics.dump();
  const auto sha = writeBundle(out.string(), manifest);
  return {sha, metrics.at("kept").get<std::string>(), manifest.metricsJson};
}

}  // namespace sagitta::models
