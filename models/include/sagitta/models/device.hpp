// SPDX-License-Identifier: GPL-3.0-or-later
// "auto" (the first CUDA device when there is one, else the CPU), "cpu", "cuda" or "cuda:N".
#pragma once

#include <string>

#include <torch/torch.h>

namespace sagitta::models {

// Throws DeviceError for an unknown string or a CUDA device this machine does not have.
torch::Device resolveDevice(const std::string& text);

std::string describeDevice(const torch::Device& device);

}  // namespace sagitta::models
