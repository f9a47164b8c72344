// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/models/device.hpp"

#include <cctype>

#include "sagitta/models/errors.hpp"

namespace sagitta::models {

torch::Device resolveDevice(const std::string& text) {
  const bool cuda = torch::cuda::is_available();
  if (text == "auto") return cuda ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
  if (text == "cpu") return torch::Device(torch::kCPU);
  // "cuda" or "cuda:N" with N of one or two digits.
  const std::string digits = text.size() > 5 ? text.substr(5) : "";
  const bool wellFormed = text == "cuda" || (text.rfind("cuda:", 0) == 0 && !digits.empty() && digits.size() <= 2 &&
                                             std::isdigit(static_cast<unsigned char>(digits[0])) != 0 &&
                                             std::isdigit(static_cast<unsigned char>(digits.back())) != 0);
  if (!wellFormed) {
    throw DeviceError("unknown device \"" + text.substr(0, 40) + "\" (expected auto, cpu, cuda or cuda:N)");
  }
  const int index = digits.empty() ? 0 : std::stoi(digits);
  if (!cuda) throw DeviceError("device " + text + " requested but this LibTorch sees no CUDA device");
  if (index >= static_cast<int>(torch::cuda::device_count())) {
    throw DeviceError("device " + text + " requested but only " + std::to_string(torch::cuda::device_count()) +
                      " CUDA device(s) are present");
  }
  return torch::Device(torch::kCUDA, static_cast<torch::DeviceIndex>(index));
}

std::string describeDevice(const torch::Device& device) { return device.str(); }

}  // namespace sagitta::models
