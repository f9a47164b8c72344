// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/models/train_config.hpp"

#include <filesystem>
#include <set>

#include <nlohmann/json.hpp>

#include "sagitta/models/errors.hpp"

namespace sagitta::models {
namespace {

using Json = nlohmann::json;

// Reads the keys of one object, refusing unknown ones.
class Section {
 public:
  Section(const Json& json, std::string where) : json_(json), where_(std::move(where)) {
    if (!json_.is_object()) throw ConfigError(where_ + " must be an object");
  }
  ~Section() = default;
  Section(const Section&) = delete;
  Section& operator=(const Section&) = delete;

  template <typename T>
  void read(const char* key, T& value) {
    known_.insert(key);
    if (!json_.contains(key)) return;
    try {
      value = json_.at(key).get<T>();
    } catch (const Json::exception&) {
      throw ConfigError(where_ + "." + key + " has the wrong type");
    }
  }
  bool has(const char* key) {
    known_.insert(key);
    return json_.contains(key);
  }
  const Json& at(const char* key) const { return json_.at(key); }
  std::string where(const char* key) const { return where_ + "." + key; }
  void finish() const {
    for (const auto& item : json_.items()) {
      if (!known_.count(item.key())) throw ConfigError("unknown key " + where_ + "." + item.key().substr(0, 40));
    }
  }

 private:
  const Json& json_;
  std::string where_;
  std::set<std::string> known_;
};

void requireRange(bool ok, const std::string& what) {
  if (!ok) throw ConfigError(what + " is out of range");
}

void readPair(Section& s, const char* key, double& lo, double& hi) {
  std::vector<double> pair{lo, hi};
  s.read(key, pair);
  if (pair.size() != 2 || pair[0] > pair[1]) throw ConfigError(s.where(key) + " must be [low, high]");
  lo = pair[0];
  hi = pair[1];
}

PhantomSource readPhantom(Section& s, const char* seedKey, const char* countKey, const std::string& variety) {
  PhantomSource p;
  p.variety = variety;
  s.read(seedKey, p.seed);
  s.read(countKey, p.count);
  requireRange(p.count >= 0 && p.count <= 1000000, s.where(countKey));
  return p;
}

}  // namespace

std::string heatmapTargetKey(HeatmapTarget target) {
  switch (target) {
    case HeatmapTarget::Gaussian: return "gaussian";
    case HeatmapTarget::Exponential: return "exponential";
    case HeatmapTarget::None: return "none";
  }
  return "none";
}

TrainConfig parseTrainConfig(const std::string& text, const std::string& baseFolder) {
  Json root;
  try {
    root = Json::parse(text);
  } catch (const Json::parse_error& e) {
    throw ConfigError(std::string("the training configuration is not valid JSON: ") + e.what());
  }
  TrainConfig c;
  Section top(root, "config");
  top.read("name", c.name);
  top.read("output", c.output);
  if (c.output.empty()) throw ConfigError("config.output (the run folder) is required");
  const auto resolve = [&](const std::string& path) {
    const std::filesystem::path p(path);
    return p.is_absolute() ? p.string() : (std::filesystem::path(baseFolder) / p).lexically_normal().string();
  };
  c.output = resolve(c.output);

  if (top.has("network")) {
    Section n(top.at("network"), "network");
    n.read("base_channels", c.network.baseChannels);
    n.read("pyramid_channels", c.network.pyramidChannels);
    n.read("blocks_per_stage", c.network.blocksPerStage);
    n.read("input_height", c.network.inputHeight);
    n.read("input_width", c.network.inputWidth);
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

  if (top.has("loss")) {
    Section l(top.at("loss"), "loss");
    std::string target = "gaussian";
    l.read("heatmap_target", target);
    if (target == "gaussian") c.loss.target = HeatmapTarget::Gaussian;
    else if (target == "exponential") c.loss.target = HeatmapTarget::Exponential;
    else if (target == "none") c.loss.target = HeatmapTarget::None;
    else throw ConfigError("loss.heatmap_target must be gaussian, exponential or none");
    l.read("target_sigma", c.loss.targetSigma);
    l.read("js_weight", c.loss.jsWeight);
    l.read("wing_width", c.loss.wing.width);
    l.read("wing_epsilon", c.loss.wing.epsilon);
    l.finish();
    requireRange(c.loss.targetSigma > 0.0 && c.loss.jsWeight >= 0.0 && c.loss.wing.width > 0.0 && c.loss.wing.epsilon > 0.0,
                 "loss values");
  }

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
      p.finish();
      if (data.train.seed == data.validation.seed) {
        throw ConfigError("data.phantom.validation_seed must differ from data.phantom.seed (held-out patients)");
      }
      c.phantom = data;
    }
    if (d.has("folder")) {
      Section f(d.at("folder"), "data.folder");
      FolderData data;
      f.read("path", data.path);
      f.read("validation_fraction", data.validationFraction);
      f.finish();
      requireRange(data.validationFraction > 0.0 && data.validationFraction < 1.0, "data.folder.validation_fraction");
      if (data.path.empty()) throw ConfigError("data.folder.path is required");
      data.path = resolve(data.path);
      c.folder = data;
    }
    d.finish();
  }
  if (!c.phantom && !c.folder) throw ConfigError("config.data needs a phantom and / or a folder source");

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
    a.finish();
    requireRange(r.scaleMin > 0.2 && r.scaleMax <= 2.0 && r.contrastMin > 0.1 && r.contrastMax < 10.0 &&
                     r.rotationDeg >= 0.0 && r.rotationDeg <= 90.0 && r.flipProbability >= 0.0 && r.flipProbability <= 1.0,
                 "augmentation values");
  }

  if (top.has("training")) {
    Section t(top.at("training"), "training");
    t.read("epochs", c.epochs);
    t.read("batch_size", c.batchSize);
    t.read("learning_rate", c.learningRate);
    t.read("lr_drop_epoch", c.learningRateDropEpoch);
    t.read("lr_drop_factor", c.learningRateDropFactor);
    t.read("patience", c.patience);
    t.read("seed", c.seed);
    t.read("threads", c.threads);
    t.read("device", c.device);
    t.read("time_limit_minutes", c.timeLimitMinutes);
    t.finish();
    requireRange(c.epochs >= 1 && c.batchSize >= 1 && c.batchSize <= 256 && c.learningRate > 0.0 && c.patience >= 1 &&
                     c.threads >= 1 && c.threads <= 256 && c.timeLimitMinutes >= 0.0,
                 "training values");
  }
  top.finish();
  return c;
}

}  // namespace sagitta::models
