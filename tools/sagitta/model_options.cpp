// SPDX-License-Identifier: GPL-3.0-or-later
#include "model_options.hpp"

#include <cstdlib>

#include "sagitta/version.hpp"

namespace sagitta::cli {

std::string defaultBundle() {
  if (const char* env = std::getenv("SAGITTA_BUNDLE"); env != nullptr && *env != '\0') return env;
  return kDefaultBundle;
}

std::unique_ptr<models::InferenceEngine> makeEngine(const Arguments& arguments) {
  models::EngineOptions options;
  options.device = arguments.value("device").value_or("auto");
  if (const auto threads = arguments.value("threads")) {
    try {
      options.threads = std::stoi(*threads);
    } catch (const std::exception&) {
      throw UsageError("--threads must be a number");
    }
    if (options.threads < 1 || options.threads > 256) throw UsageError("--threads must be 1..256");
  }
  return std::make_unique<models::InferenceEngine>(arguments.value("bundle").value_or(defaultBundle()), options);
}

}  // namespace sagitta::cli
