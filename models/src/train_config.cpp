// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/models/train_config.hpp"

#include <algorithm>
#include <filesystem>
#include <set>

#include <nlohmann/json.hpp>

#include "config_readers.hpp"
#include "sagitta/models/errors.hpp"

namespace sagitta::models {
namespace {

using Json = nlohmann::json;
using detail::Section;
using detail::readPair;
using detail::requireRange;

}  // namespace

double steppedLearningRate(double rate, const std::vector<int>& dropEpochs, double factor, int epoch) {
  for (const int drop : dropEpochs) rate *= epoch > drop ? factor : 1.0;
  return rate;
}

double learningRateAt(const TrainConfig& c, int epoch) {
  return steppedLearningRate(c.learningRate, c.learningRateDropEpochs, c.learningRateDropFactor, epoch);
}

std::string heatmapTargetKey(HeatmapTarget target) {
  switch (target) {
    case HeatmapTarget::Gaussian: return "gaussian";
    case HeatmapTarget::Exponential: return "exponential";
    case HeatmapTarget::None: return "none";
  }
  return "none";
}

TrainConfig parseTrainConfig(const std::string& text, const std::string& baseFolder) {
  const auto root = detail::parseConfigDocument(text);
  TrainConfig c;
  Section top(root, "config");
  top.read("name", c.name);
  c.output = detail::readOutput(top, baseFolder);

  if (top.has("network")) {
    Section n(top.at("network"), "network");
    n.read("base_channels", c.network.baseChannels);
    n.read("pyramid_channels", c.network.pyramidChannels);
    n.read("blocks_per_stage", c.network.blocksPerStage);
    n.read("input_height", c.network.inputHeight);
    n.read("input_width", c.network.inputWidth);
    n.read("presence", c.network.presence);
    n.finish();
    requireRange(c.network.baseChannels >= 4 && c.network.baseChannels <= 256, "network.base_channels");
    requireRange(c.network.pyramidChannels >= 8 && c.network.pyramidChannels <= 512, "network.pyramid_channels");
    requireRange(c.network.blocksPerStage >= 0 && c.network.blocksPerStage <= 8, "network.blocks_per_stage");
    requireRange(c.network.inputHeight % 32 == 0 && c.network.inputWidth % 32 == 0 && c.network.inputHeight >= 128 &&
                     c.network.inputWidth >= 64 && c.network.inputHeight <= 2048 && c.network.inputWidth <= 2048,
                 "network input size (multiples of 32, 128..2048 x 64..2048)");
  }
  c.loss.inputHeight = static_cast<double>(c.network.inputHeight);
  c.loss.inputWidth = static_cast<double>(c.network.inputWidth);

  detail::readLossSection(top, c.loss.wing, c.loss.target, c.loss.targetSigma, c.loss.jsWeight, &c.loss.presenceWeight);
  detail::readDataSection(top, baseFolder, c.phantom, c.folder);

  if (top.has("augmentation")) {
    Section a(top.at("augmentation"), "augmentation");
    auto& r = c.augmentation;
    readPair(a, "scale", r.scaleMin, r.scaleMax);
    readPair(a, "contrast", r.contrastMin, r.contrastMax);
    a.read("rotation_deg", r.rotationDeg);
    a.read("shift_fraction", r.shiftFraction);
    a.read("blur_sigma_max", r.blurSigmaMax);
    a.read("noise_max", r.noiseMax);
    a.read("flip_probability", r.flipProbability);
    if (a.has("film")) {
      Section f(a.at("film"), "augmentation.film");
      auto& v = r.film;
      f.read("curve_probability", v.curveProbability);
      f.read("equalisation_probability", v.equalisationProbability);
      f.read("unsharp_probability", v.unsharpProbability);
      f.read("unsharp_gain_max", v.unsharpGainMax);
      f.read("downscale_probability", v.downscaleProbability);
      f.read("jpeg_probability", v.jpegProbability);
      f.read("text_probability", v.textProbability);
      f.finish();
      for (const double p : {v.curveProbability, v.equalisationProbability, v.unsharpProbability, v.downscaleProbability,
                             v.jpegProbability, v.textProbability}) {
        requireRange(p >= 0.0 && p <= 1.0, "augmentation.film probabilities (0..1)");
      }
      requireRange(v.unsharpGainMax >= 0.3 && v.unsharpGainMax <= 5.0, "augmentation.film.unsharp_gain_max (0.3..5)");
    }
    a.finish();
    requireRange(r.scaleMin > 0.2 && r.scaleMax <= 2.0 && r.contrastMin > 0.1 && r.contrastMax < 10.0 &&
                     r.rotationDeg >= 0.0 && r.rotationDeg <= 90.0 && r.flipProbability >= 0.0 && r.flipProbability <= 1.0,
                 "augmentation values");
  }

  if (top.has("fields_of_view")) {
    Section f(top.at("fields_of_view"), "fields_of_view");
    for (std::size_t k = 0; k < kFieldOfViewKinds; ++k) {
      const std::string key(fieldOfViewKey(static_cast<FieldOfView>(k)));
      c.fieldsOfView.weights[k] = 0.0;
      f.read(key.c_str(), c.fieldsOfView.weights[k]);
      requireRange(c.fieldsOfView.weights[k] >= 0.0, "fields_of_view." + key);
    }
    readPair(f, "width_ratio", c.fieldsOfView.widthRatioMin, c.fieldsOfView.widthRatioMax);
    f.finish();
    double total = 0.0;
    for (const double w : c.fieldsOfView.weights) total += w;
    requireRange(total > 0.0 && c.fieldsOfView.widthRatioMin > 0.1 && c.fieldsOfView.widthRatioMax <= 4.0 &&
                     c.fieldsOfView.widthRatioMin <= c.fieldsOfView.widthRatioMax,
                 "fields_of_view (weights summing above 0, width_ratio 0.1..4)");
  }

  if (top.has("training")) {
    Section t(top.at("training"), "training");
    if (t.has("initial_weights")) {
      t.read("initial_weights", c.initialWeights);
      c.initialWeights = detail::resolveConfigPath(baseFolder, c.initialWeights);
    }
    const detail::Schedule schedule{c.epochs, c.batchSize, c.learningRate, c.learningRateDropEpochs,
                                    c.learningRateDropFactor, c.patience, c.seed, c.threads, c.device,
                                    c.timeLimitMinutes};
    detail::readSchedule(t, schedule);
    t.finish();
    detail::checkSchedule(schedule, 256);
  }
  top.finish();
  return c;
}

namespace detail {

namespace {

PhantomSource readPhantom(Section& s, const char* seedKey, const char* countKey, const std::string& variety) {
  PhantomSource p;
  p.variety = variety;
  s.read(seedKey, p.seed);
  s.read(countKey, p.count);
  requireRange(p.count >= 0 && p.count <= 1000000, s.where(countKey));
  return p;
}

}  // namespace

Json parseConfigDocument(const std::string& text) {
  try {
    return Json::parse(text);
  } catch (const Json::parse_error& e) {
    throw ConfigError(std::string("the training configuration is not valid JSON: ") + e.what());
  }
}

std::string resolveConfigPath(const std::string& baseFolder, const std::string& path) {
  const std::filesystem::path p(path);
  return p.is_absolute() ? p.string() : (std::filesystem::path(baseFolder) / p).lexically_normal().string();
}

std::string readOutput(Section& top, const std::string& baseFolder) {
  std::string output;
  top.read("output", output);
  if (output.empty()) throw ConfigError("config.output (the run folder) is required");
  return resolveConfigPath(baseFolder, output);
}

void readLossSection(Section& top, WingParameters& wing, HeatmapTarget& target, double& targetSigma, double& jsWeight,
                     double* presenceWeight) {
  if (!top.has("loss")) return;
  Section l(top.at("loss"), "loss");
  std::string key = heatmapTargetKey(target);
  l.read("heatmap_target", key);
  if (key == "gaussian") target = HeatmapTarget::Gaussian;
  else if (key == "exponential") target = HeatmapTarget::Exponential;
  else if (key == "none") target = HeatmapTarget::None;
  else throw ConfigError("loss.heatmap_target must be gaussian, exponential or none");
  l.read("target_sigma", targetSigma);
  l.read("js_weight", jsWeight);
  l.read("wing_width", wing.width);
  l.read("wing_epsilon", wing.epsilon);
  if (presenceWeight) {
    l.read("presence_weight", *presenceWeight);
    requireRange(*presenceWeight >= 0.0, "loss.presence_weight");
  }
  l.finish();
  requireRange(targetSigma > 0.0 && jsWeight >= 0.0 && wing.width > 0.0 && wing.epsilon > 0.0, "loss values");
}

void readDataSection(Section& top, const std::string& baseFolder, std::optional<PhantomData>& phantom,
                     std::optional<FolderData>& folder) {
  if (top.has("data")) {
    Section d(top.at("data"), "data");
    if (d.has("phantom")) {
      Section p(d.at("phantom"), "data.phantom");
      std::string variety = "mixed";
      p.read("variety", variety);
      PhantomData data;
      data.train = readPhantom(p, "seed", "count", variety);
      data.validation = readPhantom(p, "validation_seed", "validation_count", variety);
      p.read("threads", data.threads);
      p.read("render_rows", data.renderRows);
      p.finish();
      requireRange(data.renderRows == 0 || (data.renderRows >= 64 && data.renderRows <= 8192), "data.phantom.render_rows");
      if (data.train.seed == data.validation.seed) {
        throw ConfigError("data.phantom.validation_seed must differ from data.phantom.seed (held-out patients)");
      }
      phantom = data;
    }
    if (d.has("folder")) {
      Section f(d.at("folder"), "data.folder");
      FolderData data;
      f.read("path", data.path);
      f.read("validation_fraction", data.validationFraction);
      f.finish();
      requireRange(data.validationFraction > 0.0 && data.validationFraction < 1.0, "data.folder.validation_fraction");
      if (data.path.empty()) throw ConfigError("data.folder.path is required");
      data.path = resolveConfigPath(baseFolder, data.path);
      folder = data;
    }
    d.finish();
  }
  if (!phantom && !folder) throw ConfigError("config.data needs a phantom and / or a folder source");
}

void readSchedule(Section& t, const Schedule& s) {
  t.read("epochs", s.epochs);
  t.read("batch_size", s.batchSize);
  t.read("learning_rate", s.learningRate);
  if (t.has("lr_drop_epoch")) {
    const auto& drop = t.at("lr_drop_epoch");
    if (drop.is_number_integer()) s.dropEpochs = {drop.get<int>()};
    else if (drop.is_array() && std::all_of(drop.begin(), drop.end(), [](const Json& e) { return e.is_number_integer(); }))
      s.dropEpochs = drop.get<std::vector<int>>();
    else throw ConfigError("training.lr_drop_epoch must be an epoch or a list of epochs");
  }
  t.read("lr_drop_factor", s.dropFactor);
  t.read("patience", s.patience);
  t.read("seed", s.seed);
  t.read("threads", s.threads);
  t.read("device", s.device);
  t.read("time_limit_minutes", s.timeLimitMinutes);
}

void checkSchedule(const Schedule& s, int maxBatch) {
  requireRange(s.epochs >= 1 && s.batchSize >= 1 && s.batchSize <= maxBatch && s.learningRate > 0.0 && s.patience >= 1 &&
                   s.threads >= 1 && s.threads <= 256 && s.timeLimitMinutes >= 0.0,
               "training values");
}

}  // namespace detail

}  // namespace sagitta::models
