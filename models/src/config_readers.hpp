// SPDX-License-Identifier: GPL-3.0-or-later
// The sections both training configurations share (the CPN's and the refiner's): the JSON
// document and run folder, the loss, the data sources and the schedule. Each throws ConfigError
// naming the key.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "json_section.hpp"
#include "sagitta/models/losses.hpp"
#include "sagitta/models/train_config.hpp"

namespace sagitta::models::detail {

Json parseConfigDocument(const std::string& text);

// A path from the configuration, relative to the configuration's folder unless absolute.
std::string resolveConfigPath(const std::string& baseFolder, const std::string& path);

// Reads "output" (required, resolved) from the top section.
std::string readOutput(Section& top, const std::string& baseFolder);

// The "loss" section (finished here).
// presenceWeight: where the caller has a presence output (the CPN), loss.presence_weight.
void readLossSection(Section& top, WingParameters& wing, HeatmapTarget& target, double& targetSigma, double& jsWeight,
                     double* presenceWeight = nullptr);

// The "data" section (required; finished here): phantom and / or folder.
void readDataSection(Section& top, const std::string& baseFolder, std::optional<PhantomData>& phantom,
                     std::optional<FolderData>& folder);

struct Schedule {
  int& epochs;
  int& batchSize;
  double& learningRate;
  std::vector<int>& dropEpochs;
  double& dropFactor;
  int& patience;
  std::uint64_t& seed;
  int& threads;
  std::string& device;
  double& timeLimitMinutes;
};

// The shared keys of the "training" section; the caller reads its own, then finishes it.
void readSchedule(Section& training, const Schedule& schedule);
void checkSchedule(const Schedule& schedule, int maxBatch);

}  // namespace sagitta::models::detail
