// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/core/landmark_set.hpp"

#include <cmath>
#include <string>

#include "sagitta/core/errors.hpp"

namespace sagitta::core {

void LandmarkSet::set(LandmarkId id, const Landmark& landmark) {
  const std::string key(landmarkKey(id));
  if (!std::isfinite(landmark.x) || !std::isfinite(landmark.y)) {
    throw InvalidInput("landmark " + key + " has a non-finite coordinate");
  }
  if (landmark.sigmaMm && (!std::isfinite(*landmark.sigmaMm) || *landmark.sigmaMm < 0.0)) {
    throw InvalidInput("landmark " + key + " has an invalid sigma_mm (must be finite and >= 0)");
  }
  points_[indexOf(id)] = landmark;
}

const Landmark& LandmarkSet::at(LandmarkId id) const {
  const auto& point = points_[indexOf(id)];
  if (!point) throw InvalidInput("landmark " + std::string(landmarkKey(id)) + " missing");
  return *point;
}

std::size_t LandmarkSet::size() const {
  std::size_t n = 0;
  for (const auto& p : points_) n += p.has_value() ? 1U : 0U;
  return n;
}

}  // namespace sagitta::core
