// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/models/localisation_error.hpp"

#include <algorithm>
#include <cmath>

namespace sagitta::models {
namespace {

double distanceMm(const core::Landmark& a, const core::Landmark& b, double rowMm, double colMm) {
  return std::hypot((a.x - b.x) * colMm, (a.y - b.y) * rowMm);
}

}  // namespace

core::LandmarkSet matchFemoralHeads(const core::LandmarkSet& predicted, const core::LandmarkSet& truth) {
  using core::LandmarkId;
  const auto& p1 = predicted.get(LandmarkId::FH_A), &p2 = predicted.get(LandmarkId::FH_P);
  const auto& t1 = truth.get(LandmarkId::FH_A), &t2 = truth.get(LandmarkId::FH_P);
  if (!p1 || !p2 || !t1 || !t2) return predicted;
  const double kept = std::hypot(p1->x - t1->x, p1->y - t1->y) + std::hypot(p2->x - t2->x, p2->y - t2->y);
  const double swapped = std::hypot(p2->x - t1->x, p2->y - t1->y) + std::hypot(p1->x - t2->x, p1->y - t2->y);
  if (swapped >= kept) return predicted;
  auto out = predicted;
  out.set(LandmarkId::FH_A, *p2);
  out.set(LandmarkId::FH_P, *p1);
  return out;
}

ImageErrors imageErrors(const core::LandmarkSet& predictedIn, const core::LandmarkSet& truth, double rowMm,
                        double colMm) {
  const auto predicted = matchFemoralHeads(predictedIn, truth);
  ImageErrors e;
  e.mm.fill(kMissing);
  e.weighted.fill(kMissing);
  const auto& catalogue = core::landmarkCatalogue();
  for (const auto& info : catalogue) {
    const auto& t = truth.get(info.id);
    const auto& p = predicted.get(info.id);
    if (!t || !p) continue;
    const auto i = core::indexOf(info.id);
    e.mm[i] = distanceMm(*p, *t, rowMm, colMm);
    double nearest = std::numeric_limits<double>::infinity();
    for (const auto& other : catalogue) {
      if (other.id == info.id) continue;
      if (const auto& o = truth.get(other.id)) nearest = std::min(nearest, distanceMm(*t, *o, rowMm, colMm));
    }
    if (std::isfinite(nearest) && nearest > 0.0) e.weighted[i] = e.mm[i] / nearest;
  }
  return e;
}

double quantile(std::vector<double> values, double q) {
  values.erase(std::remove_if(values.begin(), values.end(), [](double v) { return std::isnan(v); }), values.end());
  if (values.empty()) return kMissing;
  std::sort(values.begin(), values.end());
  const double position = q * static_cast<double>(values.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(position));
  const auto hi = std::min(values.size() - 1, lo + 1);
  const double f = position - static_cast<double>(lo);
  return values[lo] * (1.0 - f) + values[hi] * f;
}

double median(std::vector<double> values) { return quantile(std::move(values), 0.5); }

ErrorSummary summarise(const std::vector<ImageErrors>& errors) {
  ErrorSummary s;
  std::vector<double> all;
  for (std::size_t i = 0; i < core::kLandmarkCount; ++i) {
    std::vector<double> mm, weighted;
    for (const auto& e : errors) {
      mm.push_back(e.mm[i]);
      weighted.push_back(e.weighted[i]);
      all.push_back(e.mm[i]);
    }
    s.medianMm[i] = median(mm);
    s.medianWeighted[i] = median(weighted);
    if (!std::isnan(s.medianWeighted[i])) s.selectionError = std::max(s.selectionError, s.medianWeighted[i]);
    if (!std::isnan(s.medianMm[i])) s.worstMedianMm = std::max(s.worstMedianMm, s.medianMm[i]);
  }
  s.medianMmAll = median(all);
  return s;
}

}  // namespace sagitta::models
