// SPDX-License-Identifier: GPL-3.0-or-later
// Pedicle screws, rods and interbody cages (metal), the lead side marker and ruler.
#include <string>

#include "anatomy_parts.hpp"

namespace sagitta::phantom::detail {

void addImplants(Context& c) {
  const auto& p = c.patient;
  if (!p.has(Variety::Instrumentation) || p.fusionTop < 0) return;
  std::vector<Vec> rod;
  for (int v = p.fusionTop; v <= p.fusionBottom; ++v) {
    const auto& vb = c.spine.vertebrae[static_cast<std::size_t>(v)];
    const double e = 0.5 * (vb.inferiorInclination + vb.superiorInclination);
    const double D = vb.depth, H = norm(vb.superiorPosterior - vb.inferiorPosterior);
    const Frame f{mid(vb.inferiorPosterior, vb.superiorPosterior), along(e), cranial(e)};
    const double diameter = (v >= 18 ? 6.5 : 5.0) * p.size;
    const Vec entry = f.at(-0.55 * D, 0.12 * H), tip = f.at(0.75 * D, 0.0);
    const Vec axis = (1.0 / norm(tip - entry)) * (tip - entry);
    const Vec side{-axis.y, axis.x};
    for (const double s : {0.0, 1.0}) {
      const Vec o = s * Vec{1.8, -1.2};
      c.scene.polygons.push_back({{entry + o + 0.5 * diameter * side, tip + o + 0.3 * diameter * side,
                                   tip + o - 0.3 * diameter * side, entry + o - 0.5 * diameter * side},
                                  mu::kMetal * diameter * 0.8, Layer::Metal});
      const Vec head = entry + o - 6.0 * axis;  // polyaxial tulip
      c.scene.polygons.push_back({{head + 6.0 * side - 6.0 * axis, head + 6.0 * side + 6.0 * axis,
                                   head - 6.0 * side + 6.0 * axis, head - 6.0 * side - 6.0 * axis},
                                  mu::kMetal * 9.0, Layer::Metal});
    }
    rod.push_back(entry - 8.0 * axis);
  }
  if (rod.size() >= 2) {
    const Vec first = rod.front() + 0.3 * (rod.front() - rod[1]);
    const Vec last = rod.back() + 0.3 * (rod.back() - rod[rod.size() - 2]);
    rod.insert(rod.begin(), first);
    rod.push_back(last);
    for (const double s : {0.0, 1.0}) {
      std::vector<Vec> line = rod;
      for (auto& q : line) q = q + s * Vec{2.0, -1.0};
      c.scene.strokes.push_back({line, 5.5, mu::kMetal * 5.5, Layer::Metal});
    }
  }
  for (const int disc : p.cageDiscs) {
    const auto& upper = c.spine.vertebrae[static_cast<std::size_t>(disc)];
    if (disc + 1 >= kVertebraCount) continue;
    const auto& lower = c.spine.vertebrae[static_cast<std::size_t>(disc + 1)];
    const Vec a = upper.inferiorPosterior + 0.2 * (upper.inferiorAnterior - upper.inferiorPosterior);
    const Vec b = upper.inferiorAnterior - 0.15 * (upper.inferiorAnterior - upper.inferiorPosterior);
    const Vec d = lower.superiorPosterior + 0.2 * (lower.superiorAnterior - lower.superiorPosterior);
    const Vec e = lower.superiorAnterior - 0.15 * (lower.superiorAnterior - lower.superiorPosterior);
    c.scene.strokes.push_back({{a, b, e, d}, 1.6, mu::kMetal * 8.0, Layer::Metal, true});
    c.scene.spheres.push_back({mid(a, d), 1.5, mu::kMetal, 0.0, Layer::Metal});
    c.scene.spheres.push_back({mid(b, e), 1.5, mu::kMetal, 0.0, Layer::Metal});
  }
}

void addMarkers(Context& c) {
  const auto& g = c.spine;
  const double s = c.patient.size;
  // The lead side marker names the side against the detector (a left or right lateral).
  const std::string side = c.rng.chance(0.5) ? "L" : "R";
  c.scene.labels.push_back({side, g.densTip + Vec{110.0 * s, 70.0 * s}, 16.0, mu::kMetal * 4.0});
  if (!c.rng.chance(0.6)) return;
  // A radiopaque ruler behind the patient: a line, ticks every 10 mm, numbers every 100 mm.
  const double x = g.vertebrae[10].centre().x - 150.0 * s * (1.0 + 0.6 * (c.patient.bodyMass - 1.0));
  const double top = g.densTip.y + 60.0 * s, bottom = g.hipAxis.y - 150.0 * s;
  c.scene.strokes.push_back({{{x, top}, {x, bottom}}, 1.0, mu::kMetal * 2.0, Layer::Metal});
  int mark = 0;
  for (double y = top; y >= bottom; y -= 10.0, ++mark) {
    const double length = mark % 10 == 0 ? 12.0 : mark % 5 == 0 ? 8.0 : 5.0;
    c.scene.strokes.push_back({{{x, y}, {x + length, y}}, 0.8, mu::kMetal * 2.0, Layer::Metal});
    if (mark % 10 == 0) {
      c.scene.labels.push_back({std::to_string(mark), {x + 14.0, y - 3.0}, 6.0, mu::kMetal * 2.0});
    }
  }
}

}  // namespace sagitta::phantom::detail
