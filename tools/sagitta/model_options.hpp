// SPDX-License-Identifier: GPL-3.0-or-later
// --bundle / --device / --threads, shared by analyse and eval. Without --bundle: $SAGITTA_BUNDLE,
// else the bundle shipped in the source tree (models/bundles/sagitta-compact).
#pragma once

#include <memory>
#include <string>

#include "arguments.hpp"
#include "sagitta/models/inference_engine.hpp"

namespace sagitta::cli {

std::string defaultBundle();
std::unique_ptr<models::InferenceEngine> makeEngine(const Arguments& arguments);

}  // namespace sagitta::cli
