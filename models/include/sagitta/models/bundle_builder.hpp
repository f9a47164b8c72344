// SPDX-License-Identifier: GPL-3.0-or-later
// Packaging training runs as a model bundle (training library). Every member and their average
// are scored on the first run's validation data by eq. 8; the ensemble is kept only when it
// beats the best single member (seeds/000 averages two models). A local refiner run's best
// epoch may be added. The gate's confidence threshold is set from the spreads the finished
// bundle shows on that validation data.
#pragma once

#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "sagitta/models/dataset.hpp"

namespace sagitta::models {

struct BundleBuildOptions {
  std::vector<std::filesystem::path> members;  // one or two training run folders
  std::optional<std::filesystem::path> refiner;
  int refinerPasses = 1;  // 1 to 4
  std::filesystem::path out;
  std::string name = "sagitta-compact", version = "1.0.0", commit;
};

struct BuiltBundle {
  std::string sha256;
  std::string kept;         // "single member", "ensemble of two", "+ local refiner"
  std::string metricsJson;  // what bundle.json records as metrics
};

// The mean distance of each consecutive body-centre pair (C2-C3 .. L4-L5) on whole phantom
// films of the source, in input pixels of an h x w CPN: the refiner's reference scale.
std::vector<double> referencePitches(const PhantomSource& source, int h, int w);

// Throws core::InvalidInput for runs that cannot be packaged together (input sizes, refiner
// trained for another CPN input, passes out of range) and for unreadable run files.
BuiltBundle buildBundle(const BundleBuildOptions& options, std::ostream& log);

}  // namespace sagitta::models
