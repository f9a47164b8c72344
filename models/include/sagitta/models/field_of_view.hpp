// SPDX-License-Identifier: GPL-3.0-or-later
// Fields of view for training (issue 16, part 2): most clinical spine laterals are lumbar,
// thoracolumbar or cervical films, not whole-spine ones. A whole phantom film is cut to the
// field such a film shows, with its landmarks; those outside the cut are absent, which is the
// truth of the presence output. Bounds are drawn between anatomical levels of the phantom, so
// that the cuts fall where radiographers collimate, not at fixed fractions of the film.
#pragma once

#include <array>
#include <random>
#include <string_view>

#include "sagitta/models/dataset.hpp"

namespace sagitta::models {

enum class FieldOfView { Whole, Lumbar, Thoracolumbar, Thoracic, Cervical, Window };
inline constexpr std::size_t kFieldOfViewKinds = 6;
std::string_view fieldOfViewKey(FieldOfView kind);

struct FieldOfViewMix {
  // Relative weights of each kind (FieldOfView order); all zero keeps every film whole.
  std::array<double, kFieldOfViewKinds> weights{1.0, 0.0, 0.0, 0.0, 0.0, 0.0};
  double widthRatioMin = 0.5, widthRatioMax = 1.1;  // cut width / cut height (bounded by the film)
  bool anyCut() const;
  FieldOfView draw(std::mt19937_64& rng) const;
};

// The image cut to a field of the given kind: grey8 and landmarks in the cut's pixels, the
// landmarks outside it removed. Whole returns the image unchanged. Needs the whole truth of a
// phantom (C2_DENS, the body centres, S1 and the femoral heads); an image without them is
// returned whole.
LabelledImage cutToFieldOfView(const LabelledImage& image, FieldOfView kind, const FieldOfViewMix& mix,
                               std::mt19937_64& rng);

}  // namespace sagitta::models
