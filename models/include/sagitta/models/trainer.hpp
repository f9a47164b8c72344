// SPDX-License-Identifier: GPL-3.0-or-later
// The training loop of `sagitta train`: Adam with a step learning-rate schedule, augmentation
// drawn per sample, validation after every epoch by the weighted localisation error of eq. 8,
// the best epoch kept, early stopping, and a checkpoint after every epoch so that an
// interrupted run resumes where it stopped. The run folder holds:
//   config.json, train.log, history.csv, state.json, last.pt, last-optimizer.pt, best.pt,
//   best.json (the best epoch's validation errors).
#pragma once

#include <optional>
#include <ostream>
#include <string>

#include "sagitta/models/localisation_error.hpp"
#include "sagitta/models/network.hpp"
#include "sagitta/models/train_config.hpp"

namespace sagitta::models {

struct TrainResult {
  int epochsRun = 0;          // in total, over resumed runs
  int bestEpoch = 0;
  double bestSelectionError = 0.0;
  double bestMedianMm = 0.0;
  std::string stopReason;     // "epochs", "early stopping", "time limit"
  double seconds = 0.0;       // this invocation
};

// console: the progress bar and epoch lines (interactive: redraws one line with \r).
// Throws ConfigError for an unusable configuration or a run folder in an unexpected state.
TrainResult train(const TrainConfig& config, const std::string& configText, bool resume, std::ostream& console,
                  bool interactive);

struct TrainingData {
  std::vector<LabelledImage> train, validation;
};

// Phantom and / or folder sources kept at (at most) height x width, split into training and
// validation (phantom: by seed; folder: by patient). Writes one line per source to log. Throws
// ConfigError. validationOnly: the training phantoms are not generated (bundling, evaluation).
TrainingData loadLabelledData(const std::optional<PhantomData>& phantom, const std::optional<FolderData>& folder,
                              int height, int width, std::ostream& log, bool validationOnly = false);

// The CPN configuration's sources, reduced to its input.
// Writes `count` training inputs as the network sees them (cut, augmented, normalised back to
// 8 bits) to folder/preview_NN.png, the landmarks on each drawn in green, with the field of view
// in the file's text; renders only the phantoms it needs. Returns the files written.
std::vector<std::string> writeTrainingPreview(const TrainConfig& config, const std::string& folder, int count);

TrainingData loadTrainingData(const TrainConfig& config, std::ostream& log, bool validationOnly = false);

// Validation of a network on labelled images (the same input path as inference): per-image
// errors, in the images' mm.
std::vector<ImageErrors> validate(LandmarkNetworkImpl& network, const std::vector<LabelledImage>& images,
                                  const torch::Device& device, int batchSize);

// Stage-2 coordinates [K, 2] (normalised) of every image, identity augmentation.
// The presence output's confusion counts on labelled images (their landmarks are the truth).
std::string presenceReport(LandmarkNetworkImpl& network, const std::vector<LabelledImage>& images,
                           const torch::Device& device, int batchSize);

std::vector<torch::Tensor> predictCoordinates(LandmarkNetworkImpl& network, const std::vector<LabelledImage>& images,
                                              const torch::Device& device, int batchSize);

// Errors of coordinates predicted on labelled images (in their mm).
std::vector<ImageErrors> errorsOf(const std::vector<torch::Tensor>& coordinates, const std::vector<LabelledImage>& images,
                                  int inputHeight, int inputWidth);

}  // namespace sagitta::models
