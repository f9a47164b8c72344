// SPDX-License-Identifier: GPL-3.0-or-later
// Loading a bundle's weights (LibTorch): the manifest is validated, every member's (and the
// refiner's) sha256 and tensor shapes are checked, and the networks are returned in eval mode
// on the device.
#pragma once

#include <string>
#include <vector>

#include <torch/torch.h>

#include "sagitta/models/bundle_manifest.hpp"
#include "sagitta/models/network.hpp"
#include "sagitta/models/refiner_network.hpp"

namespace sagitta::models {

struct LoadedBundle {
  std::string folder;
  std::string sha256;  // of bundle.json
  BundleManifest manifest;
  std::vector<LandmarkNetwork> networks;  // in eval mode, on the requested device
  RefinerNetwork refiner{nullptr};        // when the bundle has one
};

// Validates the manifest, every member's sha256 and weights, and runs one forward pass to
// check the output shape. Throws BundleError with a clear reason.
LoadedBundle loadBundle(const std::string& folder, const torch::Device& device);

}  // namespace sagitta::models
