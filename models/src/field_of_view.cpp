// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/models/field_of_view.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace sagitta::models {
namespace {

using core::LandmarkId;

double cutUniform(std::mt19937_64& rng, double lo, double hi) {
  if (hi < lo) std::swap(lo, hi);
  return std::uniform_real_distribution<double>(lo, hi)(rng);
}

struct Levels {
  const core::LandmarkSet& set;
  double y(LandmarkId id) const { return set.get(id)->y; }
  double mid(LandmarkId a, LandmarkId b) const { return 0.5 * (y(a) + y(b)); }
};

bool hasWholeTruth(const core::LandmarkSet& s) {
  for (const auto id : core::bodyCentres()) {
    if (!s.has(id)) return false;
  }
  return s.has(LandmarkId::C2_DENS) && s.has(LandmarkId::S1_A) && s.has(LandmarkId::S1_P) && s.has(LandmarkId::FH_A) &&
         s.has(LandmarkId::FH_P);
}

}  // namespace

std::string_view fieldOfViewKey(FieldOfView kind) {
  switch (kind) {
    case FieldOfView::Whole: return "whole";
    case FieldOfView::Lumbar: return "lumbar";
    case FieldOfView::Thoracolumbar: return "thoracolumbar";
    case FieldOfView::Thoracic: return "thoracic";
    case FieldOfView::Cervical: return "cervical";
    case FieldOfView::Window: return "window";
  }
  return "whole";
}

bool FieldOfViewMix::anyCut() const {
  return std::any_of(weights.begin() + 1, weights.end(), [](double w) { return w > 0.0; });
}

FieldOfView FieldOfViewMix::draw(std::mt19937_64& rng) const {
  const double total = std::accumulate(weights.begin(), weights.end(), 0.0);
  if (!(total > 0.0)) return FieldOfView::Whole;
  double u = cutUniform(rng, 0.0, total);
  for (std::size_t k = 0; k < weights.size(); ++k) {
    if (u < weights[k]) return static_cast<FieldOfView>(k);
    u -= weights[k];
  }
  return FieldOfView::Whole;
}

LabelledImage cutToFieldOfView(const LabelledImage& image, FieldOfView kind, const FieldOfViewMix& mix,
                               std::mt19937_64& rng) {
  if (kind == FieldOfView::Whole || !hasWholeTruth(image.landmarks)) return image;
  const Levels l{image.landmarks};
  const double rows = image.grey8.rows, cols = image.grey8.cols;
  const double pitch = (l.y(LandmarkId::L5_C) - l.y(LandmarkId::C2_C)) / 22.0;  // mean centre-to-centre
  const double s1 = l.mid(LandmarkId::S1_A, LandmarkId::S1_P);
  const double hips = l.mid(LandmarkId::FH_A, LandmarkId::FH_P);
  const double pelvisLow = std::max(s1, hips);
  const double s1Low = std::max(l.y(LandmarkId::S1_A), l.y(LandmarkId::S1_P));  // lumbar films show the sacrum
  double top = 0.0, bottom = rows;
  switch (kind) {
    case FieldOfView::Lumbar:  // about T11 to the sacrum or the hips (himpq, BUU films)
      top = cutUniform(rng, l.y(LandmarkId::T10_C), l.y(LandmarkId::L1_C) - 0.3 * pitch);
      bottom = cutUniform(rng, std::max(l.y(LandmarkId::L5_C) + 1.2 * pitch, s1Low + 0.8 * pitch), pelvisLow + 3.0 * pitch);
      break;
    case FieldOfView::Thoracolumbar:
      top = cutUniform(rng, l.y(LandmarkId::C7_C), l.y(LandmarkId::T7_C));
      bottom = cutUniform(rng, s1Low + 0.8 * pitch, pelvisLow + 3.0 * pitch);
      break;
    case FieldOfView::Thoracic:
      top = cutUniform(rng, l.y(LandmarkId::C5_C), l.y(LandmarkId::T2_C));
      bottom = cutUniform(rng, l.y(LandmarkId::T12_C), l.y(LandmarkId::L3_C));
      break;
    case FieldOfView::Cervical:  // the skull base to the cervico-thoracic junction
      top = cutUniform(rng, l.y(LandmarkId::C2_DENS) - 5.0 * pitch, l.y(LandmarkId::C2_DENS) - 1.2 * pitch);
      bottom = cutUniform(rng, l.y(LandmarkId::C7_C) + 0.8 * pitch, l.y(LandmarkId::T4_C));
      break;
    case FieldOfView::Window: {
      const double height = cutUniform(rng, 0.25, 0.9) * rows;
      top = cutUniform(rng, 0.0, rows - height);
      bottom = top + height;
      break;
    }
    case FieldOfView::Whole: break;
  }
  top = std::clamp(top, 0.0, rows - 16.0);
  bottom = std::clamp(bottom, top + 16.0, rows);
  const double height = bottom - top;

  // Across: centred near the spine of the cut (the mean of its body centres), as wide as drawn.
  double sum = 0.0;
  int n = 0;
  for (const auto id : core::bodyCentres()) {
    const auto& c = *image.landmarks.get(id);
    if (c.y >= top && c.y <= bottom) {
      sum += c.x;
      ++n;
    }
  }
  const double spineX = n > 0 ? sum / n : 0.5 * cols;
  const double width = std::min(cols, height * cutUniform(rng, mix.widthRatioMin, mix.widthRatioMax));
  const double centre = spineX + cutUniform(rng, -0.15, 0.15) * width;
  const double left = std::clamp(centre - 0.5 * width, 0.0, cols - width);

  const cv::Rect cut(static_cast<int>(std::floor(left)), static_cast<int>(std::floor(top)),
                     std::max(16, static_cast<int>(std::lround(width))), std::max(16, static_cast<int>(std::lround(height))));
  const cv::Rect inside = cut & cv::Rect(0, 0, image.grey8.cols, image.grey8.rows);
  LabelledImage out = image;
  out.grey8 = image.grey8(inside).clone();
  out.landmarks = core::LandmarkSet{};
  for (const auto& info : core::landmarkCatalogue()) {
    const auto& p = image.landmarks.get(info.id);
    if (!p) continue;
    const double x = p->x - inside.x, y = p->y - inside.y;
    if (x < 0.0 || y < 0.0 || x > inside.width || y > inside.height) continue;
    out.landmarks.set(info.id, {x, y, p->sigmaMm});
  }
  return out;
}

}  // namespace sagitta::models
