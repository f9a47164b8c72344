// SPDX-License-Identifier: GPL-3.0-or-later
// Soft-tissue envelope, lungs, heart, ribs, scapulae, clavicles, arms held forward, bowel gas.
#include <algorithm>

#include "anatomy_parts.hpp"

namespace sagitta::phantom::detail {
namespace {

constexpr int kC2 = 0, kC7 = 5, kT1 = 6, kT2 = 7, kT4 = 9, kT8 = 13, kT9 = 14, kT10 = 15, kT12 = 17, kL3 = 20,
              kL5 = 22;

struct Anchor {
  double y, centreX, anterior, posterior, width;
};

// Offsets of the skin from the spinal axis (adult, mm), by region; docs/PHANTOM.md.
std::vector<Anchor> anchors(const Context& c) {
  const auto& p = c.patient;
  const auto& g = c.spine;
  const double s = p.size;
  const double soft = s * (1.0 + 0.8 * (p.bodyMass - 1.0));
  const double belly = s * (1.0 + 1.6 * (p.bodyMass - 1.0));
  auto at = [&](int v) { return g.vertebrae[static_cast<std::size_t>(v)].centre(); };
  const Vec s1m = mid(g.s1Posterior, g.s1Anterior);
  return {
      {g.densTip.y + 160.0 * s, g.densTip.x, 95 * s, 105 * s, 150 * s},
      {g.densTip.y + 20.0 * s, g.densTip.x, 95 * s, 100 * s, 145 * s},
      {at(kC2).y, at(kC2).x, 110 * s, 80 * soft, 125 * soft},  // jaw and face
      {at(kC2 + 2).y, at(kC2 + 2).x, 50 * soft, 80 * soft, 110 * soft},
      {at(kC7).y, at(kC7).x, 60 * soft, 90 * soft, 130 * soft},
      {at(kT1).y, at(kT1).x, 75 * soft, 100 * soft, 250 * soft},
      {at(kT4).y, at(kT4).x, 115 * soft, 105 * soft, 300 * soft},
      {at(kT8).y, at(kT8).x, 150 * soft, 95 * soft, 300 * soft},
      {at(kT12).y, at(kT12).x, 160 * belly, 90 * soft, 290 * soft},
      {at(kL3).y, at(kL3).x, 150 * belly, 90 * soft, 290 * belly},
      {at(kL5).y, at(kL5).x, 140 * belly, 105 * soft, 320 * soft},
      {s1m.y, s1m.x, 120 * belly, 120 * soft, 340 * soft},
      {g.hipAxis.y, g.hipAxis.x - 20 * s, 100 * soft, 140 * soft, 360 * soft},
      {g.hipAxis.y - 150 * s, g.hipAxis.x - 10 * s, 85 * soft, 95 * soft, 300 * soft},
      {g.hipAxis.y - 600 * s, g.hipAxis.x, 75 * soft, 80 * soft, 280 * soft},
  };
}

void addEnvelope(Context& c) {
  const auto& g = c.spine;
  const auto list = anchors(c);
  const double apex = g.vertebrae[kT1].centre().y + 25.0 * c.patient.size;
  const double domeAnterior = g.vertebrae[kT9].centre().y;
  const double domePosterior = g.vertebrae[kT12].centre().y - 10.0 * c.patient.size;
  for (std::size_t i = 0; i + 1 < list.size(); ++i) {
    const Anchor& a = list[i];
    const Anchor& b = list[i + 1];
    const int steps = 12;
    for (int k = 0; k < steps; ++k) {
      const double t = static_cast<double>(k) / steps;
      const double y = a.y + t * (b.y - a.y);
      const double x = a.centreX + t * (b.centreX - a.centreX);
      EnvelopeRow row{y, x - (a.posterior + t * (b.posterior - a.posterior)),
                      x + a.anterior + t * (b.anterior - a.anterior), a.width + t * (b.width - a.width), 0, 0, 0};
      if (y < apex && y > domePosterior) {
        // Lungs: full between apex and the anterior dome, then only the posterior recess.
        const double recess = y >= domeAnterior ? 1.0 : (y - domePosterior) / (domeAnterior - domePosterior);
        const double apexTaper = std::min(1.0, (apex - y) / (40.0 * c.patient.size));
        row.lungPosterior = row.posterior + 22.0 * c.patient.size;
        row.lungAnterior = row.lungPosterior + recess * (row.anterior - 20.0 * c.patient.size - row.lungPosterior);
        row.lungWidth = 0.62 * row.width * apexTaper * std::sqrt(std::max(0.0, recess));
      }
      c.scene.envelope.push_back(row);
    }
  }
  c.scene.envelope.push_back({list.back().y, list.back().centreX - list.back().posterior,
                              list.back().centreX + list.back().anterior, list.back().width, 0, 0, 0});
  c.scene.top = list.front().y;
  c.scene.bottom = list.back().y;
  const Vec t8 = g.vertebrae[kT8].centre();
  c.scene.heart = {{t8.x + 0.55 * list[6].anterior, t8.y - 25.0 * c.patient.size}, 0.32 * list[6].anterior,
                   65.0 * c.patient.size};
}

void addRibs(Context& c) {
  const auto& p = c.patient;
  const auto& g = c.spine;
  for (int v = kT1; v <= kT12; ++v) {
    const auto& vb = g.vertebrae[static_cast<std::size_t>(v)];
    const int k = v - kT1;
    const double e = 0.5 * (vb.inferiorInclination + vb.superiorInclination);
    const Vec head = mid(vb.inferiorPosterior, vb.superiorPosterior) - 4.0 * p.size * along(e);
    const double reach = k >= 10 ? 0.45 : 1.0;  // floating ribs stop short
    const Vec angle = head + p.size * Vec{-(48.0 + 2.0 * k), 6.0};
    const Vec end = head + p.size * Vec{reach * (150.0 + 4.0 * k), -(55.0 + 5.0 * k) * (0.6 + 0.4 * reach)};
    const auto curve = bezier(head, angle + p.size * Vec{-10.0, -30.0}, end, 18);
    const double width = (7.0 + 0.35 * k) * p.size;
    for (const double side : {0.0, 1.0}) {
      std::vector<Vec> line = curve;
      for (auto& q : line) q = head + (1.0 + 0.06 * side) * (q - head) + Vec{0.0, -4.0 * side};
      addTube(c.scene, line, width, mu::kTrabecular * p.boneDensity * 9.0, mu::kCortical * 5.0, 1.0 * p.size);
    }
  }
}

void addShoulderGirdleAndArms(Context& c) {
  const auto& p = c.patient;
  const auto& g = c.spine;
  const Vec t1 = g.vertebrae[kT1].centre(), t2 = g.vertebrae[kT2].centre(), t8 = g.vertebrae[kT8].centre();
  const double s = p.size;
  // Arms held forward (flexed 20-70 deg below horizontal), as in whole-spine positioning.
  const double elevation = c.rng.uniform(20.0, 70.0);
  const Vec shoulder = t2 + s * Vec{35.0 + c.rng.uniform(-10.0, 15.0), 22.0};
  const Vec dir = along(-elevation);
  for (const double side : {0.0, 1.0}) {
    const Vec o = shoulder + side * s * Vec{6.0, -7.0};
    c.scene.limbs.push_back({o, o + 320.0 * s * dir, 42.0 * s * (1.0 + 0.6 * (p.bodyMass - 1.0))});
    c.scene.spheres.push_back({o, 22.0 * s, mu::kTrabecular * p.boneDensity * 1.1, 0.0, Layer::Trabecular});
    c.scene.spheres.push_back({o, 22.0 * s, mu::kCortical, 1.2 * s, Layer::Cortical});
    addTube(c.scene, {o, o + 150.0 * s * dir, o + 290.0 * s * dir}, 20.0 * s, mu::kTrabecular * 12.0,
            mu::kCortical * 14.0, 3.0 * s);
    // Scapula: lateral border from the glenoid to the inferior angle, faint body.
    const Vec glenoid = o + s * Vec{-16.0, -6.0};
    const Vec inferior = Vec{t8.x - 85.0 * s, t8.y} + side * s * Vec{-6.0, -5.0};
    const Vec superior = Vec{t1.x - 80.0 * s, t1.y + 15.0 * s} + side * s * Vec{-5.0, 0.0};
    c.scene.polygons.push_back({{glenoid, superior, inferior}, mu::kTrabecular * 6.0, Layer::Trabecular});
    addTube(c.scene, {glenoid, mid(glenoid, inferior), inferior}, 10.0 * s, mu::kTrabecular * 14.0,
            mu::kCortical * 8.0, 1.5 * s);
    // Clavicle, nearly end-on.
    const Vec medial = t1 + s * Vec{70.0, 18.0} + side * s * Vec{4.0, -3.0};
    addTube(c.scene, {medial, mid(medial, o) + s * Vec{0.0, 8.0}, o + s * Vec{-5.0, 18.0}}, 11.0 * s,
            mu::kTrabecular * 12.0, mu::kCortical * 9.0, 1.5 * s);
  }
}

void addBowelGas(Context& c) {
  const auto& g = c.spine;
  const Vec l1 = g.vertebrae[kT12 + 1].centre(), l5 = g.vertebrae[kL5].centre();
  const int count = c.rng.integer(4, 14);
  for (int i = 0; i < count; ++i) {
    const double y = c.rng.uniform(l5.y - 40.0 * c.patient.size, l1.y + 30.0 * c.patient.size);
    const double x = c.rng.uniform(l1.x + 30.0, l1.x + 150.0 * c.patient.size * c.patient.bodyMass);
    c.scene.gas.push_back({{x, y}, c.rng.uniform(5.0, 22.0) * c.patient.size});
  }
}

}  // namespace

void addTrunk(Context& c) {
  addEnvelope(c);
  addRibs(c);
  addShoulderGirdleAndArms(c);
  addBowelGas(c);
}

}  // namespace sagitta::phantom::detail
