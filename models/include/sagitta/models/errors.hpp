// SPDX-License-Identifier: GPL-3.0-or-later
// Typed failures of the model library: a bad training configuration, an unusable model bundle,
// an unusable device, an image the out-of-distribution gate refuses.
#pragma once

#include <stdexcept>
#include <string>

namespace sagitta::models {

class ModelError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Invalid training configuration or dataset.
class ConfigError : public ModelError {
 public:
  using ModelError::ModelError;
};

// A wrong, truncated or mismatched bundle.
class BundleError : public ModelError {
 public:
  using ModelError::ModelError;
};

// "cuda:1" without a second GPU, an unknown device string.
class DeviceError : public ModelError {
 public:
  using ModelError::ModelError;
};

}  // namespace sagitta::models
