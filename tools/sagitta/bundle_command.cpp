// SPDX-License-Identifier: GPL-3.0-or-later
// sagitta bundle --member RUN [--member RUN] --out DIR: packages the best epochs of training
// runs as a model bundle. Every member and their average are scored on the first run's
// validation data by eq. 8; the ensemble is kept only when it beats the best single member
// (seeds/000 averages two models). The gate's confidence threshold is set from the spreads
// seen on that validation data. --refiner RUN adds a local refiner run's best epoch (its
// validation score, on offset centres, is recorded with it).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <optional>
#include <ostream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "arguments.hpp"
#include "cli.hpp"
#include "sagitta/core/errors.hpp"
#include "sagitta/models/bundle.hpp"
#include "sagitta/models/device.hpp"
#include "sagitta/models/inference_engine.hpp"
#include "sagitta/models/refiner_trainer.hpp"
#include "sagitta/models/trainer.hpp"

namespace sagitta::cli {
namespace fs = std::filesystem;
namespace {

using Json = nlohmann::ordered_json;

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
  models::TrainConfig config;
  Json state, best, configJson;
  models::LandmarkNetwork network{nullptr};
};

struct RefinerRun {
  fs::path folder;
  models::RefinerTrainConfig config;
  Json configJson, state, best;
  int passes = 1;
};

Json scoreJson(const models::ErrorSummary& s) {
  return Json{{"selection_error", s.selectionError}, {"median_mm", s.medianMmAll}, {"worst_landmark_median_mm", s.worstMedianMm}};
}

}  // namespace

