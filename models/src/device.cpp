// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/models/device.hpp"

#include <regex>

#include "sagitta/models/errors.hpp"

namespace sagitta::models {

torch::Device resolveDevice(const std::string& text) {
  const bool cuda = torch::cuda::is_available();
  if (text == "auto") return cuda ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
  if (text == "cpu") return torch::Device(torch::kCPU);
  static const std::regex pattern("cuda(:([0-9]{1,2}))?");
  std::smatch m;
  if (!std::regex_match(text, m, pattern)) {
    throw DeviceError("unknown device \"" + text.substr(0, 40) + "\" (expected auto, cpu, cuda or cuda:N)");
  }
  const int index = m[2].matched ? std::stoi(m[2].str()) : 0;
  if (!cuda) throw DeviceError("device " + text + " requested but this LibTorch sees no CUDA device");
  if (index >= static_cast<int>(torch::cuda::device_count())) {
    throw DeviceError("device " + text + " requested but only " + std::to_string(torch::cuda::device_count()) +
                      " CUDA device(s) are present");
  }
  return torch::Device(torch::kCUDA, static_cast<torch::DeviceIndex>(index));
}

std::string describeDevice(const torch::Device& device) { return device.str(); }

}  // namespace sagitta::models
