// SPDX-License-Identifier: GPL-3.0-or-later
// A (possibly partial) set of landmarks in DICOM image coordinates (pixels, x = column,
// y = row, origin at the top-left corner of the top-left pixel).
#pragma once

#include <array>
#include <cstddef>
#include <optional>

#include "sagitta/core/landmark_catalogue.hpp"

namespace sagitta::core {

struct Landmark {
  double x = 0.0;
  double y = 0.0;
  std::optional<double> sigmaMm;  // the model's spread for this point, when known
};

class LandmarkSet {
 public:
  // Throws InvalidInput for a non-finite coordinate or a negative / non-finite sigma.
  void set(LandmarkId id, const Landmark& landmark);
  void erase(LandmarkId id) { points_[indexOf(id)].reset(); }
  bool has(LandmarkId id) const { return points_[indexOf(id)].has_value(); }
  const std::optional<Landmark>& get(LandmarkId id) const { return points_[indexOf(id)]; }
  // Precondition: has(id). Throws InvalidInput otherwise.
  const Landmark& at(LandmarkId id) const;
  std::size_t size() const;

 private:
  std::array<std::optional<Landmark>, kLandmarkCount> points_{};
};

}  // namespace sagitta::core
