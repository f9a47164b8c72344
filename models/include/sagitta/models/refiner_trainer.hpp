// SPDX-License-Identifier: GPL-3.0-or-later
// Training the local refiner (`sagitta train` with "kind": "refiner", docs/TRAINING.md): films
// rendered (or read) at a resolution above the patch's, patches cut around a landmark's truth
// moved by a random offset like the CPN's errors, Wing loss on the DSNT coordinates of the
// landmarks of that bone inside the patch (each on its channel) plus the Jensen-Shannon term of
// seeds/000, femoral heads unordered, Adam with the step schedule.
// Validation refines every landmark of every validation film from offset centres (fixed draws)
// and scores the result with eq. 8, like the CPN. Run folder as trainer.hpp.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "sagitta/models/dataset.hpp"
#include "sagitta/models/localisation_error.hpp"
#include "sagitta/models/losses.hpp"
#include "sagitta/models/patch.hpp"
#include "sagitta/models/refine_landmarks.hpp"
#include "sagitta/models/refiner_network.hpp"
#include "sagitta/models/train_config.hpp"
#include "sagitta/models/trainer.hpp"

namespace sagitta::models {

struct RefinerTrainConfig {
  std::string name = "refiner";
  std::string output;
  RefinerConfig refiner;
  int coarseInputHeight = 512, coarseInputWidth = 288;  // the CPN input whose pixels measure the field
  int renderRows = 1536;                                 // films are kept at (at most) this many rows
  std::optional<PhantomData> phantom;
  std::optional<FolderData> folder;
  WingParameters wing{10.0, 2.0};                        // in patch pixels
  HeatmapTarget target = HeatmapTarget::Gaussian;
  double targetSigma = 1.0, jsWeight = 1.0;              // heatmap pixels
  PatchRanges augmentation;
  double hipPatchFraction = 0.1;  // share of patches cut on the hip axis (head_pair.hpp)
  double hipJitterInputPx = -1.0; // SD of each head's offset in hip patches; < 0: as the others
  std::string initialWeights;     // optional: start from these refiner weights (a best.pt)
  int epochs = 20, stepsPerEpoch = 200, batchSize = 48;
  double learningRate = 2e-3;
  std::vector<int> learningRateDropEpochs{15};
  double learningRateDropFactor = 0.1;
  int patience = 6;
  std::uint64_t seed = 11;
  int threads = 2;
  std::string device = "auto";
  double timeLimitMinutes = 0.0;
};

// Whether a training configuration is for the refiner ("kind": "refiner") or the CPN.
bool isRefinerConfig(const std::string& jsonText);

// Throws ConfigError naming the offending key.
RefinerTrainConfig parseRefinerConfig(const std::string& jsonText, const std::string& baseFolder);

// Validation centres: each truth moved by a seeded draw of the configured offsets.
std::vector<core::LandmarkSet> offsetCentres(const std::vector<LabelledImage>& images, const RefinerTrainConfig& config,
                                             std::uint64_t seed);

TrainResult trainRefiner(const RefinerTrainConfig& config, const std::string& configText, bool resume,
                         std::ostream& console, bool interactive);

}  // namespace sagitta::models