int runBundle(const std::vector<std::string>& args, Streams io) {
  const Arguments arguments(args, {"member", "member2", "refiner", "refiner-passes", "out", "name", "version", "commit"},
                            {"help"});
  if (arguments.flag("help")) {
    io.out << "usage: sagitta bundle --member RUN [--member2 RUN] [--refiner RUN [--refiner-passes N]] --out DIR\n"
              "                      [--name N] [--version V] [--commit SHA]\n";
    return kExitOk;
  }
  std::vector<fs::path> folders{arguments.required("member")};
  if (const auto second = arguments.value("member2")) folders.emplace_back(*second);
  const fs::path out = arguments.required("out");
  const auto device = models::resolveDevice("cpu");
  torch::set_num_threads(static_cast<int>(std::max(1U, std::thread::hardware_concurrency())));

  std::vector<Run> runs;
  for (const auto& folder : folders) {
    Run run;
    run.folder = folder;
    const auto text = readInputFile((folder / "config.json").string(), io.in, 1U << 20U);
    run.configJson = Json::parse(text);
    run.config = models::parseTrainConfig(text, folder.string());
    run.state = Json::parse(readInputFile((folder / "state.json").string(), io.in, 1U << 20U));
    run.best = Json::parse(readInputFile((folder / "best.json").string(), io.in, 1U << 20U));
    run.network = models::LandmarkNetwork(run.config.network);
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
  if (const auto refinerFolder = arguments.value("refiner")) {
    refiner.emplace();
    refiner->folder = *refinerFolder;
    const auto text = readInputFile((refiner->folder / "config.json").string(), io.in, 1U << 20U);
    refiner->configJson = Json::parse(text);
    refiner->config = models::parseRefinerConfig(text, refiner->folder.string());
    if (refiner->config.coarseInputHeight != h || refiner->config.coarseInputWidth != w) {
      throw core::InvalidInput("the refiner was trained for a CPN input of " + std::to_string(refiner->config.coarseInputHeight) +
                               "x" + std::to_string(refiner->config.coarseInputWidth) + ", the members take " +
                               std::to_string(h) + "x" + std::to_string(w));
    }
    refiner->state = Json::parse(readInputFile((refiner->folder / "state.json").string(), io.in, 1U << 20U));
    refiner->best = Json::parse(readInputFile((refiner->folder / "best.json").string(), io.in, 1U << 20U));
    refiner->passes = std::stoi(arguments.value("refiner-passes").value_or("1"));
    if (refiner->passes < 1 || refiner->passes > 4) throw core::InvalidInput("--refiner-passes must be 1 to 4");
  }
  std::ostringstream dataLog;
  const auto data = models::loadTrainingData(runs[0].config, dataLog, true);
  io.err << dataLog.str();

  // Score every member and the average on the validation data.
  std::vector<std::vector<torch::Tensor>> coordinates;
  Json scores = Json::object();
  std::size_t bestSingle = 0;
  double bestSingleError = 1e300;
  for (std::size_t m = 0; m < runs.size(); ++m) {
    coordinates.push_back(models::predictCoordinates(*runs[m].network, data.validation, device, 8));
    const auto s = models::summarise(models::errorsOf(coordinates.back(), data.validation, h, w));
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
    const auto s = models::summarise(models::errorsOf(mean, data.validation, h, w));
    scores["ensemble"] = scoreJson(s);
    if (s.selectionError < bestSingleError) chosen = {0, 1};
  }

  fs::create_directories(out);
  models::BundleManifest manifest;
  manifest.name = arguments.value("name").value_or("sagitta-compact");
  manifest.version = arguments.value("version").value_or("1.0.0");
  manifest.inputHeight = h;
  manifest.inputWidth = w;
  manifest.sourceCommit = arguments.value("commit").value_or("");
  Json training = Json::object();
  Json members = Json::array();
  for (const auto m : chosen) {
    const auto& run = runs[m];
    const auto file = run.config.name + ".pt";
    fs::copy_file(run.folder / "best.pt", out / file, fs::copy_options::overwrite_existing);
    manifest.members.push_back({run.config.name, file, "", run.config.network, models::heatmapTargetKey(run.config.loss.target)});
    members.push_back(Json{{"name", run.config.name},
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
    manifest.refiner = models::BundleRefiner{refiner->config.name, file, "", refiner->config.refiner,
                                             models::heatmapTargetKey(refiner->config.target), refiner->passes};
    training["refiner"] = Json{{"name", refiner->config.name},
                               {"command", "sagitta train --config models/training/" + refiner->config.name + ".json"},
                               {"config", refiner->configJson},
                               {"epochs_run", refiner->state.at("epochs_done")},
                               {"best_epoch", refiner->best.at("epoch")},
                               {"training_seconds", refiner->state.at("elapsed_seconds")}};
  }
  training["hardware"] = cpuModel() + ", " + std::to_string(std::thread::hardware_concurrency()) + " cores, " + models::describeDevice(device);
  training["synthetic_only"] = "trained on Sagitta phantoms; not validated on patient radiographs";
  Json metrics{{"validation_images", data.validation.size()}, {"validation", scores},
               {"kept", std::string(chosen.size() == 2 ? "ensemble of two" : "single member") +
                            (manifest.refiner ? " + local refiner" : "")}};
  if (refiner) {
    // The refiner's own validation (films at its render size), kept apart from the CPN's.
    metrics["refiner_validation"] = Json{{"run", refiner->config.name},
                                         {"centres", "truth moved by the configured offsets (fixed draws)"},
                                         {"selection_error", refiner->best.at("selection_error")},
                                         {"median_mm", refiner->best.at("median_mm")},
                                         {"worst_landmark_median_mm", refiner->best.at("worst_landmark_median_mm")}};
  }
  manifest.metricsJson = metrics.dump();
  manifest.trainingJson = training.dump();
  models::writeBundle(out.string(), manifest);

  // The gate's confidence threshold from the spreads of the bundle on validation films.
  models::InferenceEngine engine(out.string(), {});
  std::vector<cv::Mat> images;
  std::vector<core::Calibration> calibrations;
  for (const auto& image : data.validation) {
    images.push_back(image.grey8);
    calibrations.push_back(core::Calibration::fromSpacing(core::CalibrationKind::PixelSpacing, image.rowSpacingMm,
                                                          image.columnSpacingMm));
  }
  std::vector<double> spreads;
  for (const auto& p : engine.predictBatch(images, calibrations)) spreads.push_back(p.medianSpreadInputPx);
  const double p99 = models::quantile(spreads, 0.99), top = models::quantile(spreads, 1.0);
  manifest.gate.maxMedianSpreadPx = std::max(2.0 * p99, top + 1.0);
  metrics["gate_calibration"] = {{"median_spread_px_median", models::median(spreads)}, {"median_spread_px_p99", p99},
                                 {"median_spread_px_max", top}};
  manifest.metricsJson = metrics.dump();
  const auto sha = models::writeBundle(out.string(), manifest);
  io.out << "bundle " << out.string() << " (" << metrics.at("kept").get<std::string>() << "), sha256 " << sha << "\n" << metrics.dump(2) << "\n";
  return kExitOk;
}

}  // namespace sagitta::cli
