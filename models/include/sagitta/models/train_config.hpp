// SPDX-License-Identifier: GPL-3.0-or-later
// The `sagitta train --config FILE` configuration (docs/TRAINING.md), read once into a typed
// struct. Unknown keys are errors, so that a misspelt option never silently does nothing.
#pragma once

#include "sagitta/models/field_of_view.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sagitta/models/dataset.hpp"
#include "sagitta/models/losses.hpp"
#include "sagitta/models/network.hpp"
#include "sagitta/models/sample.hpp"

namespace sagitta::models {

struct PhantomData {
  PhantomSource train;       // e.g. seed 1, 3000 cases
  PhantomSource validation;  // a different seed: no patient is shared
  int threads = 2;           // generation threads
  int renderRows = 0;        // rows each film is rendered and kept at; 0: the input height. Cuts to
                             // a field of view need more (a lumbar cut is a third of the film).
};

struct FolderData {
  std::string path;
  double validationFraction = 0.15;
};

struct TrainConfig {
  std::string name = "member";  // the member's name in a bundle
  NetworkConfig network;
  LossConfig loss;
  std::optional<PhantomData> phantom;
  std::optional<FolderData> folder;
  AugmentationRanges augmentation;
  FieldOfViewMix fieldsOfView;        // training cuts; validation cuts every film by its index
  std::string initialWeights;         // a CPN's .pt to start from: tensors of the same name and
                                      // shape are copied, the rest (a new head) starts at random
  int epochs = 60;
  int batchSize = 8;
  double learningRate = 2e-3;
  // After each of these epochs the rate is multiplied by the factor (the paper: 0.005 -> 0.0005
  // at epoch 100 of 120). JSON: "lr_drop_epoch": 45 or [7, 10].
  std::vector<int> learningRateDropEpochs{45};
  double learningRateDropFactor = 0.1;
  int patience = 12;                // epochs without improvement before stopping (paper: 20)
  std::uint64_t seed = 7;
  int threads = 2;                  // intra-op threads
  std::string device = "auto";
  double timeLimitMinutes = 0.0;    // 0: none; otherwise stop after the epoch that passes it
  std::string output;               // run folder: checkpoints, log, history
};

// Throws ConfigError with the offending key. Relative paths are taken from the config's folder.
TrainConfig parseTrainConfig(const std::string& jsonText, const std::string& baseFolder);

std::string heatmapTargetKey(HeatmapTarget target);

// The learning rate of an epoch (1-based) under a step schedule: multiplied by the factor after
// each listed epoch.
double steppedLearningRate(double rate, const std::vector<int>& dropEpochs, double factor, int epoch);
double learningRateAt(const TrainConfig& config, int epoch);

}  // namespace sagitta::models
