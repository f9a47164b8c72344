// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/models/bundle.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "sagitta/core/landmark_catalogue.hpp"
#include "sagitta/core/sha256.hpp"
#include "sagitta/models/errors.hpp"
#include "sagitta/models/read_file.hpp"

namespace sagitta::models {
namespace fs = std::filesystem;
namespace {

using Json = nlohmann::ordered_json;

std::string readFile(const fs::path& path) {
  auto text = readWholeFile(path.string());
  if (!text) throw BundleError("cannot read " + path.string());
  return std::move(*text);
}

Json networkJson(const NetworkConfig& n) {
  Json j{{"base_channels", n.baseChannels}, {"pyramid_channels", n.pyramidChannels},
         {"blocks_per_stage", n.blocksPerStage}, {"input_height", n.inputHeight},
         {"input_width", n.inputWidth}, {"landmarks", n.landmarks}};
  if (n.presence) j["presence"] = true;  // absent in format 4 bundles: no presence head
  return j;
}

NetworkConfig networkFromJson(const Json& j) {
  NetworkConfig n;
  n.baseChannels = j.at("base_channels").get<int64_t>();
  n.pyramidChannels = j.at("pyramid_channels").get<int64_t>();
  n.blocksPerStage = j.at("blocks_per_stage").get<int64_t>();
  n.inputHeight = j.at("input_height").get<int64_t>();
  n.inputWidth = j.at("input_width").get<int64_t>();
  n.landmarks = j.at("landmarks").get<int64_t>();
  n.presence = j.value("presence", false);
  if (n.baseChannels < 1 || n.baseChannels > 512 || n.pyramidChannels < 1 || n.pyramidChannels > 1024 ||
      n.blocksPerStage < 0 || n.blocksPerStage > 16 || n.inputHeight < 32 || n.inputWidth < 32 ||
      n.inputHeight > 4096 || n.inputWidth > 4096 || n.inputHeight % 32 != 0 || n.inputWidth % 32 != 0) {
    throw BundleError("a member's network configuration is out of range");
  }
  return n;
}

Json refinerJson(const BundleRefiner& r) {
  Json j{{"name", r.name}, {"file", r.file}, {"sha256", r.sha256}, {"heatmap_target", r.heatmapTarget},
              {"passes", r.passes},
              {"network", {{"patch_size", r.network.patchSize}, {"field_input_px", r.network.fieldInputPx},
                           {"base_channels", r.network.baseChannels}, {"pyramid_channels", r.network.pyramidChannels},
                           {"hip_field_scale", r.network.hipFieldScale}, {"landmarks", r.network.landmarks}}}};
  if (!r.network.referencePitchInputPx.empty()) j["network"]["reference_pitch_input_px"] = r.network.referencePitchInputPx;
  return j;
}

BundleRefiner refinerFromJson(const Json& j) {
  BundleRefiner r;
  r.name = j.at("name").get<std::string>();
  r.file = j.at("file").get<std::string>();
  r.sha256 = j.at("sha256").get<std::string>();
  r.heatmapTarget = j.at("heatmap_target").get<std::string>();
  r.passes = j.value("passes", 1);
  if (r.passes < 1 || r.passes > 4) throw BundleError("the refiner's passes must be 1 to 4");
  const auto& n = j.at("network");
  r.network.patchSize = n.at("patch_size").get<int64_t>();
  r.network.fieldInputPx = n.at("field_input_px").get<double>();
  r.network.baseChannels = n.at("base_channels").get<int64_t>();
  r.network.pyramidChannels = n.at("pyramid_channels").get<int64_t>();
  r.network.landmarks = n.at("landmarks").get<int64_t>();
  r.network.hipFieldScale = n.value("hip_field_scale", 1.0);  // format 3 refiners: one field for all
  if (n.contains("reference_pitch_input_px")) {
    r.network.referencePitchInputPx = n.at("reference_pitch_input_px").get<std::vector<double>>();
    if (r.network.referencePitchInputPx.size() != core::bodyCentres().size() - 1 ||
        std::any_of(r.network.referencePitchInputPx.begin(), r.network.referencePitchInputPx.end(),
                    [](double v) { return !(v > 0.0 && v < 1e4); })) {
      throw BundleError("the refiner's reference_pitch_input_px must be 22 positive distances");
    }
  }
  if (r.network.patchSize < 16 || r.network.patchSize > 512 || r.network.patchSize % 8 != 0 ||
      !(r.network.fieldInputPx >= 1.0 && r.network.fieldInputPx <= 1024.0) || r.network.baseChannels < 1 ||
      r.network.baseChannels > 512 || r.network.pyramidChannels < 1 || r.network.pyramidChannels > 1024 ||
      !(r.network.hipFieldScale >= 1.0 && r.network.hipFieldScale <= kMaxHipFieldScale)) {
    throw BundleError("the refiner's network configuration is out of range");
  }
  return r;
}

void requirePlainFile(const std::string& file) {
  if (file.empty() || file.find("..") != std::string::npos || file[0] == '/') {
    throw BundleError("weights file names must be plain names inside the bundle folder");
  }
}

// Loads weights into a freshly built network after checking their sha256, and checks every
// tensor's shape (torch::load replaces tensors whatever their shape).
template <typename Network>
void loadWeights(Network& network, const std::string& folder, const std::string& file, const std::string& sha256,
                 const std::string& name, const torch::Device& device) {
  const auto path = (fs::path(folder) / file).string();
  if (fileSha256(path) != sha256) {
    throw BundleError("weights " + file + " do not match their sha256 in bundle.json (corrupt or replaced)");
  }
  std::map<std::string, std::vector<int64_t>> expected;
  for (const auto& p : network->named_parameters()) expected[p.key()] = p.value().sizes().vec();
  for (const auto& b : network->named_buffers()) expected[b.key()] = b.value().sizes().vec();
  try {
    torch::load(network, path, device);
  } catch (const c10::Error& e) {
    throw BundleError("weights " + file + " do not fit " + name + "'s network: " +
                      std::string(e.what_without_backtrace()).substr(0, 200));
  }
  std::size_t seen = 0;
  const auto check = [&](const std::string& key, const torch::Tensor& t) {
    const auto e = expected.find(key);
    if (e == expected.end() || e->second != t.sizes().vec()) {
      throw BundleError("weights " + file + " do not fit " + name + "'s network (" + key + ")");
    }
    ++seen;
  };
  for (const auto& p : network->named_parameters()) check(p.key(), p.value());
  for (const auto& b : network->named_buffers()) check(b.key(), b.value());
  if (seen != expected.size()) throw BundleError("weights " + file + " do not fit " + name + "'s network");
  network->to(device);
  network->eval();
}

}  // namespace

std::string fileSha256(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw BundleError("cannot read " + path);
  core::Sha256 hash;
  char chunk[1 << 16];
  while (in.read(chunk, sizeof chunk) || in.gcount() > 0) hash.update(chunk, static_cast<std::size_t>(in.gcount()));
  return core::toHex(hash.finish());
}

std::string manifestToJson(const BundleManifest& m) {
  Json landmarks = Json::array();
  for (const auto& info : core::landmarkCatalogue()) landmarks.push_back(std::string(info.key));
  Json members = Json::array();
  for (const auto& member : m.members) {
    members.push_back(Json{{"name", member.name}, {"file", member.file}, {"sha256", member.sha256},
                           {"heatmap_target", member.heatmapTarget}, {"network", networkJson(member.network)}});
  }
  const Json root{
      {"format", "sagitta-model-bundle"},
      {"format_version", m.formatVersion},
      {"name", m.name},
      {"version", m.version},
      {"input", {{"height", m.inputHeight}, {"width", m.inputWidth}, {"channels", 1}, {"normalisation", kNormalisation}}},
      {"output", m.refiner ? "stage-2 DSNT coordinates averaged over the members, then moved by the local refiner"
                           : "stage-2 DSNT coordinates, averaged over the members"},
      {"landmarks", landmarks},
      {"members", members},
      {"refiner", m.refiner ? refinerJson(*m.refiner) : Json()},
      {"gate",
       {{"min_aspect", m.gate.minAspect},
        {"max_median_spread_px", m.gate.maxMedianSpreadPx},
        {"min_contrast", m.gate.minContrast},
        {"min_span_fraction", m.gate.minSpanFraction},
        {"max_frontal_symmetry", m.gate.maxFrontalSymmetry}}},
      {"training", Json::parse(m.trainingJson)},
      {"metrics", Json::parse(m.metricsJson)},
      {"source_commit", m.sourceCommit}};
  return root.dump(2) + "\n";
}

BundleManifest manifestFromJson(const std::string& text) {
  Json root;
  try {
    root = Json::parse(text);
  } catch (const Json::parse_error&) {
    throw BundleError("bundle.json is not valid JSON (truncated or not a bundle)");
  }
  try {
    if (!root.is_object() || root.value("format", std::string()) != "sagitta-model-bundle") {
      throw BundleError("bundle.json is not a Sagitta model bundle");
    }
    BundleManifest m;
    m.formatVersion = root.at("format_version").get<int>();
    if (m.formatVersion < kOldestBundleFormatVersion || m.formatVersion > kBundleFormatVersion) {
      throw BundleError("bundle format version " + std::to_string(m.formatVersion) + " is not supported (this build reads " +
                        std::to_string(kOldestBundleFormatVersion) + " to " + std::to_string(kBundleFormatVersion) + ")");
    }
    m.name = root.at("name").get<std::string>();
    m.version = root.at("version").get<std::string>();
    m.inputHeight = root.at("input").at("height").get<int>();
    m.inputWidth = root.at("input").at("width").get<int>();
    const auto& landmarks = root.at("landmarks");
    const auto& catalogue = core::landmarkCatalogue();
    if (!landmarks.is_array() || landmarks.size() != catalogue.size()) {
      throw BundleError("the bundle's landmark list does not have the 45 landmarks of LANDMARKS.md");
    }
    for (std::size_t i = 0; i < catalogue.size(); ++i) {
      if (landmarks[i].get<std::string>() != catalogue[i].key) {
        throw BundleError("the bundle's landmark order differs from LANDMARKS.md at channel " + std::to_string(i));
      }
    }
    for (const auto& j : root.at("members")) {
      BundleMember member;
      member.name = j.at("name").get<std::string>();
      member.file = j.at("file").get<std::string>();
      member.sha256 = j.at("sha256").get<std::string>();
      member.heatmapTarget = j.at("heatmap_target").get<std::string>();
      member.network = networkFromJson(j.at("network"));
      requirePlainFile(member.file);
      if (member.network.inputHeight != m.inputHeight || member.network.inputWidth != m.inputWidth ||
          member.network.landmarks != static_cast<int64_t>(catalogue.size())) {
        throw BundleError("member " + member.name + " does not match the bundle's input size or landmark count");
      }
      m.members.push_back(member);
    }
    if (m.members.empty()) throw BundleError("the bundle has no member");
    if (root.contains("refiner") && !root.at("refiner").is_null()) {
      if (m.formatVersion < kRefinerFormatVersion) {
        throw BundleError("the refiner of a format version " + std::to_string(m.formatVersion) +
                          " bundle reads the femoral heads one by one; this build reads them from the hip axis "
                          "(format " + std::to_string(kRefinerFormatVersion) + "): retrain the refiner and rebundle");
      }
      m.refiner = refinerFromJson(root.at("refiner"));
      requirePlainFile(m.refiner->file);
      if (m.refiner->network.landmarks != static_cast<int64_t>(catalogue.size())) {
        throw BundleError("the refiner does not produce the 45 landmarks");
      }
    }
    const auto& g = root.at("gate");
    m.gate.minAspect = g.at("min_aspect").get<double>();
    m.gate.maxMedianSpreadPx = g.at("max_median_spread_px").get<double>();
    m.gate.minContrast = g.at("min_contrast").get<double>();
    m.gate.minSpanFraction = g.at("min_span_fraction").get<double>();
    m.gate.maxFrontalSymmetry = g.value("max_frontal_symmetry", GateThresholds{}.maxFrontalSymmetry);
    m.trainingJson = root.value("training", Json::object()).dump();
    m.metricsJson = root.value("metrics", Json::object()).dump();
    m.sourceCommit = root.value("source_commit", std::string());
    return m;
  } catch (const Json::exception& e) {
    throw BundleError(std::string("bundle.json lacks a required field or has a wrong type: ") + e.what());
  }
}

LoadedBundle loadBundle(const std::string& folder, const torch::Device& device) {
  LoadedBundle bundle;
  bundle.folder = folder;
  const fs::path manifestPath = fs::path(folder) / "bundle.json";
  if (!fs::exists(manifestPath)) throw BundleError("no bundle.json in " + folder);
  const auto text = readFile(manifestPath);
  bundle.sha256 = core::Sha256::hex(text);
  bundle.manifest = manifestFromJson(text);
  for (const auto& member : bundle.manifest.members) {
    LandmarkNetwork network(member.network);
    loadWeights(network, folder, member.file, member.sha256, "member " + member.name, device);
    bundle.networks.push_back(network);
  }
  if (const auto& r = bundle.manifest.refiner) {
    RefinerNetwork refiner(r->network);
    loadWeights(refiner, folder, r->file, r->sha256, "refiner " + r->name, device);
    bundle.refiner = refiner;
  }
  // One forward pass proves the members produce 45 maps for the bundle's input.
  const torch::InferenceMode guard;
  const auto probe = torch::zeros({1, 1, bundle.manifest.inputHeight, bundle.manifest.inputWidth}, device);
  for (auto& network : bundle.networks) {
    const auto out = network->forward(probe).stage2.coordinates;
    if (out.size(1) != static_cast<int64_t>(core::kLandmarkCount) || out.size(2) != 2) {
      throw BundleError("a member does not produce 45 landmarks");
    }
  }
  if (bundle.refiner) {
    const auto side = bundle.manifest.refiner->network.patchSize;
    const auto logits = bundle.refiner->forward(torch::zeros({1, 1, side, side}, device));
    if (logits.size(1) != static_cast<int64_t>(core::kLandmarkCount)) throw BundleError("the refiner does not produce 45 maps");
  }
  return bundle;
}

std::string writeBundle(const std::string& folder, BundleManifest manifest) {
  for (auto& member : manifest.members) member.sha256 = fileSha256((fs::path(folder) / member.file).string());
  if (manifest.refiner) manifest.refiner->sha256 = fileSha256((fs::path(folder) / manifest.refiner->file).string());
  const auto text = manifestToJson(manifest);
  std::ofstream(fs::path(folder) / "bundle.json", std::ios::binary | std::ios::trunc) << text;
  return core::Sha256::hex(text);
}

}  // namespace sagitta::models
